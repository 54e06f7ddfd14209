"""The answers of the queries, as JSON: what each read model holds, in the glossary's words."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.task import RecordSheet
from domain.values import FollowUp
from services.ledger import LedgerRow
from services.read_models import Fault
from services.register import PublishedDraw, RegisterEntry
from services.statistics import MonthlyWorkload
from services.stored import HistoryEntry
from services.task_views import Escalation, InboxItem, TaskView

TASK_ID = "0b6f1c5e-3d2a-5f4e-9c8b-7a6d5e4f3c2b"
TARGET = "52130283MJ00000010"


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class FollowUpModel(BaseModel):
    number: int
    department: str = Field(description="发现问题并负责处置的部门")
    target: str
    problem: str
    due: date = Field(description="整改期限")
    status: str = Field(description="open 整改中、transferred 已移送、closed 已办结")
    status_label: str
    transferred_to: str
    transfer_reason: str
    outcome: str
    measure: str = Field(description="所责令的处置措施（责令改正、行政处罚 …）")
    transfer_measure: str = Field(description="移交方式：移送、抄告、反馈日常监管部门；未移交为空")
    closing_measure: str = Field(description="办结时另行采取的处置措施；没有为空")
    measures: list[str] = Field(description="已采取的处置措施，按采取的先后")

    @classmethod
    def of(cls, f: FollowUp) -> FollowUpModel:
        return cls(
            number=f.number,
            department=f.department,
            target=f.target,
            problem=f.problem,
            due=f.due,
            status=f.status.value,
            status_label=f.status.label,
            transferred_to=f.transferred_to,
            transfer_reason=f.transfer_reason,
            outcome=f.outcome,
            measure=f.measure,
            transfer_measure=f.transfer_measure,
            closing_measure=f.closing_measure,
            measures=list(f.measures),
        )


class TaskModel(BaseModel):
    """A task at a glance: where it stands, who answered, what is visited and recorded."""

    model_config = _examples(
        {
            "task_id": TASK_ID,
            "name": "2023年迁安市校外培训机构跨部门联合抽查",
            "lead": "education",
            "cooperating": ["police", "fire"],
            "stage": "已匹配检查组",
            "window_start": "2023-11-01",
            "window_end": "2023-11-30",
            "ratios": {"A": "0.03", "B": "0.03", "C": "0.03", "D": "0.03"},
            "committed": True,
            "targets": [TARGET],
            "dispatch_deadlines": {"police": "2023-11-03", "fire": "2023-11-03"},
            "held": {},
            "answers": {"police": True, "fire": True},
            "overdue": ["fire"],
            "inspectors_drawn": ["education", "fire", "police"],
            "matched": True,
            "visits": {},
            "awaiting": {},
            "results": [],
            "result_overdue": [],
            "published": False,
            "follow_ups": [],
            "closed": False,
            "last_at": "2023-11-07T15:00:00+08:00",
            "owes": ["送达告知书"],
        }
    )
    task_id: UUID
    name: str
    lead: str = Field(description="发起部门")
    cooperating: list[str] = Field(description="配合部门")
    stage: str
    window_start: date | None
    window_end: date
    ratios: dict[str, str] = Field(description="各风险等级最低抽查比例；定向抽查为空")
    committed: bool
    targets: list[str] = Field(description="抽中的检查对象（统一社会信用代码）")
    dispatch_deadlines: dict[str, date] = Field(description="各配合部门的确认期限")
    held: dict[str, int] = Field(description="暂缓派发的部门 → 待补充日历的年份")
    answers: dict[str, bool] = Field(description="配合部门 → 确认（true）或拒绝（false）")
    overdue: list[str] = Field(description="逾期未确认的部门")
    inspectors_drawn: list[str]
    matched: bool
    visits: dict[str, date | None] = Field(description="已实地检查的对象 → 结果录入期限")
    awaiting: dict[str, int]
    results: list[list[str]] = Field(description="已录入的结果：[部门, 对象]")
    result_overdue: list[list[str]]
    published: bool
    follow_ups: list[FollowUpModel]
    closed: bool
    last_at: datetime | None
    owes: list[str] | None = Field(
        default=None, description="当前部门在该任务上尚待完成的事项（按办理顺序）"
    )

    @classmethod
    def of(cls, v: TaskView, department: str | None = None) -> TaskModel:
        return cls(
            task_id=v.task_id,
            name=v.name,
            lead=v.lead,
            cooperating=list(v.cooperating),
            stage=v.stage,
            window_start=v.window_start,
            window_end=v.window_end,
            ratios=dict(v.ratios),
            committed=v.committed,
            targets=list(v.targets),
            dispatch_deadlines=dict(v.dispatch_deadlines),
            held=dict(v.held),
            answers=dict(v.answers),
            overdue=list(v.overdue),
            inspectors_drawn=sorted(v.inspectors_drawn),
            matched=v.matched,
            visits=dict(v.visits),
            awaiting=dict(v.awaiting),
            results=sorted([d, t] for d, t in v.results),
            result_overdue=sorted([d, t] for d, t in v.result_overdue),
            published=v.published,
            follow_ups=[FollowUpModel.of(f) for f in v.follow_ups.values()],
            closed=v.closed,
            last_at=v.last_at,
            owes=v.owes(department) if department in v.visible_to() else None,
        )


class InboxModel(BaseModel):
    model_config = _examples(
        {
            "task_id": TASK_ID,
            "name": "2023年迁安市校外培训机构跨部门联合抽查",
            "role": "配合部门",
            "stage": "已抽取检查对象",
            "window_end": "2023-11-30",
            "owes": ["确认派发任务（2023-11-03 前）"],
        }
    )
    task_id: UUID
    name: str
    role: str
    stage: str
    window_end: date
    owes: list[str]

    @classmethod
    def of(cls, i: InboxItem) -> InboxModel:
        return cls(
            task_id=i.task_id,
            name=i.name,
            role=i.role,
            stage=i.stage,
            window_end=i.window_end,
            owes=list(i.owes),
        )


class EscalationModel(BaseModel):
    model_config = _examples(
        {
            "task_id": TASK_ID,
            "task_name": "2023年迁安市校外培训机构跨部门联合抽查",
            "department": "fire",
            "what": "逾期未确认派发任务",
            "deadline": "2023-11-03",
            "at": "2023-11-06T08:30:00+08:00",
        }
    )
    task_id: UUID
    task_name: str
    department: str
    what: str
    deadline: date | None
    at: datetime

    @classmethod
    def of(cls, e: Escalation) -> EscalationModel:
        return cls(
            task_id=e.task_id,
            task_name=e.task_name,
            department=e.department,
            what=e.what,
            deadline=e.deadline,
            at=e.at,
        )


class FaultModel(BaseModel):
    model_config = _examples(
        {
            "process": "dispatch",
            "task_id": TASK_ID,
            "position": 42,
            "error": "CalendarUnknownError: 工作日历未收录 2027 年",
            "at": "2026-12-31T09:00:00+08:00",
        }
    )
    process: str
    task_id: UUID | None
    position: int
    error: str
    at: datetime

    @classmethod
    def of(cls, f: Fault) -> FaultModel:
        return cls(
            process=f.process, task_id=f.task_id, position=f.position, error=f.error, at=f.at
        )


class RegisterEntryModel(BaseModel):
    """公示: one published result of one target; never an inspector's name, id or phone."""

    model_config = _examples(
        {
            "credit_code": TARGET,
            "name": "迁安市第1培训学校",
            "task_id": TASK_ID,
            "task_name": "2023年迁安市校外培训机构跨部门联合抽查",
            "results": {"education": "未发现问题", "police": "未发现问题", "fire": "未发现问题"},
            "published_on": "2023-11-20",
            "corrections": ["2023-11-16 education 更正：复核发现教材已于 10 月备案，原录入有误"],
        }
    )
    credit_code: str
    name: str
    task_id: UUID
    task_name: str
    results: dict[str, str] = Field(description="部门 → 公示系统结果类别")
    published_on: date
    corrections: list[str]

    @classmethod
    def of(cls, e: RegisterEntry) -> RegisterEntryModel:
        return cls(
            credit_code=e.credit_code,
            name=e.name,
            task_id=e.task_id,
            task_name=e.task_name,
            results=dict(e.results),
            published_on=e.published_on,
            corrections=list(e.corrections),
        )


