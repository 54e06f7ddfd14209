"""Readable Chinese lines for staff: task summaries, timelines, inboxes, the register."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.cli.words import dept, when
from services.task_views import awaiting_calendar

if TYPE_CHECKING:
    from domain.task import Task
    from services.audit import VerificationReport
    from services.ledger import LedgerRow
    from services.read_models import Fault
    from services.register import RegisterEntry
    from services.statistics import MonthlyWorkload
    from services.stored import HistoryEntry
    from services.task_views import Escalation, InboxItem, TaskView

EVENT_LABELS = {
    "Planned": "任务列入计划",
    "SeedCommitted": "提交随机种子承诺",
    "TargetsDrawn": "随机抽取检查对象",
    "TaskDispatched": "派发配合部门",
    "DispatchHeld": "派发暂缓",
    "DepartmentConfirmed": "配合部门确认",
    "DepartmentDeclined": "配合部门拒绝",
    "ConfirmationOverdue": "确认逾期，上报双随机办",
    "InspectorsDrawn": "随机抽取执法检查人员",
    "GroupsMatched": "随机匹配检查组，生成一企一表",
    "GroupingFiled": "报备人员分组及车辆安排",
    "NoticeServed": "送达告知书",
    "InspectionVisited": "实地检查",
    "ResultDeadlineSet": "计算结果录入期限",
    "ResultRecorded": "录入检查结果",
    "ResultCorrected": "更正检查结果",
    "ResultOverdue": "结果录入逾期",
    "ResultsPublished": "公示检查结果",
    "FollowUpOpened": "开启后续处置",
    "FollowUpTransferred": "移交处理（移送、抄告）",
    "FollowUpClosed": "后续处置办结",
    "Closed": "结案",
}


def describe(kind: str, f: dict[str, Any]) -> str:
    """One event in words a department's staff would write in a 工作台账."""
    d = dept(f.get("department", ""))
    details = {
        "SeedCommitted": lambda: (
            f"承诺值 {f['commitment'][:16]}…，总体摘要 {f['population_digest'][:16]}…"
        ),
        "TargetsDrawn": lambda: (
            f"种子 {f['seed'][:16]}…，抽中 {sum(len(v) for v in f['drawn'].values())} 个对象"
        ),
        "TaskDispatched": lambda: f"{d}，确认期限 {f['deadline']}",
        "DispatchHeld": lambda: f"{d}，{awaiting_calendar(f['year'])}",
        "ResultDeadlineSet": lambda: f"{f['target']}，结果录入期限 {f['results_due']}",
        "DepartmentConfirmed": lambda: d + ("（逾期确认）" if f["late"] else ""),
        "DepartmentDeclined": lambda: f"{d}：{f['reason']}",
        "ConfirmationOverdue": lambda: f"{d}，期限 {f['deadline']}",
        "InspectorsDrawn": lambda: (
            f"{d}，{len(f['groups'])} 组 × {len(f['groups'][0]) if f['groups'] else 0} 人"
        ),
        "GroupsMatched": lambda: (
            f"{len(f['groups'])} 个联合检查组，{len(f['matches'])} 张一企一表"
            + (
                f"，回避 {sum(len(v) for v in f['conflicts'].values())} 项"
                if f["conflicts"]
                else ""
            )
        ),
        "GroupingFiled": lambda: f"{d}，{len(f['members'])} 人",
        "NoticeServed": lambda: (
            f"{f['target']}，{'电话告知' if f['method'] == 'phone' else '书面送达'}，受送达人 {f['recipient']}"
        ),
        "InspectionVisited": lambda: (
            f"{f['target']}，第 {f['group'] + 1} 组，"
            + ("已签字" if f["signed"] else f"拒绝签字（{f['note']}）")
            + (
                f"，结果录入期限 {f['results_due']}"
                if f.get("results_due")
                else f"，结果录入期限{awaiting_calendar(f.get('awaiting_calendar') or 0)}"
            )
        ),
        "ResultRecorded": lambda: (
            f"{d}：{f['target']} {f['category']}" + ("（逾期录入）" if f["late"] else "")
        ),
        "ResultCorrected": lambda: f"{d}：{f['target']} 更正为 {f['category']}（{f['reason']}）",
        "ResultOverdue": lambda: f"{d}：{f['target']}，期限 {f['deadline']}",
        "ResultsPublished": lambda: f"{len(f['entries'])} 个对象",
        "FollowUpOpened": lambda: (
            f"#{f['number']} {d}：{f['target']} {f['problem']}，"
            f"{f.get('measure') or '责令改正'}，期限 {f['due']}"
        ),
        "FollowUpTransferred": lambda: (
            f"#{f['number']} {f.get('measure') or '移送、抄告'} {f['to']}（{f['reason']}）"
        ),
        "FollowUpClosed": lambda: (
            f"#{f['number']} {f['outcome']}" + (f"；另行{f['measure']}" if f.get("measure") else "")
        ),
        "Planned": lambda: f"{f['definition']['name']}",
    }
    detail = details.get(kind)
    return EVENT_LABELS.get(kind, kind) + (f"：{detail()}" if detail else "")


