"""Builders for the domain's unit tests: a small city, its directories, its tasks at any stage.

Nothing here does I/O: the work calendar is written out by hand (2023, with the National Day week
and its two 调休 working weekends), the directories are built in memory, and every time is a
Beijing-time moment chosen so that deadlines fall on known days.

The fixtures among them are made visible to the tests by `conftest.py` beside this file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest
from eventsourcing.domain import Aggregate

from domain import draw
from domain.calendar import WorkCalendar
from domain.credit_code import make_credit_code
from domain.directories import InspectorDirectory, TargetDirectory
from domain.directory import CheckItem, Inspector, Recusal, RiskGrade, Target
from domain.task import Task
from domain.task_definition import TaskDefinition
from domain.values import CHINA, Scope

LEAD = "education"
POLICE = "police"
FIRE = "fire"
DEPARTMENTS = (LEAD, POLICE, FIRE)

SECRET = "5e" * 32
"""64 hex characters, as a cryptographic generator would give."""
BEACON = "见证人报数 407"
PLAN_ID = uuid5(NAMESPACE_URL, "ssj:test:plan:2023")


def at(day: date | str, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in Beijing time on `day`."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA)


# --------------------------------------------------------------------------- the calendar
NATIONAL_DAY_2023 = [date(2023, 9, 29) + timedelta(days=n) for n in range(8)]  # 9-29 … 10-06
"""中秋节、国庆节 2023: 9月29日至10月6日放假调休，共8天."""
TIAOXIU_2023 = [date(2023, 10, 7), date(2023, 10, 8)]
"""10月7日（星期六）、10月8日（星期日）上班."""


def make_calendar() -> WorkCalendar:
    return WorkCalendar(holidays=NATIONAL_DAY_2023, working_weekends=TIAOXIU_2023, years=[2023])


@pytest.fixture
def calendar() -> WorkCalendar:
    return make_calendar()


# --------------------------------------------------------------------------- targets
def credit_code(n: int) -> str:
    """A valid 统一社会信用代码 numbered n (91 企业, 130283 迁安市)."""
    return make_credit_code(f"91130283{n:09d}")


CATEGORIES = ("学校", "幼儿园", "校外培训机构")
REGIONS = ("迁安镇", "夏官营镇")
GRADES = "AAAABBBCCD"
"""Most targets are low risk; one in ten is high risk."""


def make_target(n: int, **changes: Any) -> Target:
    target = Target(
        credit_code=credit_code(n),
        name=f"迁安市第{n}{CATEGORIES[n % 3]}",
        category=CATEGORIES[n % 3],
        region=REGIONS[n % 2],
        risk_grade=RiskGrade(GRADES[n % len(GRADES)]),
        tags=frozenset({"持校车"}) if n % 4 == 0 else frozenset(),
        active=n % 13 != 12,
    )
    return replace(target, **changes) if changes else target


TARGETS = tuple(make_target(n) for n in range(1, 41))
"""40 targets of grades A–D; numbers 12, 25 and 38 are inactive (注销)."""


def make_target_directory(targets: Iterable[Target] = TARGETS) -> TargetDirectory:
    directory = TargetDirectory.open("迁安市教育系统抽查对象名录库", LEAD, at("2023-01-03"))
    directory.register(targets, at("2023-01-04"))
    return directory


@pytest.fixture
def target_directory() -> TargetDirectory:
    return make_target_directory()


# --------------------------------------------------------------------------- inspectors
def make_inspector(department: str, n: int, **changes: Any) -> Inspector:
    return Inspector(
        inspector_id=f"{department}-{n:03d}",
        name=f"{department}检查员{n}",
        department=department,
        certificate_no=f"冀执法{n:06d}",
        certificate_expiry=changes.pop("certificate_expiry", date(2025, 12, 31)),
        phone=f"1380315{n:04d}",
        **changes,
    )


ELIGIBLE = {LEAD: 6, POLICE: 5, FIRE: 4}
"""Eligible inspectors per department; two groups of two need four."""


def make_inspector_directory(department: str) -> InspectorDirectory:
    """ELIGIBLE[department] inspectors who may be drawn, and three who may not."""
    directory = InspectorDirectory.open(department, at("2023-01-03"))
    eligible = [make_inspector(department, n) for n in range(1, ELIGIBLE[department] + 1)]
    directory.register(
        [
            *eligible,
            make_inspector(department, 91, on_leave=True),
            make_inspector(department, 92, active=False),
            make_inspector(department, 93, certificate_expiry=date(2023, 2, 28)),
        ],
        at("2023-01-04"),
    )
    return directory


@pytest.fixture
def inspector_directories() -> dict[str, InspectorDirectory]:
    return {d: make_inspector_directory(d) for d in DEPARTMENTS}


# --------------------------------------------------------------------------- definitions
ITEMS = {
    LEAD: (
        CheckItem(
            "JY-01", "校车安全管理制度落实情况", "《校车安全管理条例》第二十四条", "实地核查"
        ),
        CheckItem("JY-02", "安全教育开展情况", "", "书面检查"),
    ),
    POLICE: (CheckItem("GA-01", "校车驾驶人资质", "《校车安全管理条例》第二十三条", "实地核查"),),
    FIRE: (CheckItem("XF-01", "消防设施器材完好有效", "《消防法》第十六条", "实地核查"),),
}
RATIOS = {"A": "0.1", "B": "0.2", "C": "0.3", "D": "0.5"}


def joint_definition(**changes: Any) -> TaskDefinition:
    """部门联合抽查 led by 教育局 with 公安局 and 消防救援大队, over the whole directory."""
    values: dict[str, Any] = {
        "name": "2023年校车及校园安全部门联合抽查",
        "lead": LEAD,
        "cooperating": (POLICE, FIRE),
        "items": ITEMS,
        "directory_id": TargetDirectory.id_for("迁安市教育系统抽查对象名录库"),
        "scope": Scope(),
        "ratios": RATIOS,
        "directed": False,
        "window_start": date(2023, 3, 1),
        "window_end": date(2023, 11, 30),
    }
    values.update(changes)
    return TaskDefinition(**values)


def internal_definition(**changes: Any) -> TaskDefinition:
    """内部抽查 of 校外培训机构 by 教育局 alone."""
    values: dict[str, Any] = {
        "name": "2023年校外培训机构内部抽查",
        "cooperating": (),
        "items": {LEAD: ITEMS[LEAD]},
        "scope": Scope(category="校外培训机构"),
        "ratios": {"A": "0.2", "B": "0.3", "C": "0.5", "D": "1"},
    }
    values.update(changes)
    return joint_definition(**values)


@pytest.fixture
def joint() -> TaskDefinition:
    return joint_definition()


@pytest.fixture
def internal() -> TaskDefinition:
    return internal_definition()


# --------------------------------------------------------------------------- driving a task
STAGES = (
    "planned",
    "committed",
    "drawn",
    "dispatched",
    "confirmed",
    "inspectors_drawn",
    "matched",
    "notified",
    "visited",
    "results_recorded",
    "published",
    "closed",
)

ON_SITE_REASON = "安全教育开展情况须现场查看台账原件并询问在场教职工，书面材料不能反映"
"""Education's JY-02 is a 书面检查: a visit says why it went on site (国办发〔2024〕54号)."""