class DrawModel(BaseModel):
    """What anyone needs to re-run a task's draw (DRAW-SPEC.md)."""

    model_config = _examples(
        {
            "task_id": TASK_ID,
            "task_name": "2023年迁安市校外培训机构跨部门联合抽查",
            "rule": "ssj-draw-v1",
            "directory_position": 3,
            "population_digest": "9f2c…",
            "strata": {"A": {"N": 20, "r": "0.1", "k": 2}},
            "commitment": "6a1e…",
            "secret": "5d3c5d3c…",
            "beacon": "见证人报数 482913",
            "seed": "c41b…",
            "drawn": {"A": [TARGET]},
        }
    )
    task_id: UUID
    task_name: str
    rule: str
    directory_position: int
    population_digest: str
    strata: dict[str, dict[str, Any]]
    commitment: str
    secret: str
    beacon: str
    seed: str
    drawn: dict[str, list[str]]

    @classmethod
    def of(cls, d: PublishedDraw) -> DrawModel:
        return cls(
            task_id=d.task_id,
            task_name=d.task_name,
            rule=d.rule,
            directory_position=d.directory_position,
            population_digest=d.population_digest,
            strata=dict(d.strata),
            commitment=d.commitment,
            secret=d.secret,
            beacon=d.beacon,
            seed=d.seed,
            drawn=dict(d.drawn),
        )


