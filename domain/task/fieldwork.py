"""9–11. Fieldwork and results: the notice served, the joint visit, each department's result
within three working days of it (谁检查、谁录入), corrections with a reason, and publication."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from domain.calendar import WorkCalendar
from domain.errors import (
    AlreadyPublishedError,
    AlreadyVisitedError,
    CalendarUnknownError,
    InvalidValueError,
    NoticeNotServedError,
    NotOwnItemError,
    NotVisitedError,
    ResultAlreadyRecordedError,
    ResultNotRecordedError,
    ResultsMissingError,
)
from domain.task.base import Record, Step, TaskBase
from domain.values import NoticeMethod, ResultCategory, local_day, text


class NoticeServed(Step):
    """告知书 served on the target before the visit, on paper or by phone."""

    target: str
    method: str
    recipient: str
    """Who received it: the legal representative or staff, by name."""
    department: str
    at: datetime

    def apply(self, task: Fieldwork) -> None:
        task.notices[self.target] = self


class InspectionVisited(Step):
    """实地核查 by the joint group; the target signs the sheet or refuses (如实记录)."""

    class_version = 3

    target: str
    group: int
    signed: bool
    note: str
    department: str
    """The department that records the visit for the group."""
    results_due: date | None
    """Last working day for every department to record its result (3 个工作日内); None while
    the calendar of that year is awaited (`awaiting_calendar`)."""
    calendar: dict[str, str]
    """The holiday arrangements `results_due` was counted on: year -> where it comes from."""
    awaiting_calendar: int | None
    at: datetime
    on_site_reason: str = ""
    """Why an off-site check would not do (国办发〔2024〕54号), where the task's items allow one;
    empty where every item is checked on site only."""

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Before the department was named, the lead's staff entered every visit.
        state.setdefault("department", "")
        state["calendar"] = {}
        state["awaiting_calendar"] = None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        # Visits recorded before 国办发〔2024〕54号 were asked no reason for going on site.
        state.setdefault("on_site_reason", "")

    def apply(self, task: Fieldwork) -> None:
        task.visits[self.target] = self
        task.results_due[self.target] = self.results_due


class ResultDeadlineSet(Step):
    """The results' deadline of a visit made before its year's calendar was known."""

    target: str
    results_due: date
    calendar: dict[str, str]
    at: datetime

    def apply(self, task: Fieldwork) -> None:
        task.results_due[self.target] = self.results_due


class ResultRecorded(Step):
    """谁检查、谁录入: one department's result for one target."""

    department: str
    target: str
    category: str
    """A category of 国家企业信用信息公示系统."""
    findings: dict[str, str]
    """Check item code -> what was found."""
    late: bool
    at: datetime

    def apply(self, task: Fieldwork) -> None:
        task.results[(self.department, self.target)] = self


class ResultCorrected(Step):
    """A mistake fixed by a new fact, never by changing the past."""

    department: str
    target: str
    category: str
    findings: dict[str, str]
    reason: str
    at: datetime

    def apply(self, task: Fieldwork) -> None:
        task.results[(self.department, self.target)] = self


class ResultsPublished(Step):
    """公示: every target's results, department by department, for the public register."""

    entries: list[Record]
    """target, name, results (department -> category)."""
    at: datetime

    def apply(self, task: Fieldwork) -> None:
        task.publication = self