def describe_event(event: Any) -> str:
    """Any event of the log, directories and plans included."""
    from services.audit import fields_of
    from services.log import aggregate_name, event_name

    kind = event_name(event)
    owner = aggregate_name(event)
    if owner == "Task":
        return describe(kind, fields_of(event))
    if owner == "IssuedDocument":
        return f"出具文书《{event.title}》（{event.format}，核验码 {event.code}）"
    if owner == "Plan":
        return (
            f"登记计划「{event.title}」（{event.document or '无文号'}，{len(event.tasks)} 项任务）"
        )
    if owner == "TargetDirectory":
        if kind == "Opened":
            return f"新建抽查对象名录库「{event.name}」"
        return f"名录库{'导入' if kind == 'TargetsRegistered' else '更新'} {len(event.targets)} 个检查对象"
    if kind == "Opened":
        return f"新建{dept(event.department)}执法检查人员名录库"
    if kind == "InspectorsRegistered":
        return f"执法检查人员名录库导入 {len(event.inspectors)} 人"
    if kind == "InspectorUpdated":
        return f"执法检查人员 {event.inspector['inspector_id']} {event.reason}"
    if kind == "ConflictDeclared":
        return f"回避登记：{event.inspector_id} 不得检查 {event.credit_code}（{event.reason}）"
    return kind


def history_line(entry: HistoryEntry) -> str:
    at = entry.fields.get("at", entry.recorded_at.isoformat())
    return f"  #{entry.version:<3} {str(at)[:16].replace('T', ' ')}  {describe(entry.type, entry.fields)}"


def task_summary(task: Task) -> str:
    d = task.definition
    kind = "跨部门联合抽查" if d.is_joint else "内部抽查"
    coop = "、".join(dept(c) for c in d.cooperating) or "无"
    ratio = (
        "定向 100%" if d.directed else "，".join(f"{g} 类不低于 {r}" for g, r in d.ratios.items())
    )
    lines = [
        f"任务「{d.name}」（{kind}，版本 {task.version}）",
        f"  发起部门 {dept(d.lead)}；配合部门 {coop}",
        f"  抽查比例 {ratio}；起止 {d.window_start} 至 {d.window_end}",
        f"  抽中 {len(task.drawn_targets)} 个对象；已匹配 {len(task.matches)}；已检查 {len(task.visits)}；"
        f"已录入结果 {len(task.results)}；{'已公示' if task.publication else '未公示'}；"
        f"{'已结案' if task.is_closed else '进行中'}",
    ]
    return "\n".join(lines)