class LedgerRowModel(BaseModel):
    """随机抽查后续处置工作台账 的一行."""

    model_config = _examples(
        {
            "task_id": TASK_ID,
            "task_name": "2023年迁安市校外培训机构跨部门联合抽查",
            "follow_up": {
                "number": 1,
                "department": "fire",
                "target": TARGET,
                "problem": "疏散通道堆放杂物",
                "due": "2023-12-20",
                "status": "closed",
                "status_label": "已办结",
                "transferred_to": "",
                "transfer_reason": "",
                "outcome": "已清理，复查合格",
                "measure": "责令改正",
                "transfer_measure": "",
                "closing_measure": "",
                "measures": ["责令改正"],
            },
        }
    )
    task_id: UUID
    task_name: str
    follow_up: FollowUpModel

    @classmethod
    def of(cls, r: LedgerRow) -> LedgerRowModel:
        return cls(
            task_id=r.task_id, task_name=r.task_name, follow_up=FollowUpModel.of(r.follow_up)
        )


class WorkloadModel(BaseModel):
    model_config = _examples(
        {
            "department": "fire",
            "month": "2023-11",
            "tasks": 0,
            "targets_drawn": 8,
            "done": 0,
            "overdue": 1,
        }
    )
    department: str
    month: str = Field(description="YYYY-MM（北京时间）")
    tasks: int
    targets_drawn: int
    done: int
    overdue: int

    @classmethod
    def of(cls, w: MonthlyWorkload) -> WorkloadModel:
        return cls(
            department=w.department,
            month=w.month,
            tasks=w.tasks,
            targets_drawn=w.targets_drawn,
            done=w.done,
            overdue=w.overdue,
        )


class HistoryModel(BaseModel):
    model_config = _examples(
        {
            "version": 4,
            "type": "DepartmentConfirmed",
            "recorded_at": "2023-11-02T10:15:00+08:00",
            "fields": {"department": "police", "at": "2023-11-02T10:15:00+08:00"},
        }
    )
    version: int
    type: str
    recorded_at: datetime
    fields: dict[str, Any]

    @classmethod
    def of(cls, h: HistoryEntry) -> HistoryModel:
        return cls(version=h.version, type=h.type, recorded_at=h.recorded_at, fields=h.fields)


class CheckItemView(BaseModel):
    code: str
    name: str
    legal_basis: str
    method: str


class SheetModel(BaseModel):
    """一企一表: the joint record sheet of one target."""

    model_config = _examples(
        {
            "target": TARGET,
            "name": "迁安市第1培训学校",
            "group": 0,
            "inspectors": {"education": ["JY001", "JY004"], "police": ["GA003", "GA005"]},
            "items": {
                "police": [
                    {
                        "code": "GA-1",
                        "name": "单位内部治安保卫情况",
                        "legal_basis": "",
                        "method": "",
                    }
                ]
            },
        }
    )
    target: str
    name: str
    group: int = Field(description="检查组（0 起，第 n+1 组）")
    inspectors: dict[str, list[str]] = Field(description="部门 → 本组该部门的执法检查人员编号")
    items: dict[str, list[CheckItemView]] = Field(description="部门 → 该部门的抽查事项")

    @classmethod
    def of(cls, s: RecordSheet) -> SheetModel:
        return cls(
            target=s.target,
            name=s.name,
            group=s.group,
            inspectors={d: list(ids) for d, ids in s.inspectors.items()},
            items={
                d: [CheckItemView(**i.as_record()) for i in items] for d, items in s.items.items()
            },
        )


class PopulationMemberModel(BaseModel):
    model_config = _examples({"credit_code": TARGET, "grade": "A"})
    credit_code: str
    grade: str = Field(description="信用风险分类")
