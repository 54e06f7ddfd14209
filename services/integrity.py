"""The raw log as stored: every damage an auditor can see without trusting any replay.

Rebuilding an aggregate stops at the first damage it meets (a version that does not follow the
one before, a row that does not decode), and says nothing of where it is. Here the rows are read
through the store's own recorder (`select_notifications`: position, aggregate, version, type and
stored bytes, on every store the service ships with), each row is decoded, and each aggregate's
versions are followed in log order. What any store shows, with or without an audit chain:

- a row that does not decode: its bytes, its type or its aggregate id were changed (its position);
- a version missing from an aggregate's sequence: an event was deleted (the aggregate, the
  version, and the position it stood at, or the two positions it stood between);
- a version that comes after a higher one of the same aggregate: rows were reordered, or one
  was inserted (its position).

Every finding is reported, not only the first. An event changed so that it still decodes, or the
last events of an aggregate deleted, leave nothing to see here: the draw re-verification
(services/verification.py) and, on PostgreSQL, the audit chain and its published checkpoints
(adapters/postgres/chain.py) catch those.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import (
    ApplicationRecorder,
    Mapper,
    MapperDeserialisationError,
    Notification,
)
from eventsourcing.utils import TopicError, get_topic

from domain.task import Task
from services.errors import ServiceError
from services.log import Unreadable, raw_log
from services.stored import event_of

PLANNED = get_topic(Task.Planned)
MOST_LISTED = 10
"""Positions named in one finding before the rest are counted."""

AGGREGATE_NAMES = {
    "Task": "抽查任务",
    "Plan": "抽查工作计划",
    "TargetDirectory": "抽查对象名录库",
    "InspectorDirectory": "执法检查人员名录库",
    "HolidayArrangements": "节假日安排",
    "JointVisit": "联合检查（进一次门、查多项事）",
    "VisitMerged": "联合检查的任务索引",
}


class Damage(StrEnum):
    CHANGED = "changed"
    """A stored event is not what was written: its bytes, type, aggregate or version."""
    DELETED = "deleted"
    """A stored event is gone."""
    REORDERED = "reordered"
    """An event stands where it was not written, or a row was added that the service never wrote."""
    CHECKPOINT = "checkpoint"
    """A checkpoint published earlier no longer holds."""


@dataclass(frozen=True)
class Finding:
    damage: Damage
    position: int
    """Where it is: the position of the damaged row, or the first missing one."""
    text: str
    """What it is and where, in Chinese, for the auditor's report."""

    def __str__(self) -> str:
        return self.text


@dataclass
class LogReport:
    events: int = 0
    aggregates: int = 0
    findings: list[Finding] = field(default_factory=list)
    planned: list[UUID] = field(default_factory=list)
    """Every planned task, from the stored rows themselves: a row that does not decode still
    names its task. What the draws are then re-run for, without reading the log again."""
    undecodable: set[tuple[Any, int]] = field(default_factory=set)
    """(aggregate id, version) of each row found not to decode: a finding here already, which
    the draws' re-run need not name again."""

    @property
    def ok(self) -> bool:
        return not self.findings

    def describe(self) -> str:
        head = f"事件日志：{self.events} 条事件（{self.aggregates} 个聚合），逐条读取"
        if self.ok:
            return head + "，每条均可解读，各聚合版本连续且按位置顺序 ✓"
        return "\n".join(
            [head + f"，发现 {len(self.findings)} 处损坏 ✗", *(f"  {f}" for f in self.findings)]
        )


