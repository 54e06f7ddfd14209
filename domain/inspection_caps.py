"""国办发〔2024〕54号: no more than a set number of inspections of one enterprise a year.

The office sets, per year, a cap per department (教育局 inspects the same enterprise at most once
a year) and a cap across departments; an exemption keeps a target in the draws despite its caps,
for a reason of a named kind (a complaint, a referral, the enterprise's own request…).

When a task commits its seed, the population leaves out (`exclusions`):

- a target whose caps are reached: counting the year's draws made before the commitment that
  contain it, each department of a drawing task counts one draw for itself, and a task (joint or
  not) counts once towards the total; tasks whose visits of the target the office merged into
  one joint visit (进一次门、查多项事, `JointVisit.Merged` logged before the commitment) are one
  entry through the enterprise's door: once in the total, and once for each department taking
  part in any of them;
- a target drawn within the task's exclusion period (`exclusion_days` before the commitment's
  day) by a task sharing one of its departments: the period is the task's own rule about its
  departments' repeated checks; what other departments do is the office's total cap's business;

unless an exemption for the target and year (and, when it names them, this task or one of its
departments) keeps it in: a complaint or a referral is a reason to go again whatever was done.

A draw counts, not a visit: the draw is the recorded, public fact an outsider re-reads, and a
drawn target is already due to be inspected. Everything here is a pure function of values the
log holds, so the exclusions recorded in `SeedCommitted` can be recomputed and checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidValueError
from domain.values import department_code, local_day, moment, text


class ExemptionKind(StrEnum):
    """Why a target may be inspected beyond its caps."""

    COMPLAINT = "投诉举报"
    REFERRAL = "转办交办"
    MONITORING = "数据监测"
    ENTERPRISE_REQUEST = "企业申请"
    SUPERIOR_DEPLOYMENT = "上级部署"
    OTHER = "其他"

    @classmethod
    def of(cls, value: str) -> ExemptionKind:
        """By its Chinese word or its code (`complaint`)."""
        for kind in cls:
            if value in (kind.value, kind.name.lower()):
                return kind
        words = "、".join(f"{k.value}（{k.name.lower()}）" for k in cls)
        raise InvalidValueError("reason_kind", f"例外事由类别之一：{words}", value or None)


def _cap(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidValueError(field, "不小于 1 的整数（每年对同一企业的检查次数上限）", value)
    return value


def _year(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 2000 <= value <= 2100:
        raise InvalidValueError("year", "年份，例如 2027", value)
    return value


class InspectionCaps(Aggregate):
    """One year's caps and exemptions, set by the office (its id is the year's)."""

    class Opened(Aggregate.Created):
        year: int
        at: datetime

    @staticmethod
    def create_id(year: int, at: datetime) -> UUID:
        return InspectionCaps.id_for(year)

    @staticmethod
    def id_for(year: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"ssj:inspection-caps:{year}")

    @classmethod
    def open(cls, year: int, at: datetime) -> InspectionCaps:
        return cls(year=_year(year), at=moment(at))

    @event(Opened)
    def __init__(self, year: int, at: datetime) -> None:
        self.year = year
        self.departments: dict[str, int] = {}
        self.total: int | None = None
        self.exemptions: list[InspectionCaps.ExemptionGranted] = []

    class CapsSet(Aggregate.Event):
        """The caps in force from now on for the year: the whole set, replacing the last."""

        departments: dict[str, int]
        """Department -> most inspections of one enterprise this year by that department."""
        total: int | None
        """Most inspections of one enterprise this year by all departments; None: no cap."""
        at: datetime

        def apply(self, caps: InspectionCaps) -> None:
            caps.departments = dict(self.departments)
            caps.total = self.total

    def set_caps(self, departments: Mapping[str, int], total: int | None, at: datetime) -> None:
        checked = {
            department_code(d, f"departments.{d}"): _cap(n, f"departments.{d}")
            for d, n in departments.items()
        }
        if total is not None:
            _cap(total, "total")
        if not checked and total is None:
            raise InvalidValueError("departments", "至少一个部门的上限或总上限", None)
        self.trigger_event(
            self.CapsSet, departments=dict(sorted(checked.items())), total=total, at=moment(at)
        )

    class ExemptionGranted(Aggregate.Event):
        """A target stays in the year's draws despite its caps, for a stated reason."""

        credit_code: str
        department: str | None
        """Only for tasks this department takes part in; None: any."""
        task_id: UUID | None
        """Only for this task; None: any."""
        reason_kind: str
        reason: str
        granted_by: str
        """Who granted it: the office, or the lead department."""
        at: datetime

        def apply(self, caps: InspectionCaps) -> None:
            caps.exemptions.append(self)

    def grant_exemption(
        self,
        credit_code: str,
        reason_kind: str,
        reason: str,
        granted_by: str,
        at: datetime,
        department: str | None = None,
        task_id: UUID | None = None,
    ) -> None:
        kind = ExemptionKind.of(reason_kind.strip() if isinstance(reason_kind, str) else "")
        said = text(reason, "reason", "例外事由说明（例如举报编号和内容）")
        self.trigger_event(
            self.ExemptionGranted,
            credit_code=text(credit_code, "credit_code", "统一社会信用代码").upper(),
            department=department_code(department) if department else None,
            task_id=task_id,
            reason_kind=kind.value,
            reason=said,
            granted_by=granted_by,
            at=moment(at),
        )

    def in_force(self) -> YearCaps:
        return YearCaps(
            self.year,
            dict(self.departments),
            self.total,
            self.version,
            tuple(
                Exemption(
                    e.credit_code,
                    e.department,
                    e.task_id,
                    e.reason_kind,
                    e.reason,
                    e.originator_version,
                )
                for e in self.exemptions
            ),
        )


