"""A command message as the intake received it, and what becomes of it: the command to apply,
the receipt to send, or why it goes to the dead letters; with the words that say what is wrong."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from nats.aio.msg import Msg
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from adapters.nats.messages import (
    COMMAND_NAMES,
    Command,
    DeadLetter,
    Receipt,
    RefusalDocument,
    command_digest,
    dead_letter_subject,
    parse_command,
    receipts_subject,
)
from domain.errors import InvalidValueError

Status = Literal["done", "refused"]


@dataclass
class Delivery:
    """One message of a batch, and what becomes of it."""

    message: Msg
    department: str | None
    """From the subject, when it is `ssj.cmd.<dept>.…`: receipts go to that department."""
    command: Command | None = None
    """Set when the message is a command to apply (or to answer from the store)."""
    receipt: Receipt | None = None
    judged: bool = False
    """The receipt is the intake's own answer, given now: `ssj_receipts` keeps it for repeats."""
    dead: str | None = None
    """Why the message goes to the dead letters."""
    failure: Exception | None = None
    """Why it could not be handled this time: it is delivered again (or, the last time, dead)."""

    @property
    def sequence(self) -> int:
        return self.message.metadata.sequence.stream

    @property
    def deliveries(self) -> int:
        return self.message.metadata.num_delivered

    def answer(self, command: Command, status: Status, **receipt: Any) -> None:
        self.receipt = Receipt(
            command_id=command.command_id,
            department=self.department or command.department,
            command=command.command,
            status=status,
            **receipt,
        )

    def refuse(self, command: Command, error: Exception) -> None:
        self.answer(command, "refused", refusal=refusal_of(error))

    def fail(self, error: Exception) -> None:
        self.receipt, self.judged, self.failure = None, False, error


@dataclass(frozen=True)
class Known:
    """What the store knows of a command id."""

    receipt: Receipt | None
    applied: bool
    digest: str | None = None
    """command_digest of the command the receipt answered; None for a receipt stored before the
    intake kept digests, whose command can no longer be compared."""


REUSED = "本部门未用过的指令编号：该编号已用于另一条内容不同的指令"


# ---------------------------------------------------------------------------- one message
def read(message: Msg) -> Delivery:
    """The message's department and command; or why it cannot be applied."""
    tokens = message.subject.split(".")
    department = tokens[2] if len(tokens) >= 3 and tokens[:2] == ["ssj", "cmd"] else ""
    delivery = Delivery(message, department or None)
    named = tokens[3] if len(tokens) == 4 else None
    try:
        command = parse_command(message.data)
    except ValidationError as error:
        faults = faults_of(error)
        delivery.dead = "；".join(f"{field}: {problem}" for field, problem in faults)
        command_id, sent = peek(message.data)
        if department and command_id:
            delivery.receipt = Receipt(
                command_id=command_id,
                department=department,
                command=sent or named or "",
                status="refused",
                refusal=RefusalDocument(
                    error=InvalidValueError.__name__, field=faults[0][0], message=delivery.dead
                ),
            )
        return delivery
    if not department or named is None:
        delivery.dead = f"subject: 应为 ssj.cmd.<部门>.<指令>（收到 {message.subject!r}）"
        if department:
            delivery.refuse(
                command, InvalidValueError("subject", "ssj.cmd.<部门>.<指令>", message.subject)
            )
    elif command.department != department:
        # Not stored: the same command id, sent again as it should be, is applied.
        delivery.refuse(
            command,
            InvalidValueError("department", f"发送主题中的部门 {department}", command.department),
        )
    elif command.command != named:
        delivery.refuse(
            command, InvalidValueError("command", f"发送主题中的指令 {named}", command.command)
        )
    else:
        delivery.command = command
    return delivery


def repeat(delivery: Delivery, command: Command, known: Known) -> None:
    """A command id the store knows: the same command again gets its first receipt, marked
    duplicate; another command under that id is refused, and nothing is applied."""
    if known.receipt is None:
        # Applied, and the intake stopped before its receipt (and digest) was stored: what the
        # first command said is not known, so this one cannot be told apart from it.
        delivery.answer(command, "done", duplicate=True)
    elif known.receipt.department != delivery.department:
        # Another department's command id: its answer is not this department's to read.
        delivery.refuse(
            command,
            InvalidValueError("command_id", "本部门未用过的指令编号", str(command.command_id)),
        )
    elif known.digest is not None and known.digest != command_digest(command):
        delivery.refuse(command, InvalidValueError("command_id", REUSED))
    else:
        delivery.receipt = known.receipt.model_copy(update={"duplicate": True})


def echo(delivery: Delivery, command: Command, first: Delivery, sent_first: Command) -> None:
    """A command id twice in one batch: the first (in the order sent) was applied; this one
    shares its fate if it says the same, and is refused if it says something else."""
    if command_digest(command) != command_digest(sent_first):
        delivery.refuse(command, InvalidValueError("command_id", REUSED))
    elif first.receipt is None:
        delivery.failure = first.failure
    else:
        delivery.receipt = first.receipt.model_copy(update={"duplicate": True})


