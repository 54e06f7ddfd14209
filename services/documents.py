"""Documents: 文书 made from the log, recorded with their SHA-256, and checked against that record.

A document is made in two steps by a maker the composition root gives (adapters/documents): it
*gathers* what it prints through a `Source`, which reads aggregates of the log and remembers each
one and its version, then it *renders* those facts into bytes. The code printed on the document
is derived from what was read (domain/document.py `code_for`), so it is known before the bytes;
the bytes' hash is recorded with the inputs in `IssuedDocument.Issued`. Rebuilding reads the same
aggregates at the recorded versions and must give the same bytes: an auditor compares the hashes.

Nothing here reads the clock for a document: its date is the business time of the latest event
it was made from. Issuing the same document again from an unchanged log gives the same code, so
the same record: nothing is appended twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Notification
from eventsourcing.utils import get_topic

from domain.directories import InspectorDirectory, TargetDirectory
from domain.document import Input, IssuedDocument, checked_code, checked_sha256, code_for
from domain.errors import InvalidValueError
from domain.plan import Plan
from domain.task import Task
from services.actors import Actor, Role
from services.clock import TimeGuard
from services.errors import NotFoundError, ServiceError
from services.log import raw_log
from services.permissions import NOBODY, Action, Parties, allows, require
from services.store import SsjApplication
from services.tasks import Tasks, parties_of

A = TypeVar("A", bound=Aggregate)


# ---------------------------------------------------------------------------- what a document is about
@dataclass(frozen=True)
class Subject:
    """What a document is about; each kind names which of these it needs (kinds.py)."""

    task: UUID | None = None
    target: str | None = None
    """A target's credit code, of `task`."""
    plan: UUID | None = None
    year: int | None = None
    department: str | None = None
    """For a document of one department (its 台账, its statistics)."""

    def as_record(self) -> dict[str, str]:
        values = {
            "task": self.task,
            "target": self.target,
            "plan": self.plan,
            "year": self.year,
            "department": self.department,
        }
        return {k: str(v) for k, v in values.items() if v is not None}

    @classmethod
    def from_record(cls, record: Mapping[str, str]) -> Subject:
        def uuid(key: str) -> UUID | None:
            value = record.get(key)
            if value is None:
                return None
            try:
                return UUID(str(value))
            except ValueError:
                raise InvalidValueError(key, "编号（UUID）", value) from None

        year = record.get("year")
        if year is not None and not str(year).isdigit():
            raise InvalidValueError("year", "年度，例如 2023", year)
        return cls(
            task=uuid("task"),
            target=record.get("target"),
            plan=uuid("plan"),
            year=int(year) if year is not None else None,
            department=record.get("department"),
        )


@dataclass(frozen=True)
class Stamp:
    """What every copy of one document carries besides its facts."""

    code: str
    url: str
    """Where anyone checks a copy: <public base URL>/check/<code>."""
    dated: datetime
    """The document's date: the time of its latest input event."""


