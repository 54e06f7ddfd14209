"""What travels on the bus: versioned JSON documents, described here by pydantic models.

Another department's system reads and writes them without our code: every document names its
schema (`ssj.event/1`, `ssj.cmd/1`, …), times are ISO 8601 with their zone, ids are strings, and
`python -m adapters.nats.messages` prints the JSON Schema of each. A command sent on the bus must
carry `schema` and `command`; only Python code building one here may leave them out. What the
service sends always has every field, and its schema says so. deploy/nats/README.md has the rest
of what a department's system must do: Nats-Msg-Id, `at`, repeats.

Subjects (DESIGN.md, "Message bus"):

| subject                              | document        | who reads it                     |
| ------------------------------------ | --------------- | -------------------------------- |
| ssj.events.<Aggregate>.<Event>       | EventDocument   | auditors, projections            |
| ssj.dept.<dept>.tasks.<task>         | DeptNotice      | the department                   |
| ssj.dept.<dept>.receipts             | Receipt         | the department that sent         |
| ssj.office.escalations               | Escalation      | the coordinating office (双随机办) |
| ssj.cmd.<dept>.<command>             | Command         | the service's intake             |
| ssj.dead.cmd.<dept>.<command>        | DeadLetter      | the office, the operators        |
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, date
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    model_validator,
)

if TYPE_CHECKING:
    from domain.task import RecordSheet


class Document(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_serialization_defaults_required=True
    )

    def to_bytes(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()


# ---------------------------------------------------------------------------- what the service says
class EventDocument(Document):
    """Every stored event, as stored: the global log in order, one message per event."""

    schema_: Literal["ssj.event/1"] = Field(default="ssj.event/1", alias="schema")
    id: str = Field(description="ssj:<position>; also the message's Nats-Msg-Id")
    position: int = Field(description="The event's position in the global log")
    aggregate: str = Field(description="Task, Plan, TargetDirectory, InspectorDirectory")
    aggregate_id: UUID
    version: int
    type: str = Field(description="The event's name, e.g. TaskDispatched")
    timestamp: AwareDatetime
    data: dict[str, Any] = Field(description="The event's own fields, as JSON values")
    omitted: int | None = Field(
        default=None,
        description="Set when the event was too big for one message (the server's max_payload, "
        "e.g. a draw over millions of targets): `data` is then empty and this is the size in "
        "bytes the whole document would have had; read the event from the log (ssj audit export)",
    )


NoticeKind = Literal[
    "dispatched", "dispatch_held", "sheets", "confirmation_overdue", "result_overdue"
]


class CheckItemDocument(Document):
    """One 抽查事项 (domain/directory.py `CheckItem`) of a record sheet."""

    code: str
    name: str
    legal_basis: str = ""
    method: str = ""


class RecordSheetDocument(Document):
    """一企一表 (domain/task/groups.py `RecordSheet`) as one department receives it: the target, the
    joint group, and the department's own inspectors and check items."""

    target: str = Field(description="The target's 统一社会信用代码")
    name: str
    group: int = Field(description="0, 1, …: shown to staff as 第 group+1 组")
    inspectors: list[str]
    items: list[CheckItemDocument]

    @classmethod
    def of(cls, sheet: RecordSheet, department: str) -> RecordSheetDocument:
        """What another department checks, and who for it, is left out: that is its business."""
        return cls(
            target=sheet.target,
            name=sheet.name,
            group=sheet.group,
            inspectors=list(sheet.inspectors.get(department, ())),
            items=[
                CheckItemDocument.model_validate(item.as_record())
                for item in sheet.items.get(department, ())
            ],
        )


class DeptNotice(Document):
    """What one department must see and do on one task."""

    schema_: Literal["ssj.dept/1"] = Field(default="ssj.dept/1", alias="schema")
    id: str = Field(description="ssj:<position>:<department>; also the Nats-Msg-Id")
    position: int
    task_id: UUID
    department: str
    kind: NoticeKind = Field(
        description="dispatched: confirm by `deadline`; dispatch_held: the dispatch waits until "
        "the calendar of `year` is loaded (待补充该年工作日历); sheets: the 一企一表 of the "
        "department's inspectors; confirmation_overdue / result_overdue: a deadline passed, the "
        "office is told"
    )
    deadline: date | None = None
    year: int | None = Field(default=None, description="dispatch_held: the calendar awaited")
    targets: list[str] = Field(default_factory=list)
    sheets: list[RecordSheetDocument] = Field(default_factory=list)
    at: AwareDatetime
    omitted: int | None = Field(
        default=None,
        description="Set when the targets and sheets were too many for one message (the "
        "server's max_payload): both lists are then empty and this is the size in bytes the "
        "whole notice would have had; read them from the department's inbox (HTTP API or console)",
    )


class Escalation(Document):
    """A deadline that passed, or one that cannot be counted yet, for the coordinating office."""

    schema_: Literal["ssj.escalation/1"] = Field(default="ssj.escalation/1", alias="schema")
    id: str = Field(description="ssj:<position>:office; also the Nats-Msg-Id")
    position: int
    task_id: UUID
    department: str
    kind: Literal[
        "confirmation_overdue", "result_overdue", "dispatch_held", "results_deadline_held"
    ] = Field(
        description="a deadline passed; or a dispatch, or a visit's results deadline, waits for "
        "the calendar of `year` (待补充该年工作日历)"
    )
    target: str | None = None
    deadline: date | None = None
    year: int | None = None
    at: AwareDatetime


class RefusalDocument(Document):
    error: str = Field(description="The error's name, e.g. AlreadyAnsweredError")
    field: str | None = Field(default=None, description="The field at fault, when one is")
    message: str