# ---------------------------------------------------------------------------- the rule
@dataclass(frozen=True)
class Exemption:
    credit_code: str
    department: str | None
    task_id: UUID | None
    reason_kind: str
    reason: str
    version: int
    """The ExemptionGranted event's version in the year's caps."""

    def covers(self, code: str, task_id: UUID, departments: Sequence[str]) -> bool:
        return (
            self.credit_code == code
            and (self.task_id is None or self.task_id == task_id)
            and (self.department is None or self.department in departments)
        )


@dataclass(frozen=True)
class YearCaps:
    year: int
    departments: Mapping[str, int]
    total: int | None
    version: int
    """The year's caps' version the commitment read: an auditor rebuilds them as of it."""
    exemptions: tuple[Exemption, ...] = ()

    def as_record(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "departments": dict(self.departments),
            "total": self.total,
            "version": self.version,
        }


@dataclass(frozen=True)
class PriorDraw:
    """A draw of targets made before the commitment, as the log records it."""

    task_id: UUID
    task_name: str
    departments: tuple[str, ...]
    drawn_at: datetime
    targets: frozenset[str]
    joint: Mapping[str, UUID] = field(default_factory=dict, hash=False, compare=False)
    """Drawn target -> the joint visit its visit was merged into (logged before the commitment)."""

    def entry(self, code: str) -> str:
        """What one entry through `code`'s door is: the joint visit it was merged into, or else
        this task's own visit."""
        joint = self.joint.get(code)
        return f"joint:{joint}" if joint is not None else f"task:{self.task_id}"

    def as_evidence(self, code: str | None = None) -> dict[str, Any]:
        record = {
            "task_id": str(self.task_id),
            "task_name": self.task_name,
            "departments": list(self.departments),
            "drawn_at": self.drawn_at.isoformat(),
        }
        joint = self.joint.get(code) if code is not None else None
        if joint is not None:  # absent otherwise: evidence recorded before merges reads the same
            record["joint_visit_id"] = str(joint)
        return record


def entries(evidence: Iterable[Mapping[str, Any]]) -> int:
    """How many entries through the door recorded evidence counts: draws merged into one joint
    visit count once."""
    return len({str(d.get("joint_visit_id") or d["task_id"]) for d in evidence})


CAP_DEPARTMENT = "cap.department"
CAP_TOTAL = "cap.total"
EXCLUSION_PERIOD = "exclusion_period"
REASONS = {
    CAP_DEPARTMENT: "已达本部门年度检查次数上限",
    CAP_TOTAL: "已达年度检查总次数上限",
    EXCLUSION_PERIOD: "在本任务的排除期内已被抽查",
}
"""Reason code -> what the public page says."""


@dataclass(frozen=True)
class Exclusion:
    credit_code: str
    grade: str
    reason: str
    """One of REASONS' codes: the first that applies, caps before the exclusion period."""
    reason_text: str
    evidence: tuple[PriorDraw, ...]
    """The earlier draws that count, in the order they were made."""

    def as_record(self) -> dict[str, Any]:
        return {
            "credit_code": self.credit_code,
            "grade": self.grade,
            "reason": self.reason,
            "reason_text": self.reason_text,
            "evidence": [d.as_evidence(self.credit_code) for d in self.evidence],
        }