WHEN = {
    "planned": at("2023-03-01", 9),
    "committed": at("2023-03-01", 10),
    "drawn": at("2023-03-02", 10),  # Thursday
    "dispatched": at("2023-03-02", 11),  # confirm by Monday 6 March
    "confirmed": at("2023-03-03", 9),
    "inspectors_drawn": at("2023-03-07", 9),
    "matched": at("2023-03-07", 10),
    "notified": at("2023-03-08", 9),
    "visited": at("2023-03-10", 10),  # Friday: results due Wednesday 15 March
    "results_recorded": at("2023-03-13", 16),
    "published": at("2023-03-20", 9),
    "closed": at("2023-04-03", 9),
}
CONFIRM_BY = date(2023, 3, 6)
RESULTS_DUE = date(2023, 3, 15)


@dataclass
class Run:
    """One task and the world it runs in, driven a step at a time with sensible defaults.

    The task's events are never collected here, so `task.pending_events` is its whole history.
    """

    task: Task
    calendar: WorkCalendar = field(default_factory=make_calendar)
    targets: TargetDirectory = field(default_factory=make_target_directory)
    inspectors: dict[str, InspectorDirectory] = field(
        default_factory=lambda: {d: make_inspector_directory(d) for d in DEPARTMENTS}
    )
    declined: dict[str, str] = field(default_factory=dict)
    """Cooperating departments that decline when the run confirms, with their reasons."""
    stage: str = "planned"

    # ------------------------------------------------------------------ what the world says
    @property
    def population(self) -> dict[str, str]:
        return self.targets.population(self.task.definition.scope)

    def pool(self, department: str) -> list[str]:
        return self.inspectors[department].pool(WHEN["inspectors_drawn"].date())

    def recusals(self) -> list[Recusal]:
        return [r for d in self.task.participating for r in self.inspectors[d].recusals()]

    def events(self, kind: type[Aggregate.Event] | None = None) -> list[Any]:
        """The task's history so far, or only the events of one kind."""
        history = list(self.task.pending_events)
        return history if kind is None else [e for e in history if type(e) is kind]

    # ------------------------------------------------------------------ the steps
    def commit(self, commitment: str | None = None) -> None:
        self.task.commit_seed(
            commitment if commitment is not None else draw.commitment_of(SECRET),
            self.targets.version,
            self.population,
            "抽取当日见证人现场报出的三位数",
            WHEN["committed"],
        )

    def draw(
        self,
        secret: str = SECRET,
        beacon: str = BEACON,
        population: dict[str, str] | None = None,
    ) -> None:
        population = self.population if population is None else population
        self.task.draw_targets(population, secret, beacon, WHEN["drawn"])

    def dispatch(self) -> None:
        for department in self.task.cooperating:
            self.task.dispatch(department, self.calendar, WHEN["dispatched"])

    def confirm(self) -> None:
        for department in self.task.cooperating:
            if department in self.declined:
                self.task.decline(department, self.declined[department], WHEN["confirmed"])
            else:
                self.task.confirm(department, WHEN["confirmed"])

    def draw_inspectors(self) -> None:
        for department in self.task.participating:
            self.draw_inspectors_of(department)

    def match(self) -> None:
        self.task.match_groups(
            self.recusals(),
            {d: self.inspectors[d].version for d in self.task.participating},
            {code: t.name for code, t in self.targets.targets.items()},
            WHEN["matched"],
        )

    def notify(self, targets: Sequence[str] | None = None) -> None:
        for target in self.task.matches if targets is None else targets:
            self.serve_notice(target)

    def visit(self, targets: Sequence[str] | None = None) -> None:
        for target in self.task.matches if targets is None else targets:
            self.record_visit(target)

    def record_results(
        self,
        category: str = "未发现问题",
        skip: Iterable[tuple[str, str]] = (),
        when: datetime | None = None,
    ) -> None:
        """Every participating department's result for every target, except the pairs in skip."""
        skipped = set(skip)
        for target in self.task.matches:
            for department in self.task.participating:
                if (department, target) not in skipped:
                    self.record(department, target, category, when=when)

    # ------------------------------------------------------------------ one command, defaults filled
    def draw_inspectors_of(
        self, department: str, pool: Sequence[str] | None = None, when: datetime | None = None
    ) -> None:
        self.task.draw_inspectors(
            department,
            self.pool(department) if pool is None else pool,
            self.inspectors[department].version if department in self.inspectors else 1,
            when or WHEN["inspectors_drawn"],
        )

    def serve_notice(
        self,
        target: str,
        department: str = LEAD,
        method: str = "letter",
        recipient: str = "张校长",
        when: datetime | None = None,
    ) -> None:
        self.task.serve_notice(department, target, method, recipient, when or WHEN["notified"])

    def record_visit(
        self,
        target: str,
        signed: bool = True,
        note: str = "",
        when: datetime | None = None,
        department: str = LEAD,
        on_site_reason: str = ON_SITE_REASON,
    ) -> None:
        self.task.record_visit(
            department,
            target,
            signed,
            note,
            self.calendar,
            when or WHEN["visited"],
            on_site_reason,
        )

    def record(
        self,
        department: str,
        target: str,
        category: str = "未发现问题",
        findings: dict[str, str] | None = None,
        when: datetime | None = None,
    ) -> None:
        """One department's result; by default its first item is found in order."""
        if findings is None:
            findings = {self.task.definition.items[department][0].code: "符合要求"}
        self.task.record_result(
            department, target, category, findings, when or WHEN["results_recorded"]
        )

    def correct(
        self,
        department: str,
        target: str,
        category: str,
        reason: str = "录入时误选类别",
        findings: dict[str, str] | None = None,
        when: datetime | None = None,
    ) -> None:
        self.task.correct_result(
            department, target, category, findings or {}, reason, when or WHEN["results_recorded"]
        )

    def open_follow_up(
        self,
        target: str,
        department: str = POLICE,
        problem: str = "校车驾驶人未按期审验",
        due: date = date(2023, 4, 30),
        when: datetime | None = None,
    ) -> int:
        return self.task.open_follow_up(department, target, problem, due, when or WHEN["published"])

    def publish(self) -> None:
        self.task.publish(WHEN["published"])

    def close(self) -> None:
        self.task.close(WHEN["closed"])

    def to(self, stage: str) -> Run:
        """Take every step up to and including `stage`; steps already taken are not repeated."""
        steps: dict[str, Callable[[], None]] = {
            "committed": self.commit,
            "drawn": self.draw,
            "dispatched": self.dispatch,
            "confirmed": self.confirm,
            "inspectors_drawn": self.draw_inspectors,
            "matched": self.match,
            "notified": self.notify,
            "visited": self.visit,
            "results_recorded": self.record_results,
            "published": self.publish,
            "closed": self.close,
        }
        for name in STAGES[STAGES.index(self.stage) + 1 : STAGES.index(stage) + 1]:
            steps[name]()
            self.stage = name
        return self


