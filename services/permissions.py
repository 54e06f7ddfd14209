"""The one permission policy: who may do what, for every front (CLI, bus, HTTP).

DESIGN.md, Security: a department reads and writes only its own tasks; the public sees only what
was published; the auditor reads everything and writes nothing; the office oversees every task.
Each action names the parties it may come from (`RULES`); `require` decides, given who asks and
whom the task or directory belongs to, and refuses with `ForbiddenError` before anything is read
or recorded. The domain keeps its own rules on top (a department confirms once, an inspector's
department must take part, …): this module says only who is asking for whom.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from services.actors import DEPARTMENT_ROLES, Actor, Role
from services.errors import ForbiddenError


class Action(StrEnum):
    # directories (名录库)
    OPEN_TARGET_DIRECTORY = "open_target_directory"
    REGISTER_TARGETS = "register_targets"
    UPDATE_TARGETS = "update_targets"
    OPEN_INSPECTOR_DIRECTORY = "open_inspector_directory"
    REGISTER_INSPECTORS = "register_inspectors"
    CHANGE_INSPECTOR = "change_inspector"
    # plans and tasks
    REGISTER_PLAN = "register_plan"
    COMMIT_SEED = "commit_seed"
    DRAW_TARGETS = "draw_targets"
    DISPATCH = "dispatch"
    CONFIRM = "confirm"
    DECLINE = "decline"
    CHECK_DEADLINES = "check_deadlines"
    COUNT_HELD_DEADLINES = "count_held_deadlines"
    DRAW_INSPECTORS = "draw_inspectors"
    MATCH_GROUPS = "match_groups"
    FILE_GROUPING = "file_grouping"
    SERVE_NOTICE = "serve_notice"
    RECORD_VISIT = "record_visit"
    RECORD_RESULT = "record_result"
    CORRECT_RESULT = "correct_result"
    PUBLISH = "publish"
    OPEN_FOLLOW_UP = "open_follow_up"
    TRANSFER_FOLLOW_UP = "transfer_follow_up"
    CLOSE_FOLLOW_UP = "close_follow_up"
    CLOSE_TASK = "close_task"
    # the work calendar
    IMPORT_CALENDAR_YEAR = "import_calendar_year"
    READ_CALENDAR = "read_calendar"
    # queries
    LIST_TASKS = "list_tasks"
    READ_TASK = "read_task"
    READ_INBOX = "read_inbox"
    READ_ESCALATIONS = "read_escalations"
    READ_REGISTER = "read_register"
    READ_LEDGER = "read_ledger"
    READ_STATISTICS = "read_statistics"
    READ_HISTORY = "read_history"
    EXPORT_LOG = "export_log"
    VERIFY_LOG = "verify_log"
    READ_DIRECTORY = "read_directory"
    # documents (文书), the item lists, 国办发〔2024〕54号
    ISSUE_DOCUMENT = "issue_document"
    CHECK_DOCUMENT = "check_document"
    REGISTER_ITEM_LIST = "register_item_list"
    READ_ITEM_LIST = "read_item_list"
    EXPORT_RESULTS = "export_results"
    READ_INSPECTION_LEDGER = "read_inspection_ledger"
    SET_INSPECTION_CAPS = "set_inspection_caps"
    GRANT_CAP_EXEMPTION = "grant_cap_exemption"
    READ_JOINT_VISIT_OFFERS = "read_joint_visit_offers"
    MERGE_VISITS = "merge_visits"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Action.OPEN_TARGET_DIRECTORY: "新建抽查对象名录库",
    Action.REGISTER_TARGETS: "导入检查对象",
    Action.UPDATE_TARGETS: "更新检查对象",
    Action.OPEN_INSPECTOR_DIRECTORY: "新建执法检查人员名录库",
    Action.REGISTER_INSPECTORS: "导入执法检查人员",
    Action.CHANGE_INSPECTOR: "变更执法检查人员（请假、回避）",
    Action.REGISTER_PLAN: "登记抽查工作计划",
    Action.COMMIT_SEED: "提交随机种子承诺",
    Action.DRAW_TARGETS: "抽取检查对象",
    Action.DISPATCH: "派发配合部门",
    Action.CONFIRM: "确认派发任务",
    Action.DECLINE: "拒绝派发任务",
    Action.CHECK_DEADLINES: "检查期限",
    Action.COUNT_HELD_DEADLINES: "计算待补充日历的期限",
    Action.DRAW_INSPECTORS: "抽取执法检查人员",
    Action.MATCH_GROUPS: "随机匹配检查组",
    Action.FILE_GROUPING: "报备人员分组及车辆安排",
    Action.SERVE_NOTICE: "送达告知书",
    Action.RECORD_VISIT: "登记实地检查",
    Action.RECORD_RESULT: "录入检查结果",
    Action.CORRECT_RESULT: "更正检查结果",
    Action.PUBLISH: "公示检查结果",
    Action.OPEN_FOLLOW_UP: "开启后续处置",
    Action.TRANSFER_FOLLOW_UP: "移送后续处置",
    Action.CLOSE_FOLLOW_UP: "办结后续处置",
    Action.CLOSE_TASK: "结案",
    Action.IMPORT_CALENDAR_YEAR: "导入节假日安排",
    Action.READ_CALENDAR: "查看工作日历",
    Action.LIST_TASKS: "查看任务列表",
    Action.READ_TASK: "查看任务",
    Action.READ_INBOX: "查看部门待办",
    Action.READ_ESCALATIONS: "查看逾期上报",
    Action.READ_REGISTER: "查看公示结果",
    Action.READ_LEDGER: "查看后续处置台账",
    Action.READ_STATISTICS: "查看计划统计",
    Action.READ_HISTORY: "回放任务历史",
    Action.EXPORT_LOG: "导出事件日志",
    Action.VERIFY_LOG: "核验事件日志",
    Action.READ_DIRECTORY: "查看名录库",
    Action.ISSUE_DOCUMENT: "出具文书",
    Action.CHECK_DOCUMENT: "核验文书",
    Action.REGISTER_ITEM_LIST: "登记抽查事项清单",
    Action.READ_ITEM_LIST: "查看抽查事项清单",
    Action.EXPORT_RESULTS: "导出公示结果",
    Action.READ_INSPECTION_LEDGER: "查看企业检查台账",
    Action.SET_INSPECTION_CAPS: "设定企业年度检查次数上限",
    Action.GRANT_CAP_EXEMPTION: "登记检查上限例外",
    Action.READ_JOINT_VISIT_OFFERS: "查看可合并的联合检查",
    Action.MERGE_VISITS: "合并检查（进一次门、查多项事）",
}


class Party(Enum):
    """Whom an action may come from, relative to what it acts on."""

    LEAD = "本任务的发起部门"
    COOPERATING = "本任务的配合部门"
    RECEIVED = "已收到派发的配合部门"
    INSPECTOR = "被分派到该对象的执法检查人员"
    OWNER = "本部门（名录库或待办的所属部门）"
    DEPARTMENT = "各部门（只见本部门的）"
    OFFICE = "双随机办"
    AUDITOR = "审计"
    EVERYONE = "任何人（含公众）"
    SERVICE = "系统自动流程"


P = Party
RULES: Mapping[Action, frozenset[Party]] = {
    Action.OPEN_TARGET_DIRECTORY: frozenset({P.OWNER}),
    Action.REGISTER_TARGETS: frozenset({P.OWNER}),
    Action.UPDATE_TARGETS: frozenset({P.OWNER}),
    Action.OPEN_INSPECTOR_DIRECTORY: frozenset({P.OWNER}),
    Action.REGISTER_INSPECTORS: frozenset({P.OWNER}),
    Action.CHANGE_INSPECTOR: frozenset({P.OWNER}),
    Action.REGISTER_PLAN: frozenset({P.LEAD}),
    Action.COMMIT_SEED: frozenset({P.LEAD}),
    Action.DRAW_TARGETS: frozenset({P.LEAD}),
    Action.DISPATCH: frozenset({P.SERVICE}),
    Action.CONFIRM: frozenset({P.COOPERATING}),
    Action.DECLINE: frozenset({P.COOPERATING}),
    Action.CHECK_DEADLINES: frozenset({P.SERVICE, P.OFFICE}),
    Action.COUNT_HELD_DEADLINES: frozenset({P.SERVICE, P.OFFICE}),
    Action.DRAW_INSPECTORS: frozenset({P.LEAD, P.COOPERATING}),
    Action.MATCH_GROUPS: frozenset({P.LEAD}),
    Action.FILE_GROUPING: frozenset({P.LEAD, P.COOPERATING}),
    Action.SERVE_NOTICE: frozenset({P.LEAD, P.COOPERATING}),
    Action.RECORD_VISIT: frozenset({P.LEAD, P.COOPERATING}),
    Action.RECORD_RESULT: frozenset({P.LEAD, P.COOPERATING, P.INSPECTOR}),
    Action.CORRECT_RESULT: frozenset({P.LEAD, P.COOPERATING, P.INSPECTOR}),
    Action.PUBLISH: frozenset({P.LEAD}),
    Action.OPEN_FOLLOW_UP: frozenset({P.LEAD, P.COOPERATING}),
    Action.TRANSFER_FOLLOW_UP: frozenset({P.LEAD, P.COOPERATING}),
    Action.CLOSE_FOLLOW_UP: frozenset({P.LEAD, P.COOPERATING}),
    Action.CLOSE_TASK: frozenset({P.LEAD}),
    Action.IMPORT_CALENDAR_YEAR: frozenset({P.OFFICE}),
    Action.READ_CALENDAR: frozenset({P.EVERYONE}),
    Action.LIST_TASKS: frozenset({P.DEPARTMENT, P.OFFICE, P.AUDITOR}),
    Action.READ_TASK: frozenset({P.LEAD, P.RECEIVED, P.INSPECTOR, P.OFFICE, P.AUDITOR}),
    Action.READ_INBOX: frozenset({P.OWNER, P.OFFICE, P.AUDITOR}),
    Action.READ_ESCALATIONS: frozenset({P.OFFICE, P.AUDITOR}),
    Action.READ_REGISTER: frozenset({P.EVERYONE}),
    Action.READ_LEDGER: frozenset({P.DEPARTMENT, P.OFFICE, P.AUDITOR}),
    Action.READ_STATISTICS: frozenset({P.DEPARTMENT, P.OFFICE, P.AUDITOR}),
    Action.READ_HISTORY: frozenset({P.OFFICE, P.AUDITOR}),
    Action.EXPORT_LOG: frozenset({P.AUDITOR}),
    Action.VERIFY_LOG: frozenset({P.AUDITOR}),
    Action.READ_DIRECTORY: frozenset({P.OWNER, P.OFFICE, P.AUDITOR}),
    Action.ISSUE_DOCUMENT: frozenset({P.LEAD, P.RECEIVED, P.INSPECTOR, P.OFFICE}),
    Action.CHECK_DOCUMENT: frozenset({P.EVERYONE}),
    Action.REGISTER_ITEM_LIST: frozenset({P.OWNER}),
    Action.READ_ITEM_LIST: frozenset({P.EVERYONE}),
    Action.EXPORT_RESULTS: frozenset({P.EVERYONE}),
    Action.READ_INSPECTION_LEDGER: frozenset({P.DEPARTMENT, P.OFFICE, P.AUDITOR}),
    Action.SET_INSPECTION_CAPS: frozenset({P.OFFICE}),
    Action.GRANT_CAP_EXEMPTION: frozenset({P.LEAD, P.OFFICE}),
    Action.READ_JOINT_VISIT_OFFERS: frozenset({P.OFFICE, P.AUDITOR}),
    Action.MERGE_VISITS: frozenset({P.OFFICE}),
}


@dataclass(frozen=True)
class Parties:
    """Whom what is acted on belongs to: a task's departments, or a directory's owner."""

    lead: str | None = None
    cooperating: tuple[str, ...] = ()
    received: tuple[str, ...] = ()
    """Cooperating departments the task was dispatched to, or is held for until the calendar
    knows the deadline's year: they see it waiting."""
    participating: tuple[str, ...] = ()
    """The lead and the cooperating departments that confirmed: their inspectors inspect."""
    assigned: frozenset[str] = field(default_factory=frozenset)
    """Inspectors whose group was matched to the target acted on (if any)."""
    owner: str | None = None
    """The department a directory or an inbox belongs to."""

    @classmethod
    def owned_by(cls, department: str) -> Parties:
        return cls(owner=department)