def runs(positions: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Positions met in increasing order, as (first, last) of each consecutive run."""
    run: tuple[int, int] | None = None
    for p in positions:
        if run is not None and p == run[1] + 1:
            run = (run[0], p)
            continue
        if run is not None:
            yield run
        run = (p, p)
    if run is not None:
        yield run


def positions_text(positions: Iterable[int]) -> str:
    """`9`, `9、10`, `9–14`: consecutive runs joined, at most MOST_LISTED listed."""
    parts = [
        str(a) if a == b else f"{a}、{b}" if b == a + 1 else f"{a}–{b}" for a, b in runs(positions)
    ]
    more = f" 等 {len(parts)} 段" if len(parts) > MOST_LISTED else ""
    return "、".join(parts[:MOST_LISTED]) + more


def why_unreadable(error: Exception, topic: str | None = None) -> str:
    """Why stored events cannot be read, in the auditor's words. Given the stored type of the one
    row read, whatever stops it decoding is damage to that row; without it, the error stopped an
    aggregate being rebuilt, or a draw being re-run, and which of its events is to blame is not
    known."""
    one = topic is not None
    if isinstance(error, TopicError):
        return (f"事件类型 {topic} " if one else "有事件的类型") + "不存在（类型已被改动）"
    if one or isinstance(error, MapperDeserialisationError):
        return ("存储的内容" if one else "有事件的存储内容") + "无法解读为事件（内容已被改动）"
    if isinstance(error, OriginatorVersionError) and len(error.args) == 2:
        got, expected = error.args
        return f"版本不连续：应为第 {expected} 版，读到第 {got} 版（有事件被删除或移动）"
    if isinstance(error, ServiceError):
        return str(error)
    return f"{type(error).__name__}：{error}"


def versions_text(first: int, last: int) -> str:
    return f"第 {first} 版" if first == last else f"第 {first}–{last} 版"


def aggregate_of(topic: str) -> str:
    """`domain.task:Task.TargetsDrawn` -> `抽查任务`; an unknown type is named as stored."""
    qualname = topic.rpartition(":")[2]
    kind = qualname.split(".", 1)[0]
    return AGGREGATE_NAMES.get(kind, kind or topic)


# ---------------------------------------------------------------------------- checking
@dataclass
class _Sequence:
    """One aggregate's versions as met in log order."""

    name: str
    highest: int = 0
    at: int = 0
    """Position of the highest version met."""
    missing: dict[int, tuple[int, int]] = field(default_factory=dict)
    """Version -> (position after which, position before which) it should have stood."""


class LogChecker:
    """Fed the rows in log order; `report()` at the end names every damage found."""

    def __init__(self, mapper: Mapper[UUID] | None = None) -> None:
        self.mapper = mapper
        self._report = LogReport()
        self._aggregates: dict[Any, _Sequence] = {}
        self._gaps: list[tuple[int, int]] = []
        """Runs of positions no row holds, (first, last), in order: where a deleted row was."""
        self._unreadable: list[int] = []
        self._last = 0

    def see(self, row: Notification | Unreadable) -> None:
        if row.id > self._last + 1:
            self._gaps.append((self._last + 1, row.id - 1))
        self._last = max(self._last, row.id)
        self._report.events += 1
        if isinstance(row, Unreadable):
            self._unreadable.append(row.id)
            self._finding(
                Damage.CHANGED, row.id, f"位置 {row.id}：这一行读不出来（聚合编号已被改动）"
            )
            return
        if row.topic == PLANNED and isinstance(row.originator_id, UUID):
            self._report.planned.append(row.originator_id)
        self._decode(row)
        self._follow(row)

    def _decode(self, row: Notification) -> None:
        if self.mapper is None:
            return
        try:
            self.mapper.to_domain_event(row)
        except Exception as error:
            self._report.undecodable.add((row.originator_id, row.originator_version))
            self._finding(
                Damage.CHANGED,
                row.id,
                f"位置 {row.id}：{aggregate_of(row.topic)} {row.originator_id} "
                f"第 {row.originator_version} 版（{event_of(row.topic)}）"
                f"{why_unreadable(error, row.topic)}",
            )

    def _follow(self, row: Notification) -> None:
        key = row.originator_id
        sequence = self._aggregates.get(key)
        if sequence is None:
            sequence = self._aggregates[key] = _Sequence(aggregate_of(row.topic))
        version = row.originator_version
        if version > sequence.highest:
            for missing in range(sequence.highest + 1, version):
                sequence.missing[missing] = (sequence.at, row.id)
            sequence.highest, sequence.at = version, row.id
            return
        # Met after a higher version: not where it was written.
        sequence.missing.pop(version, None)
        self._finding(
            Damage.REORDERED,
            row.id,
            f"位置 {row.id}：{sequence.name} {key} 第 {version} 版排在第 {sequence.highest} 版"
            f"（位置 {sequence.at}）之后：事件的顺序被改动，或这一行是后来插入的",
        )

    def _finding(self, damage: Damage, position: int, text: str) -> None:
        self._report.findings.append(Finding(damage, position, text))

    def report(self) -> LogReport:
        report = self._report
        report.aggregates = len(self._aggregates)
        for key, sequence in self._aggregates.items():
            for first, last, after, before in _missing_runs(sequence.missing):
                report.findings.append(
                    self._deleted(key, sequence.name, first, last, after, before)
                )
        report.findings.sort(key=lambda f: f.position)
        return report

    def _deleted(
        self, key: Any, name: str, first: int, last: int, after: int, before: int
    ) -> Finding:
        """Versions first..last of one aggregate are gone; they stood between two positions."""
        holes = self._holes(after, before)
        unreadable = [p for p in self._unreadable if after < p < before]
        if unreadable and not holes:
            return Finding(
                Damage.DELETED,
                unreadable[0],
                f"{name} {key} 缺{versions_text(first, last)}：位置 {after} 与 {before} 之间"
                f"读不出来的位置 {positions_text(unreadable)} 可能就是它",
            )
        where = (
            f"位置 {positions_text(holes)} 的事件已被删除"
            if len(holes) == last - first + 1
            else f"位于位置 {after} 与 {before} 之间的事件已被删除"
            if after
            else f"位于位置 {before} 之前的事件已被删除"
        )
        if holes and len(holes) != last - first + 1:
            where += f"（其间空缺的位置：{positions_text(holes)}）"
        return Finding(
            Damage.DELETED,
            holes[0] if holes else before,
            f"{name} {key} 缺{versions_text(first, last)}：{where}",
        )

    def _holes(self, after: int, before: int) -> list[int]:
        """The positions strictly between two that no row holds."""
        found: list[int] = []
        start = max(bisect_right(self._gaps, (after, after)) - 1, 0)
        for first, last in self._gaps[start:]:
            if first >= before:
                break
            found.extend(range(max(first, after + 1), min(last, before - 1) + 1))
            if len(found) > 10 * MOST_LISTED:
                break
        return found


def _missing_runs(missing: dict[int, tuple[int, int]]) -> Iterator[tuple[int, int, int, int]]:
    """Consecutive missing versions that stood between the same two positions, as one run."""
    run: list[int] = []
    for version in sorted(missing):
        if run and version == run[-1] + 1 and missing[version] == missing[run[0]]:
            run.append(version)
            continue
        if run:
            yield (run[0], run[-1], *missing[run[0]])
        run = [version]
    if run:
        yield (run[0], run[-1], *missing[run[0]])


def check_log(recorder: ApplicationRecorder, mapper: Mapper[UUID] | None = None) -> LogReport:
    """Read every stored row and report every damage; never stops at the first."""
    checker = LogChecker(mapper)
    for row in raw_log(recorder):
        checker.see(row)
    return checker.report()