# ---------------------------------------------------------------------------- reading the log for a document
class Source:
    """The log as a document reads it: every aggregate read is remembered with its version, so
    the document can name its inputs. Pinned to recorded versions, it reads exactly those."""

    def __init__(self, tasks: Tasks, pinned: Mapping[str, int] | None = None) -> None:
        self._tasks = tasks
        self._directories = tasks.directories
        self._pinned = dict(pinned) if pinned is not None else None
        self._read: dict[str, Input] = {}
        self._latest: list[datetime] = []

    @property
    def pinned(self) -> bool:
        return self._pinned is not None

    def _get(
        self,
        app: SsjApplication,
        kind: type[A],
        aggregate_id: UUID,
        what: str,
        version: int | None = None,
    ) -> A:
        """The aggregate as of `version` (a version another record names, such as the inspector
        directory a draw was made from), else as it stands; pinned, as recorded."""
        key = str(aggregate_id)
        if key in self._read:
            return app.load(kind, aggregate_id, what, self._read[key].version)
        if self._pinned is not None:
            version = self._pinned.get(key, version)
        aggregate = app.load(kind, aggregate_id, what, version)
        self._read[key] = Input(key, what, aggregate.version)
        last = next(
            iter(
                app.repository.event_store.get(
                    aggregate_id, lte=aggregate.version, desc=True, limit=1
                )
            )
        )
        last_at: Any = getattr(last, "at", None) or vars(last).get("timestamp")
        self._latest.append(cast(datetime, last_at))
        return aggregate

    def task(self, task_id: UUID) -> Task:
        return self._get(self._tasks, Task, task_id, "抽查任务")

    def plan(self, plan_id: UUID) -> Plan:
        return self._get(self._tasks, Plan, plan_id, "抽查工作计划")

    def inspectors(self, department: str, version: int | None = None) -> InspectorDirectory:
        """A department's inspectors; `version`: as of the version a draw names (names and
        certificates as they were when drawn, whatever changed since)."""
        return self._get(
            self._directories,
            InspectorDirectory,
            InspectorDirectory.id_for(department),
            f"{department} 执法检查人员名录库",
            version,
        )

    def targets(self, directory_id: UUID) -> TargetDirectory:
        return self._get(self._directories, TargetDirectory, directory_id, "抽查对象名录库")

    def planned_tasks(self) -> list[UUID]:
        """Every task planned in the log, in log order (pinned: those the document read)."""
        if self._pinned is not None:
            return [UUID(k) for k in self._pinned if self._is_task(UUID(k))]
        planned = (get_topic(Task.Planned),)
        return [
            row.originator_id
            for row in raw_log(self._tasks.recorder, topics=planned)
            if isinstance(row, Notification) and isinstance(row.originator_id, UUID)
        ]

    def _is_task(self, aggregate_id: UUID) -> bool:
        first = next(iter(self._tasks.repository.event_store.get(aggregate_id, limit=1)), None)
        return isinstance(first, Task.Planned)

    @property
    def inputs(self) -> tuple[Input, ...]:
        return tuple(sorted(self._read.values()))

    @property
    def dated(self) -> datetime:
        if not self._latest:
            raise InvalidValueError("inputs", "至少一个据以生成文书的记录", None)
        return max(self._latest)


# ---------------------------------------------------------------------------- the port to the makers
class DocumentMaker(Protocol):
    """Makes each kind of document (adapters/documents/kinds.py is the real one)."""

    def describe(self, kind: str, fmt: str, subject: Subject) -> str:
        """The document's Chinese title; refuses (InvalidValueError) an unknown kind, a format
        the kind has not, or a subject without what the kind needs."""
        ...

    def gather(self, kind: str, subject: Subject, source: Source) -> object:
        """The facts the document prints, read through `source` only."""
        ...

    def render(self, kind: str, fmt: str, facts: object, stamp: Stamp) -> bytes:
        """The bytes: the same facts and stamp always give the same bytes."""
        ...


# ---------------------------------------------------------------------------- answers
@dataclass(frozen=True)
class DocumentRecord:
    """A recorded document, as the log holds it."""

    code: str
    kind: str
    title: str
    format: str
    subject: dict[str, str]
    inputs: tuple[Input, ...]
    dated: datetime
    sha256: str
    size: int
    url: str
    by: str
    department: str
    issued_at: datetime
    position: int | None = None
    """Its place in the global log, where known."""

    @classmethod
    def of(cls, document: IssuedDocument, position: int | None = None) -> DocumentRecord:
        return cls(
            code=document.code,
            kind=document.kind,
            title=document.title,
            format=document.format,
            subject=dict(document.subject),
            inputs=document.input_versions,
            dated=document.dated,
            sha256=document.sha256,
            size=document.size,
            url=document.url,
            by=document.by,
            department=document.department,
            issued_at=document.issued_at,
            position=position,
        )