class Fieldwork(TaskBase):
    notices: dict[str, NoticeServed]
    visits: dict[str, InspectionVisited]
    results_due: dict[str, date | None]
    """Target -> the last day for its results: the visit's, or the one counted later."""
    results: dict[tuple[str, str], ResultRecorded | ResultCorrected]
    publication: ResultsPublished | None

    def missing_results(self) -> list[tuple[str, str]]:
        """(department, target) pairs still owed before publication."""
        return [
            (dept, target)
            for target in self.matches
            for dept in self.participating
            if (dept, target) not in self.results
        ]

    def off_site_items(self) -> list[str]:
        """The items of the departments that visit which may be checked without a visit."""
        return [
            f"{item.code} {item.name}"
            for department in self.participating
            for item in self.definition.items.get(department, ())
            if item.allows_off_site
        ]

    def visits_awaiting_calendar(self) -> dict[str, int]:
        """Target -> the year whose calendar its results' deadline waits for."""
        return {
            target: visit.awaiting_calendar
            for target, visit in self.visits.items()
            if self.results_due.get(target) is None and visit.awaiting_calendar is not None
        }

    # ----------------------------------------------------------------- 9. notify and visit
    def serve_notice(
        self, department: str, target: str, method: str, recipient: str, at: datetime
    ) -> None:
        self._require_matched_target(target)
        department = self._require_participant(department)
        self.trigger_event(
            self._named(NoticeServed),
            target=target,
            method=NoticeMethod.parse(method).value,
            recipient=text(recipient, "recipient", "受送达人姓名"),
            department=department,
            at=self._when(at),
        )

    def record_visit(
        self,
        department: str,
        target: str,
        signed: bool,
        note: str,
        calendar: WorkCalendar,
        at: datetime,
        on_site_reason: str = "",
    ) -> None:
        """The visit is recorded when it happened, even when the deadline of the results cannot
        be counted yet: it is counted as soon as that year's calendar is loaded. Where some item
        may be checked off site (书面检查, 网络监测, …), the visit says why it had to be made."""
        group = self._require_matched_target(target)
        department = self._require_participant(department)
        if target not in self.notices:
            raise NoticeNotServedError(target)
        if target in self.visits:
            raise AlreadyVisitedError(target)
        if not signed and not note.strip():
            raise InvalidValueError("note", "拒绝签字时如实记录的情况说明", note)
        off_site = self.off_site_items()
        if off_site and not on_site_reason.strip():
            raise InvalidValueError(
                "on_site_reason",
                f"实地检查的理由：本任务的事项 {'、'.join(off_site)} 可非现场检查，"
                "实地检查须说明非现场检查为何不能满足（国办发〔2024〕54号）",
                on_site_reason,
            )
        at = self._when(at)
        day = local_day(at)
        due: date | None = None
        sources: dict[str, str] = {}
        awaiting: int | None = None
        try:
            due = calendar.deadline(day, self.definition.result_days)
            sources = calendar.sources(day, due)
        except CalendarUnknownError as unknown:
            awaiting = unknown.year
        self.trigger_event(
            self._named(InspectionVisited),
            target=target,
            group=group,
            signed=signed,
            note=note.strip(),
            department=department,
            results_due=due,
            calendar=sources,
            awaiting_calendar=awaiting,
            at=at,
            on_site_reason=on_site_reason.strip(),
        )

    def set_results_deadlines(self, calendar: WorkCalendar, at: datetime) -> int:
        """Count the results' deadline of every visit that waited for its year; how many."""
        count = 0
        for target in self.visits_awaiting_calendar():
            day = local_day(self.visits[target].at)
            try:
                due = calendar.deadline(day, self.definition.result_days)
            except CalendarUnknownError:
                continue  # still not known: it waits on
            self.trigger_event(
                self._named(ResultDeadlineSet),
                target=target,
                results_due=due,
                calendar=calendar.sources(day, due),
                at=self._when(at),
            )
            count += 1
        return count

    # ----------------------------------------------------------------- 10. results
    def _check_result(
        self, department: str, target: str, category: str, findings: Mapping[str, str]
    ) -> tuple[str, str, dict[str, str]]:
        self._require_matched_target(target)
        department = self._require_participant(department)
        parsed = ResultCategory.parse(category).value
        own = {item.code for item in self.definition.items[department]}
        foreign = sorted(set(findings) - own)
        if foreign:
            raise NotOwnItemError(f"{department} 的事项中没有 {'、'.join(foreign)}")
        if target not in self.visits:
            raise NotVisitedError(target)
        return department, parsed, {code: str(v) for code, v in findings.items()}

    def record_result(
        self, department: str, target: str, category: str, findings: Mapping[str, str], at: datetime
    ) -> None:
        department, parsed, clean = self._check_result(department, target, category, findings)
        if (department, target) in self.results:
            raise ResultAlreadyRecordedError(f"{department} / {target}")
        at = self._when(at)
        due = self.results_due.get(target)
        self.trigger_event(
            self._named(ResultRecorded),
            department=department,
            target=target,
            category=parsed,
            findings=clean,
            late=due is not None and local_day(at) > due,
            at=at,
        )

    def correct_result(
        self,
        department: str,
        target: str,
        category: str,
        findings: Mapping[str, str],
        reason: str,
        at: datetime,
    ) -> None:
        department, parsed, clean = self._check_result(department, target, category, findings)
        if (department, target) not in self.results:
            raise ResultNotRecordedError(f"{department} / {target}")
        self.trigger_event(
            self._named(ResultCorrected),
            department=department,
            target=target,
            category=parsed,
            findings=clean,
            reason=text(reason, "reason", "更正理由"),
            at=self._when(at),
        )

    # ----------------------------------------------------------------- 11. publish
    def publish(self, at: datetime) -> None:
        matching = self._require_matched()
        if self.publication is not None:
            raise AlreadyPublishedError(self.name)
        unvisited = [t for t in self.matches if t not in self.visits]
        if unvisited:
            raise NotVisitedError("、".join(unvisited))
        missing = self.missing_results()
        if missing:
            raise ResultsMissingError("、".join(f"{d}/{t}" for d, t in missing))
        names = {str(sheet["target"]): str(sheet["name"]) for sheet in matching.sheets}
        entries = [
            {
                "target": target,
                "name": names.get(target, ""),
                "results": {d: self.results[(d, target)].category for d in self.participating},
            }
            for target in self.matches
        ]
        self.trigger_event(self._named(ResultsPublished), entries=entries, at=self._when(at))