def plan_task(definition: TaskDefinition | None = None, number: int = 1) -> Task:
    return Task.plan(PLAN_ID, number, definition or joint_definition(), WHEN["planned"])


RunFactory = Callable[..., Run]


@pytest.fixture
def run() -> RunFactory:
    """run(stage, definition=None, declined=None): a task driven up to `stage`."""

    def make(
        stage: str = "planned",
        definition: TaskDefinition | None = None,
        declined: dict[str, str] | None = None,
        **world: Any,
    ) -> Run:
        return Run(plan_task(definition), declined=dict(declined or {}), **world).to(stage)

    return make


# --------------------------------------------------------------------------- refusals
Refused = Callable[..., BaseException]


def refuse(
    aggregate: Aggregate, error: type[BaseException], command: Callable[..., object], *args: Any
) -> BaseException:
    """Run a command that must be refused with `error`, and check it left no event behind."""
    history = list(aggregate.pending_events)
    version = aggregate.version
    with pytest.raises(error) as refusal:
        command(*args)
    assert aggregate.pending_events == history, "a refused command left an event"
    assert aggregate.version == version
    return refusal.value


@pytest.fixture
def refused() -> Refused:
    """refused(aggregate, Error, command, *args) -> the error, having checked no event was left."""
    return refuse