@dataclass(frozen=True)
class IssuedCopy:
    record: DocumentRecord
    content: bytes
    appended: bool
    """Whether this issue recorded the document (False: it was recorded before, same bytes)."""


@dataclass(frozen=True)
class CheckAnswer:
    """What anyone learns by checking a copy: whether it is the recorded document."""

    code: str
    found: bool
    matches: bool | None = None
    """None when no copy or hash was given."""
    title: str = ""
    dated: datetime | None = None
    department: str = ""
    sha256: str = ""
    given: str = ""
    """The SHA-256 of the copy checked."""


@dataclass(frozen=True)
class Rebuilt:
    record: DocumentRecord
    content: bytes
    sha256: str
    same_inputs: bool
    differences: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return self.same_inputs and self.sha256 == self.record.sha256


class DocumentMismatchError(ServiceError):
    """The same inputs gave other bytes than recorded: the makers are not reproducible."""

    field = "document"

    def __init__(self, code: str, recorded: str, made: str) -> None:
        super().__init__(
            f"document: 文书 {code} 按相同记录重新生成的 SHA-256 {made} 与登记的 {recorded} 不符"
        )


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# ---------------------------------------------------------------------------- the application
class Documents(SsjApplication):
    def __init__(
        self,
        tasks: Tasks,
        maker: DocumentMaker,
        guard: TimeGuard,
        base_url: str,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.tasks = tasks
        self.maker = maker
        self.guard = guard
        self.base_url = base_url.rstrip("/")
        super().__init__(env, recorder=tasks.recorder)

    def check_url(self, code: str) -> str:
        return f"{self.base_url}/check/{code}"

    # ------------------------------------------------------------------ issue
    def _require_issue(self, actor: Actor, subject: Subject) -> None:
        """Task documents go to the task's parties (a target's inspectors too); a plan's to
        its department; a year's (statistics) to the office."""
        if subject.task is not None:
            task = self.tasks.load(Task, subject.task, "抽查任务")
            require(actor, Action.ISSUE_DOCUMENT, parties_of(task, subject.target))
        elif subject.plan is not None:
            plan = self.tasks.load(Plan, subject.plan, "抽查工作计划")
            require(actor, Action.ISSUE_DOCUMENT, Parties(lead=plan.department))
        elif subject.department is not None:
            require(actor, Action.ISSUE_DOCUMENT, Parties(lead=subject.department))
        else:
            require(actor, Action.ISSUE_DOCUMENT, NOBODY)

    def issue(
        self, actor: Actor, kind: str, fmt: str, subject: Subject, *, at: datetime
    ) -> IssuedCopy:
        """Make the document from the log as it stands and record it; the same document again
        from an unchanged log is the recorded one, not a second record."""
        self.guard.admit(at)
        title = self.maker.describe(kind, fmt, subject)
        self._require_issue(actor, subject)
        source = Source(self.tasks)
        facts = self.maker.gather(kind, subject, source)
        inputs, dated = source.inputs, source.dated
        code = code_for(kind, fmt, subject.as_record(), inputs)
        url = self.check_url(code)
        content = self.maker.render(kind, fmt, facts, Stamp(code, url, dated))
        digest = sha256_of(content)
        known = self._recorded(code)
        if known is not None:
            if known.sha256 != digest:
                raise DocumentMismatchError(code, known.sha256, digest)
            return IssuedCopy(DocumentRecord.of(known), content, appended=False)
        document = IssuedDocument.issue(
            kind=kind,
            title=title,
            fmt=fmt,
            subject=subject.as_record(),
            inputs=inputs,
            dated=dated,
            sha256=digest,
            size=len(content),
            url=url,
            by=str(actor),
            department=actor.department or "",
            at=at,
        )
        try:
            self.save(document)
        except IntegrityError:  # issued at the same moment by another: the same document
            recorded = self._recorded(code)
            if recorded is None:
                raise
            return IssuedCopy(DocumentRecord.of(recorded), content, appended=False)
        return IssuedCopy(DocumentRecord.of(document), content, appended=True)

    # ------------------------------------------------------------------ read the records
    def _recorded(self, code: str) -> IssuedDocument | None:
        try:
            return self.load(IssuedDocument, IssuedDocument.id_for(code), "文书")
        except NotFoundError:
            return None

    def record(self, actor: Actor, code: str) -> DocumentRecord:
        require(actor, Action.CHECK_DOCUMENT)
        code = checked_code(code)
        document = self._recorded(code)
        if document is None:
            raise NotFoundError("文书核验码", code)
        found = DocumentRecord.of(document)
        if not allows(actor, Action.READ_HISTORY):
            # Anyone may read the record of a code, but never an inspector's id (DESIGN.md,
            # Security): `by` is str(Actor), "部门（角色） 执法证号"; the part before the id stays.
            found = replace(found, by=found.by.partition(" ")[0])
        return found

    def issued(self, actor: Actor) -> list[DocumentRecord]:
        """Every recorded document in log order: the office and the auditor see all, a
        department the ones it issued."""
        require(actor, Action.LIST_TASKS, Parties(owner=actor.department))
        mine = actor.role not in (Role.OFFICE, Role.AUDITOR)
        return [r for r in self._all() if not mine or r.department == actor.department]

    def _all(self) -> Iterator[DocumentRecord]:
        topics = (get_topic(IssuedDocument.Issued),)
        for row in raw_log(self.recorder, topics=topics):
            if isinstance(row, Notification):
                document = self.mapper.to_domain_event(row)
                aggregate = cast(IssuedDocument, cast(Any, document).mutate(None))
                yield DocumentRecord.of(aggregate, row.id)

    # ------------------------------------------------------------------ check a copy
    def check(
        self,
        actor: Actor,
        code: str,
        *,
        content: bytes | None = None,
        sha256: str | None = None,
    ) -> CheckAnswer:
        """Anyone may check a copy (or its SHA-256) against the record of its code; the answer
        tells what the document is, never what it was made from."""
        require(actor, Action.CHECK_DOCUMENT)
        code = checked_code(code)
        document = self._recorded(code)
        given = ""
        if content is not None:
            given = sha256_of(content)
        elif sha256 is not None and sha256.strip():
            given = checked_sha256(sha256)
        if document is None:
            return CheckAnswer(code, found=False, given=given)
        return CheckAnswer(
            code,
            found=True,
            matches=(given == document.sha256) if given else None,
            title=document.title,
            dated=document.dated,
            department=document.department,
            sha256=document.sha256,
            given=given,
        )

    # ------------------------------------------------------------------ the auditor's rebuild
    def rebuild(self, actor: Actor, code: str) -> Rebuilt:
        """Make the recorded document again from its inputs at their recorded versions."""
        require(actor, Action.READ_HISTORY)
        record = self.record(actor, code)
        subject = Subject.from_record(record.subject)
        source = Source(self.tasks, {i.aggregate: i.version for i in record.inputs})
        facts = self.maker.gather(record.kind, subject, source)
        differences = []
        if source.inputs != record.inputs:
            differences.append(
                "据以生成的记录不同：登记 "
                + "、".join(f"{i.what}@{i.version}" for i in record.inputs)
                + "，重新读取 "
                + "、".join(f"{i.what}@{i.version}" for i in source.inputs)
            )
        stamp = Stamp(record.code, record.url, record.dated)
        content = self.maker.render(record.kind, record.format, facts, stamp)
        digest = sha256_of(content)
        if digest != record.sha256:
            differences.append(f"SHA-256 不同：登记 {record.sha256}，重新生成 {digest}")
        return Rebuilt(record, content, digest, source.inputs == record.inputs, differences)


__all__ = [
    "CheckAnswer",
    "DocumentMaker",
    "DocumentMismatchError",
    "DocumentRecord",
    "Documents",
    "IssuedCopy",
    "Rebuilt",
    "Source",
    "Stamp",
    "Subject",
    "sha256_of",
]
