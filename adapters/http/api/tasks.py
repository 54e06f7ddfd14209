"""Every step of a task over HTTP: POST /api/v1/tasks/{task_id}/… as the department that takes it.

Each handler builds the actor from the principal (adapters/http/auth.py `actor_for`, the role the
stored task gives the department) and calls the Tasks application, which asks the policy; the
command runner (adapters/http/commands.py) gives it `at` and the command id, and settles after it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from adapters.http import drawing, logs
from adapters.http.api.common import ERRORS, Done, Who, action
from adapters.http.auth import actor_for, service_of
from adapters.http.commands import AlreadyApplied, CommandBody, CommandDep
from domain import draw as rule
from domain.values import FollowUpMeasure
from services.permissions import Action

router = APIRouter(prefix="/tasks/{task_id}", tags=["任务"], responses=ERRORS)

TargetCode = Annotated[
    str, Path(description="检查对象的统一社会信用代码", examples=["52130283MJ00000010"])
]
FollowUpNumber = Annotated[int, Path(ge=1, le=1_000_000, description="后续处置编号")]


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


# ---------------------------------------------------------------------------- 2–3. commit and draw
class Commit(CommandBody):
    model_config = _examples(
        {
            "beacon_source": "2023-11-01 09:30 抽取现场，由市双随机办见证人当场报出的 6 位数字",
            "at": "2023-10-31T16:00:00+08:00",
        }
    )
    beacon_source: str = Field(
        default="", max_length=500, description="信标来源：承诺之后才公布的公开值是什么、何时公布"
    )


class Committed(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "commitment": "6a1e…",
                    "directory_position": 3,
                    "population_digest": "9f2c…",
                    "strata": {"A": 20, "B": 10, "C": 6, "D": 4},
                }
            ]
        }
    )
    commitment: str = Field(description="H(secret)：密钥由服务器生成并保存，抽取时公开")
    directory_position: int
    population_digest: str
    strata: dict[str, int] = Field(description="风险等级 → 总体数量")


@router.post(
    "/commit",
    openapi_extra=action(Action.COMMIT_SEED),
    response_model=Committed | AlreadyApplied,
    summary="提交随机种子承诺",
)
def commit(task_id: UUID, body: Commit, command: CommandDep) -> Any:
    """固定抽取总体并承诺 H(secret)。密钥由服务器以密码学随机数生成并保存，不在应答中给出，
    抽取时由服务器使用并公开。"""

    def apply(command_id: UUID | None, at: Any) -> Committed:
        s = drawing.commit(
            command.service,
            command.actor(task_id),
            task_id,
            body.beacon_source,
            at=at,
            command_id=command_id,
        )
        return Committed(
            commitment=s.commitment,
            directory_position=s.directory_position,
            population_digest=s.population_digest,
            strata=s.strata,
        )

    return command.run(body, apply)


class Draw(CommandBody):
    model_config = _examples({"beacon": "见证人报数 482913", "at": "2023-11-01T09:30:00+08:00"})
    beacon: str = Field(default="", max_length=500, description="承诺之后才公布的公开值")
    secret: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="承诺时的密钥；不填则用服务器保存的（经本接口承诺的任务）",
    )


class StratumModel(BaseModel):
    grade: str
    size: int = Field(description="N：该等级总体数量")
    ratio: str = Field(description="r：最低抽查比例")
    count: int = Field(description="k = ceil(r × N)")


class Drawn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "seed": "c41b…",
                    "strata": [{"grade": "A", "size": 20, "ratio": "0.1", "count": 2}],
                    "drawn": ["52130283MJ00000010"],
                }
            ]
        }
    )
    seed: str
    strata: list[StratumModel]
    drawn: list[str]


@router.post(
    "/draw",
    openapi_extra=action(Action.DRAW_TARGETS),
    response_model=Drawn | AlreadyApplied,
    summary="抽取检查对象",
)
def draw_targets(task_id: UUID, body: Draw, command: CommandDep) -> Any:
    """公开密钥与信标，按 ssj-draw-v1 抽取。"""

    def apply(command_id: UUID | None, at: Any) -> Drawn:
        s = drawing.draw(
            command.service,
            command.actor(task_id),
            task_id,
            body.beacon,
            at=at,
            command_id=command_id,
            secret=body.secret,
        )
        return Drawn(
            seed=s.seed,
            strata=[
                StratumModel(grade=x.grade, size=x.size, ratio=x.ratio, count=x.count)
                for x in s.strata
            ],
            drawn=list(s.drawn),
        )

    return command.run(body, apply)


class KeptSecret(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"commitment": "6a1e…", "secret": "3f9c…（64 位十六进制）"}]
        }
    )
    commitment: str = Field(description="H(secret)，已记入事件日志")
    secret: str = Field(description="服务器保存的密钥：抽取前仅发起部门可读，抽取时公开")


@router.get(
    "/secret",
    openapi_extra=action(Action.DRAW_TARGETS),
    response_model=KeptSecret,
    summary="发起部门查看服务器保存的密钥",
)
def kept_secret(request: Request, task_id: UUID, who: Who) -> KeptSecret:
    """抽取前，仅本任务的发起部门可读（例如自行留存一份）；每次读取都记入日志。"""
    service = service_of(request)
    actor = actor_for(request, who, task_id, write=True)
    secret = drawing.kept_secret(service, actor, task_id)
    logs.event("draw_secret_read", task=str(task_id), principal=who.name if who else None)
    return KeptSecret(commitment=rule.commitment_of(secret), secret=secret)


# ---------------------------------------------------------------------------- 5. confirm or decline
class At(CommandBody):
    model_config = _examples({"at": "2023-11-02T10:15:00+08:00"}, {})


class Decline(CommandBody):
    model_config = _examples(
        {"reason": "本部门该时段承担省级专项检查任务，无法派员", "at": "2023-11-02T10:15:00+08:00"}
    )
    reason: str = Field(min_length=1, max_length=2000, description="拒绝理由")


@router.post(
    "/confirm",
    openapi_extra=action(Action.CONFIRM),
    response_model=Done | AlreadyApplied,
    summary="配合部门确认",
)
def confirm(task_id: UUID, body: At, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.tasks.confirm(command.actor(task_id), task_id, at=at, command_id=command_id)
        return Done()

    return command.run(body, apply)


@router.post(
    "/decline",
    openapi_extra=action(Action.DECLINE),
    response_model=Done | AlreadyApplied,
    summary="配合部门拒绝（说明理由）",
)
def decline(task_id: UUID, body: Decline, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.tasks.decline(
            command.actor(task_id), task_id, body.reason, at=at, command_id=command_id
        )
        return Done()

    return command.run(body, apply)


# ---------------------------------------------------------------------------- 6–8. inspectors, groups
class InspectorGroups(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"groups": [["GA001", "GA004"], ["GA003", "GA007"]]}]}
    )
    groups: list[list[str]] = Field(description="本部门各组抽中的执法检查人员编号")


@router.post(
    "/inspector-draws",
    openapi_extra=action(Action.DRAW_INSPECTORS),
    response_model=InspectorGroups | AlreadyApplied,
    summary="抽取本部门执法检查人员",
)
def draw_inspectors(task_id: UUID, body: At, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> InspectorGroups:
        groups = command.service.tasks.draw_inspectors(
            command.actor(task_id), task_id, at=at, command_id=command_id
        )
        return InspectorGroups(groups=[list(g) for g in groups])

    return command.run(body, apply)


class Matched(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"groups": {"52130283MJ00000010": 0}}]}
    )
    groups: dict[str, int] = Field(description="检查对象 → 检查组（0 起，第 n+1 组）")


@router.post(
    "/match",
    openapi_extra=action(Action.MATCH_GROUPS),
    response_model=Matched | AlreadyApplied,
    summary="随机匹配检查组",
)
def match(task_id: UUID, body: At, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Matched:
        matches = command.service.tasks.match_groups(
            command.actor(task_id), task_id, at=at, command_id=command_id
        )
        return Matched(groups=dict(matches))

    return command.run(body, apply)


class Grouping(CommandBody):
    model_config = _examples(
        {"vehicles": {"1": "冀B·00001", "2": "冀B·00002"}, "at": "2023-11-07T15:00:00+08:00"}
    )
    vehicles: dict[str, str] = Field(default_factory=dict, description="组号（1 起）→ 车辆安排")


@router.post(
    "/grouping",
    openapi_extra=action(Action.FILE_GROUPING),
    response_model=Done | AlreadyApplied,
    summary="报备人员分组及车辆安排",
)
def file_grouping(task_id: UUID, body: Grouping, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.tasks.file_grouping(
            command.actor(task_id), task_id, body.vehicles, at=at, command_id=command_id
        )
        return Done()

    return command.run(body, apply)


# ---------------------------------------------------------------------------- 9–10. fieldwork
class Notice(CommandBody):
    model_config = _examples(
        {"method": "letter", "recipient": "法定代表人", "at": "2023-11-08T09:00:00+08:00"}
    )
    method: str = Field(default="letter", description="letter 书面、phone 电话")
    recipient: str = Field(min_length=1, max_length=200, description="受送达人")


class Visit(CommandBody):
    model_config = _examples(
        {"signed": True, "note": "", "at": "2023-11-09T10:00:00+08:00"},
        {"signed": False, "note": "法定代表人拒绝在一企一表上签字，检查组已如实记录并拍照留存"},
    )
    signed: bool = Field(default=True, description="被检查对象是否签字")
    note: str = Field(default="", max_length=2000)
    on_site_reason: str = Field(
        default="",
        max_length=2000,
        description="实地检查的理由：本任务有事项可非现场检查时必填（国办发〔2024〕54号）",
    )


class Result(CommandBody):
    model_config = _examples(
        {
            "category": "发现问题已责令改正",
            "findings": {"XF-1": "疏散通道堆放杂物"},
            "at": "2023-11-09T17:00:00+08:00",
        }
    )
    category: str = Field(description="公示系统结果类别，如 未发现问题、发现问题已责令改正")
    findings: dict[str, str] = Field(default_factory=dict, description="事项编号 → 检查情况")


class Correction(Result):
    model_config = _examples(
        {
            "category": "未发现问题",
            "findings": {"JY-2": "符合要求"},
            "reason": "复核发现教材已于 10 月备案，原录入有误",
            "at": "2023-11-16T15:00:00+08:00",
        }
    )
    reason: str = Field(min_length=1, max_length=2000, description="更正理由")


@router.post(
    "/targets/{target}/notice",
    openapi_extra=action(Action.SERVE_NOTICE),
    response_model=Done | AlreadyApplied,
    summary="送达告知书",
)
def serve_notice(task_id: UUID, body: Notice, target: TargetCode, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.tasks.serve_notice(
            command.actor(task_id),
            task_id,
            target,
            body.method,
            body.recipient,
            at=at,
            command_id=command_id,
        )
        return Done()

    return command.run(body, apply)


@router.post(
    "/targets/{target}/visit",
    openapi_extra=action(Action.RECORD_VISIT),
    response_model=Done | AlreadyApplied,
    summary="登记实地检查",
)
def record_visit(task_id: UUID, body: Visit, target: TargetCode, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.tasks.record_visit(
            command.actor(task_id),
            task_id,
            target,
            body.signed,
            body.note,
            at=at,
            on_site_reason=body.on_site_reason,
            command_id=command_id,
        )
        return Done()

    return command.run(body, apply)


@router.post(
    "/targets/{target}/result",
    openapi_extra=action(Action.RECORD_RESULT),
    response_model=Done | AlreadyApplied,
    summary="录入本部门检查结果",
)
def record_result(task_id: UUID, body: Result, target: TargetCode, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.tasks.record_result(
            command.actor(task_id),
            task_id,
            target,
            body.category,
            body.findings,
            at=at,
            command_id=command_id,
        )
        return Done()

    return command.run(body, apply)


@router.post(
    "/targets/{target}/correction",
    openapi_extra=action(Action.CORRECT_RESULT),
    response_model=Done | AlreadyApplied,
    summary="更正检查结果（说明理由）",
)
def correct_result(task_id: UUID, body: Correction, target: TargetCode, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.tasks.correct_result(
            command.actor(task_id),
            task_id,
            target,
            body.category,
            body.findings,
            body.reason,
            at=at,
            command_id=command_id,
        )
        return Done()

    return command.run(body, apply)


# ---------------------------------------------------------------------------- 11–13. publish, follow up, close
@router.post(
    "/publish",
    openapi_extra=action(Action.PUBLISH),
    response_model=Done | AlreadyApplied,
    summary="公示检查结果",
)
def publish(task_id: UUID, body: At, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.tasks.publish(command.actor(task_id), task_id, at=at, command_id=command_id)
        return Done()

    return command.run(body, apply)


class OpenFollowUp(CommandBody):
    model_config = _examples(
        {
            "target": "52130283MJ00000023",
            "problem": "疏散通道堆放杂物",
            "due": "2023-12-20",
            "at": "2023-11-20T15:00:00+08:00",
        }
    )
    target: str = Field(description="检查对象的统一社会信用代码")
    problem: str = Field(min_length=1, max_length=2000)
    due: date = Field(description="整改期限（或所责令措施的办理期限）")
    measure: str = Field(
        default=FollowUpMeasure.ORDER_RECTIFICATION.value,
        max_length=40,
        description="所责令的处置措施：责令改正（默认）、行政处罚、约谈、列入经营异常名录、"
        "列入严重违法失信名单",
    )


class FollowUpOpened(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"number": 1}]})
    number: int = Field(description="后续处置编号（本任务内）")


class Transfer(CommandBody):
    model_config = _examples(
        {
            "to": "迁安市市场监管局",
            "reason": "涉及无照经营线索，抄告市场监管部门",
            "at": "2023-12-14T09:00:00+08:00",
        }
    )
    to: str = Field(min_length=1, max_length=200, description="移送至（部门或司法机关）")
    reason: str = Field(min_length=1, max_length=2000)
    measure: str = Field(
        default=FollowUpMeasure.TRANSFER.value,
        max_length=40,
        description="移交方式：移送（默认）、抄告、反馈日常监管部门",
    )


class CloseFollowUp(CommandBody):
    model_config = _examples({"outcome": "已清理，复查合格", "at": "2023-12-05T09:00:00+08:00"})
    outcome: str = Field(min_length=1, max_length=2000, description="整改结果")
    measure: str | None = Field(
        default=None, max_length=40, description="办结时另行采取的处置措施（如行政处罚），可不填"
    )


@router.post(
    "/follow-ups",
    openapi_extra=action(Action.OPEN_FOLLOW_UP),
    response_model=FollowUpOpened | AlreadyApplied,
    status_code=201,
    summary="开启后续处置（责令改正等处置措施）",
)
def open_follow_up(task_id: UUID, body: OpenFollowUp, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> FollowUpOpened:
        number = command.service.tasks.open_follow_up(
            command.actor(task_id),
            task_id,
            body.target,
            body.problem,
            body.due,
            at=at,
            measure=body.measure,
            command_id=command_id,
        )
        return FollowUpOpened(number=number)

    return command.run(body, apply, status=201)


@router.post(
    "/follow-ups/{number}/transfer",
    openapi_extra=action(Action.TRANSFER_FOLLOW_UP),
    response_model=Done | AlreadyApplied,
    summary="移送后续处置",
)
def transfer_follow_up(
    task_id: UUID, body: Transfer, number: FollowUpNumber, command: CommandDep
) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.tasks.transfer_follow_up(
            command.actor(task_id),
            task_id,
            number,
            body.to,
            body.reason,
            at=at,
            measure=body.measure,
            command_id=command_id,
        )
        return Done()

    return command.run(body, apply)


@router.post(
    "/follow-ups/{number}/close",
    openapi_extra=action(Action.CLOSE_FOLLOW_UP),
    response_model=Done | AlreadyApplied,
    summary="办结后续处置",
)
def close_follow_up(
    task_id: UUID, body: CloseFollowUp, number: FollowUpNumber, command: CommandDep
) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.tasks.close_follow_up(
            command.actor(task_id),
            task_id,
            number,
            body.outcome,
            at=at,
            measure=body.measure,
            command_id=command_id,
        )
        return Done()

    return command.run(body, apply)


@router.post(
    "/close",
    openapi_extra=action(Action.CLOSE_TASK),
    response_model=Done | AlreadyApplied,
    summary="结案",
)
def close_task(task_id: UUID, body: At, command: CommandDep) -> Any:
    def apply(command_id: UUID | None, at: Any) -> Done:
        command.service.tasks.close_task(
            command.actor(task_id), task_id, at=at, command_id=command_id
        )
        return Done()

    return command.run(body, apply)


# ---------------------------------------------------------------------------- the office's deadline checks
class Counted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"count": 1}]})
    count: int = Field(description="记录的逾期或计算的期限个数")


@router.post(
    "/deadline-check",
    openapi_extra=action(Action.CHECK_DEADLINES),
    response_model=Counted | AlreadyApplied,
    summary="检查期限（记录逾期）",
)
def check_deadlines(task_id: UUID, body: At, command: CommandDep) -> Any:
    """双随机办检查该任务已过的确认和结果录入期限，记录逾期并上报。"""

    def apply(command_id: UUID | None, at: Any) -> Counted:
        count = command.service.tasks.check_deadlines(command.actor(task_id), task_id, at=at)
        return Counted(count=count)

    return command.run(body, apply)


@router.post(
    "/held-deadlines",
    openapi_extra=action(Action.COUNT_HELD_DEADLINES),
    response_model=Counted | AlreadyApplied,
    summary="计算待补充日历的期限",
)
def count_held_deadlines(task_id: UUID, body: At, command: CommandDep) -> Any:
    """导入该年日历后，计算暂缓的派发和结果录入期限。"""

    def apply(command_id: UUID | None, at: Any) -> Counted:
        count = command.service.tasks.count_held_deadlines(command.actor(task_id), task_id, at=at)
        return Counted(count=count)

    return command.run(body, apply)