@dataclass(frozen=True)
class Exclusions:
    """What a commitment leaves out of the population, and what it keeps in by exemption."""

    excluded: tuple[Exclusion, ...] = ()
    exempted: tuple[dict[str, Any], ...] = ()
    inputs: Mapping[str, Any] = field(default_factory=dict)
    """The caps in force (year, per department, total, their version) and the exclusion period."""

    def codes(self) -> frozenset[str]:
        return frozenset(e.credit_code for e in self.excluded)

    def records(self) -> list[dict[str, Any]]:
        return [e.as_record() for e in self.excluded]


NONE = Exclusions()


def exclusions(
    population: Mapping[str, str],
    task_id: UUID,
    departments: Sequence[str],
    at: datetime,
    exclusion_days: int | None,
    caps: YearCaps | None,
    prior: Iterable[PriorDraw],
) -> Exclusions:
    """Which targets of `population` (code -> grade) the commitment at `at` leaves out, and why."""
    day = local_day(at)
    earlier = sorted(
        (d for d in prior if d.drawn_at < at and d.task_id != task_id), key=lambda d: d.drawn_at
    )
    of_year = [d for d in earlier if local_day(d.drawn_at).year == day.year]
    recent = [
        d
        for d in earlier
        if exclusion_days
        and (day - local_day(d.drawn_at)).days <= exclusion_days
        and set(d.departments) & set(departments)
    ]
    excluded: list[Exclusion] = []
    exempted: list[dict[str, Any]] = []
    for code in sorted(population):
        found = _capped(code, departments, of_year, caps) if caps is not None else None
        if found is None:
            hits = tuple(d for d in recent if code in d.targets)
            if hits:
                said = f"{REASONS[EXCLUSION_PERIOD]}（{exclusion_days} 天内）"
                found = (EXCLUSION_PERIOD, said, hits)
        if found is None:
            continue
        exemptions = caps.exemptions if caps is not None else ()
        exemption = next((x for x in exemptions if x.covers(code, task_id, departments)), None)
        if exemption is not None:
            exempted.append(
                {
                    "credit_code": code,
                    "reason_kind": exemption.reason_kind,
                    "reason": exemption.reason,
                    "exemption_version": exemption.version,
                    "lifted": found[1],
                }
            )
            continue
        reason, said, evidence = found
        excluded.append(Exclusion(code, population[code], reason, said, evidence))
    inputs: dict[str, Any] = {"exclusion_days": exclusion_days}
    if caps is not None:
        inputs["caps"] = caps.as_record()
    return Exclusions(tuple(excluded), tuple(exempted), inputs)


def _capped(
    code: str, departments: Sequence[str], of_year: Sequence[PriorDraw], caps: YearCaps
) -> tuple[str, str, tuple[PriorDraw, ...]] | None:
    """The first cap `code` reached this year among this task's departments, then the total."""
    with_it = [d for d in of_year if code in d.targets]
    for department in departments:
        cap = caps.departments.get(department)
        counted = tuple(d for d in with_it if department in d.departments)
        times = len({d.entry(code) for d in counted})
        if cap is not None and times >= cap:
            said = f"{REASONS[CAP_DEPARTMENT]}（{department} 本年已抽查 {times} 次，上限 {cap} 次）"
            return CAP_DEPARTMENT, said, counted
    times = len({d.entry(code) for d in with_it})
    if caps.total is not None and times >= caps.total:
        said = f"{REASONS[CAP_TOTAL]}（本年已抽查 {times} 次，上限 {caps.total} 次）"
        return CAP_TOTAL, said, tuple(with_it)
    return None


def justified(record: Mapping[str, Any], days: int | None, caps: Mapping[str, Any]) -> str | None:
    """Why a recorded exclusion does not follow from its own evidence and inputs (None: it does).
    The evidence itself (that each draw exists and came earlier) is the caller's to check."""
    evidence = list(record.get("evidence", ()))
    reason = record.get("reason")
    if not evidence:
        return "未列出计入的抽查"
    if reason == CAP_TOTAL:
        total = caps.get("total")
        if total is None or entries(evidence) < int(total):
            return f"计入 {entries(evidence)} 次，未达总上限 {total}"
        return None
    if reason == CAP_DEPARTMENT:
        counts = {
            department: entries(d for d in evidence if department in d.get("departments", ()))
            for department in {x for d in evidence for x in d.get("departments", ())}
        }
        limits = caps.get("departments") or {}
        if any(n >= int(limits[d]) for d, n in counts.items() if d in limits):
            return None
        return f"计入 {counts}，未达任何部门上限 {limits}"
    if reason == EXCLUSION_PERIOD:
        return None if days else "本任务未设排除期"
    return f"未知的排除理由 {reason}"


def drawn_day(evidence: Mapping[str, Any]) -> date:
    return local_day(datetime.fromisoformat(str(evidence["drawn_at"])))