def give_up(delivery: Delivery, error: Exception) -> None:
    """The last delivery failed too: the office sees why, the department that it is not known
    to be done. Nothing is stored: the same command id, sent again, is applied at most once."""
    delivery.dead = f"处理 {delivery.deliveries} 次均未成功：{type(error).__name__}: {error}"
    if delivery.command is not None:
        delivery.answer(
            delivery.command,
            "refused",
            refusal=RefusalDocument(
                error=type(error).__name__,
                message=f"指令{delivery.dead}。是否已执行未能确认，已转入死信；"
                "请稍后以同一 command_id 重新发送，同一指令至多执行一次",
            ),
        )
    delivery.failure = None


def outgoing(delivery: Delivery) -> list[tuple[str, str, bytes]]:
    """(subject, Nats-Msg-Id, payload) of what the delivery sends: the same ids on redelivery,
    so that the server keeps each once."""
    message = delivery.message
    sent = []
    if delivery.dead is not None:
        letter = DeadLetter(
            subject=message.subject,
            reason=delivery.dead,
            deliveries=delivery.deliveries,
            payload=message.data.decode("utf-8", errors="replace"),
        )
        sent.append(
            (dead_letter_subject(message.subject), f"dead:{delivery.sequence}", letter.to_bytes())
        )
    if delivery.receipt is not None and delivery.department is not None:
        # One answer per message, not per command id: a command sent again on purpose gets its
        # answer in the stream too, which a department reading its durable consumer waits for.
        message_id = f"receipt:{delivery.receipt.command_id}:{delivery.sequence}"
        sent.append(
            (receipts_subject(delivery.department), message_id, delivery.receipt.to_bytes())
        )
    return sent


def refusal_of(error: Exception) -> RefusalDocument:
    field = getattr(error, "field", None)
    return RefusalDocument(
        error=type(error).__name__,
        field=field if isinstance(field, str) else None,
        message=str(error),
    )


def peek(payload: bytes) -> tuple[UUID | None, str | None]:
    """The command id and name of an unusable document, if they can be read, to answer it."""
    try:
        document = json.loads(payload)
        command_id = UUID(str(document["command_id"]))
    except (ValueError, TypeError, KeyError):
        return None, None
    command = document.get("command")
    return command_id, command if isinstance(command, str) else None


# ---------------------------------------------------------------------------- pydantic's words
_COMMANDS = "、".join(COMMAND_NAMES)
_PROBLEMS = {
    "missing": "缺少此必填字段",
    "extra_forbidden": "不是该指令的字段",
    "json_invalid": "应为 UTF-8 编码的 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "union_tag_not_found": f"缺少此字段，应为以下指令之一：{_COMMANDS}",
    "union_tag_invalid": f"应为以下指令之一：{_COMMANDS}",
    "string_type": "应为字符串",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
}
_BY_PREFIX = (
    ("uuid_", "应为 UUID，例如 7d3f1e6a-5b2c-4e8f-9a01-2c3d4e5f6a7b"),
    ("datetime_", "应为带时区的时间，例如 2023-11-01T09:00+08:00"),
    ("timezone_", "应为带时区的时间，例如 2023-11-01T09:00+08:00"),
    ("date_", "应为日期，例如 2023-12-20"),
)
_NOT_SHOWN = {"missing", "extra_forbidden", "json_invalid", "union_tag_not_found"}


def faults_of(error: ValidationError) -> list[tuple[str, str]]:
    """(field, what was wrong) for each fault, in the words the departments read elsewhere."""
    return [_fault(detail) for detail in error.errors(include_url=False)] or [("payload", "")]


def _fault(detail: ErrorDetails) -> tuple[str, str]:
    kind = detail["type"]
    location = [str(part) for part in detail["loc"]]
    if location and location[0] in COMMAND_NAMES:
        location = location[1:]  # the command's name, by which pydantic chose the document
    field = "command" if kind.startswith("union_tag") else ".".join(location) or "payload"
    problem = _PROBLEMS.get(kind) or next(
        (words for prefix, words in _BY_PREFIX if kind.startswith(prefix)), None
    )
    if problem is None:
        expected = (detail.get("ctx") or {}).get("expected")
        problem = f"应为 {expected}" if kind == "literal_error" else detail["msg"]
    got = detail.get("input")
    if kind == "union_tag_invalid":
        got = (detail.get("ctx") or {}).get("tag")
    if kind not in _NOT_SHOWN and isinstance(got, str | int | float | bool):
        problem += f"（收到 {str(got)[:60]!r}）" if isinstance(got, str) else f"（收到 {got!r}）"
    return field, problem