class Receipt(Document):
    """The answer to one command: done (with its answer, if any) or refused (with the reason)."""

    schema_: Literal["ssj.receipt/1"] = Field(default="ssj.receipt/1", alias="schema")
    command_id: UUID
    department: str
    command: str
    status: Literal["done", "refused"]
    duplicate: bool = Field(
        default=False, description="The command had been applied already: nothing was done again"
    )
    answer: Any = None
    refusal: RefusalDocument | None = None


class DeadLetter(Document):
    """A command message the intake could not use, and why; the original bytes are kept."""

    schema_: Literal["ssj.dead/1"] = Field(default="ssj.dead/1", alias="schema")
    subject: str
    reason: str
    deliveries: int
    payload: str = Field(description="The message as received (UTF-8, undecodable bytes replaced)")


# ---------------------------------------------------------------------------- what departments say
class CommandBase(Document):
    """`schema` and `command` are required on the wire: the intake refuses a document without
    them, naming the field. Python code may leave them out when it builds a command."""

    schema_: Literal["ssj.cmd/1"] = Field(alias="schema")
    command_id: UUID = Field(
        description="Chosen by the sender, once per command: a repeat with the same content is "
        "answered with the first receipt, one with other content is refused (field command_id)"
    )
    department: str = Field(description="Must be the department of the subject it is sent on")
    task_id: UUID
    at: AwareDatetime | None = Field(
        default=None,
        description="When it happened; the service's clock at intake if absent. Never earlier "
        "than the task's latest recorded moment",
    )

    @model_validator(mode="before")
    @classmethod
    def _named_in_python(cls, data: Any, info: ValidationInfo) -> Any:
        """The constants a command built in Python need not repeat; JSON must carry them."""
        if info.mode != "python" or not isinstance(data, dict):
            return data
        constants = {"schema": "ssj.cmd/1"}
        if "command" in cls.model_fields:
            [name] = get_args(cls.model_fields["command"].annotation)
            constants["command"] = name
        return {**constants, **data}


class Confirm(CommandBase):
    command: Literal["confirm"]


class Decline(CommandBase):
    command: Literal["decline"]
    reason: str


class DrawInspectors(CommandBase):
    command: Literal["draw_inspectors"]


class RecordVisit(CommandBase):
    command: Literal["record_visit"]
    target: str
    signed: bool
    note: str = ""
    on_site_reason: str = Field(
        default="",
        description="why an off-site check would not do; required where the task's items allow "
        "one (国办发〔2024〕54号)",
    )


class RecordResult(CommandBase):
    command: Literal["record_result"]
    target: str
    category: str
    findings: dict[str, str]


class CorrectResult(CommandBase):
    command: Literal["correct_result"]
    target: str
    category: str
    findings: dict[str, str]
    reason: str


class OpenFollowUp(CommandBase):
    command: Literal["open_follow_up"]
    target: str
    problem: str
    due: date
    measure: str = Field(
        default="责令改正",
        max_length=40,
        description="the measure ordered (FollowUpMeasure: 责令改正, 行政处罚, 约谈 …); messages "
        "sent before it was named meant 责令改正",
    )


class CloseFollowUp(CommandBase):
    command: Literal["close_follow_up"]
    number: int
    outcome: str
    measure: str | None = Field(
        default=None, max_length=40, description="a further measure taken on closing, if any"
    )


Command = Annotated[
    Confirm
    | Decline
    | DrawInspectors
    | RecordVisit
    | RecordResult
    | CorrectResult
    | OpenFollowUp
    | CloseFollowUp,
    Field(discriminator="command"),
]
COMMAND = TypeAdapter(Command)
COMMAND_NAMES = (
    "confirm",
    "decline",
    "draw_inspectors",
    "record_visit",
    "record_result",
    "correct_result",
    "open_follow_up",
    "close_follow_up",
)


def parse_command(payload: bytes) -> Command:
    """Raises pydantic's ValidationError, which names each field at fault."""
    return COMMAND.validate_json(payload)


def command_digest(command: Command) -> str:
    """SHA-256 (hex) of what the command says, to tell a repeat from another command that reuses
    its id: every field as pydantic reads it (so key order, spacing and the spelling of a UUID do
    not count, and a field left to its default counts as that default), `at` as an instant (the
    same moment in another zone is the same), and `at` absent is not `at` given."""
    content = command.model_dump(mode="json", by_alias=True)
    if command.at is not None:
        content["at"] = command.at.astimezone(UTC).isoformat()
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# ---------------------------------------------------------------------------- subjects
def event_subject(aggregate: str, event: str) -> str:
    return f"ssj.events.{aggregate}.{event}"


def notice_subject(department: str, task_id: UUID) -> str:
    return f"ssj.dept.{department}.tasks.{task_id}"


def receipts_subject(department: str) -> str:
    return f"ssj.dept.{department}.receipts"


def command_subject(department: str, command: str) -> str:
    return f"ssj.cmd.{department}.{command}"


ESCALATIONS = "ssj.office.escalations"


def dead_letter_subject(subject: str) -> str:
    return f"ssj.dead.{subject.removeprefix('ssj.')}"


def json_schemas() -> dict[str, Any]:
    """What the service sends, as it writes it (every field present), and the commands, as
    the intake reads them (what may be left out has its default)."""
    documents: dict[str, Any] = {
        model.__name__: model.model_json_schema(by_alias=True, mode="serialization")
        for model in (EventDocument, DeptNotice, Escalation, Receipt, DeadLetter)
    }
    documents["Command"] = COMMAND.json_schema(by_alias=True)
    return documents


if __name__ == "__main__":
    json.dump(json_schemas(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