NOBODY = Parties()
"""What an action on everything (the log, the register, the calendar) acts on."""


def _is(actor: Actor, party: Party, parties: Parties) -> bool:
    role, department = actor.role, actor.department
    if party is P.EVERYONE:
        return True
    if party is P.SERVICE:
        return role is Role.SERVICE
    if party is P.OFFICE:
        return role is Role.OFFICE
    if party is P.AUDITOR:
        return role is Role.AUDITOR
    if party is P.DEPARTMENT:
        return role in DEPARTMENT_ROLES
    if party is P.OWNER:
        return role in (Role.LEAD, Role.COOPERATING) and department == parties.owner
    if party is P.LEAD:
        return role is Role.LEAD and department is not None and department == parties.lead
    if party is P.COOPERATING:
        return role is Role.COOPERATING and department in parties.cooperating
    if party is P.RECEIVED:
        return role is Role.COOPERATING and department in parties.received
    if party is P.INSPECTOR:
        return (
            role is Role.INSPECTOR
            and department in parties.participating
            and (actor.inspector in parties.assigned or not parties.assigned)
        )
    return False


def allows(actor: Actor, action: Action, parties: Parties = NOBODY) -> bool:
    return any(_is(actor, party, parties) for party in RULES[action])


def require(actor: Actor, action: Action, parties: Parties = NOBODY) -> None:
    """Refuse, naming who may, unless the actor is one of them."""
    if not allows(actor, action, parties):
        who = "、".join(sorted(party.value for party in RULES[action]))
        raise ForbiddenError(str(actor), action.label, who)


def departments_seen(actor: Actor, action: Action) -> frozenset[str] | None:
    """For a list: the departments whose rows the actor sees (None: every row). Refuses an
    actor who may see none."""
    require(actor, action, Parties(owner=actor.department))
    if actor.role in (Role.OFFICE, Role.AUDITOR, Role.SERVICE) or P.EVERYONE in RULES[action]:
        return None
    return frozenset({actor.speaks_for})