def task_view_summary(view: TaskView, events: int) -> str:
    """A task's page, from its read model: what the plan says, and where the task stands."""
    kind = "跨部门联合抽查" if view.cooperating else "内部抽查"
    coop = "、".join(dept(c) for c in view.cooperating) or "无"
    ratio = "，".join(f"{g} 类不低于 {r}" for g, r in view.ratios.items()) or "定向 100%"
    window = (
        f"{view.window_start} 至 {view.window_end}"
        if view.window_start
        else f"{view.window_end} 前"
    )
    return "\n".join(
        [
            f"任务「{view.name}」（{kind}，版本 {events}，{view.stage}）",
            f"  发起部门 {dept(view.lead)}；配合部门 {coop}",
            f"  抽查比例 {ratio}；起止 {window}",
            f"  抽中 {len(view.targets)} 个对象；已检查 {len(view.visits)}；已录入结果 "
            f"{len(view.results)}；{'已公示' if view.published else '未公示'}；"
            f"{'已结案' if view.closed else '进行中'}",
        ]
    )


def escalation_line(e: Escalation) -> str:
    deadline = f"期限 {e.deadline}，" if e.deadline else ""
    return (
        f"  上报双随机办：{e.task_name} — {dept(e.department)} {e.what}（{deadline}{when(e.at)}）"
    )


def waiting_lines(view: TaskView) -> list[str]:
    """What the task waits for, and why: on its page, under the summary."""
    lines = [f"  等待：派发{dept(d)}（{awaiting_calendar(year)}）" for d, year in view.held.items()]
    lines += [
        f"  等待：{target} 的结果录入期限（{awaiting_calendar(year)}）"
        for target, year in view.awaiting.items()
    ]
    return lines


def fault_line(fault: Fault) -> str:
    task = f"任务 {fault.task_id}，" if fault.task_id else ""
    return f"  处理失败（{fault.process}，{task}位置 {fault.position}，{when(fault.at)}）：{fault.error}"


def inbox_item(item: InboxItem) -> str:
    owes = "；".join(item.owes) or "无待办"
    return f"{item.task_id}  [{item.role}] {item.name}（{item.stage}，{item.window_end} 前完成）\n    待办：{owes}"


def register_entry(entry: RegisterEntry) -> str:
    results = "；".join(f"{dept(d)}：{c}" for d, c in entry.results.items())
    corrections = f"（{'；'.join(entry.corrections)}）" if entry.corrections else ""
    return f"{entry.credit_code} {entry.name} | {entry.task_name} | {results} | 公示日期 {entry.published_on}{corrections}"


def ledger_row(row: LedgerRow) -> str:
    handed = row.follow_up.transfer_measure or "移送"
    extra = f"，{handed} {row.transferred_to}" if row.transferred_to else ""
    outcome = f"，{row.outcome}" if row.outcome else ""
    return (
        f"#{row.number} {row.target} {dept(row.department)}：{row.problem}，"
        f"整改期限 {row.due}，{row.status}{extra}{outcome}（{row.task_name}）"
        f" 处置措施：{'、'.join(row.measures)}"
    )


def verification(report: VerificationReport) -> str:
    head = (
        f"核验 {report.tasks} 个任务：{report.draws} 次对象抽取、{report.inspector_draws} 次人员抽取、"
        f"{report.matchings} 次匹配、{report.deadlines} 个期限"
    )
    if report.ok:
        return head + "，全部与 ssj-draw-v1 重算结果一致 ✓"
    if report.undecodable:  # each named, with its position, by the event log's check above
        head += f"，{report.undecodable} 个事件无法解读、未能核验（位置见事件日志）"
    if not report.differences:
        return head + " ✗"
    return "\n".join(
        [
            head + f"，发现 {len(report.differences)} 处差异 ✗",
            *(f"  {d}" for d in report.differences),
        ]
    )


def workload_row(row: MonthlyWorkload) -> str:
    return f"{dept(row.department):<12}  {row.month}  {row.tasks:>4}  {row.targets_drawn:>8}  {row.done:>4}  {row.overdue:>4}"
