"""The applications' contract, run against every event store the service ships with.

Each test gets `store` three times over: in memory (the POPO recorder), on an SQLite file, and on
a real PostgreSQL database migrated by `ssj db migrate`'s code, as the service's restricted role.
What a department, the office or an auditor sees must not depend on which one holds the log.
`joint` drives 迁安市's 2023 joint inspection of off-campus training institutions (education leads,
police and fire cooperate) step by step, so a test starts at the stage it is about.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar
from uuid import UUID

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from domain import draw
from domain.credit_code import make_credit_code
from domain.directories import TargetDirectory
from domain.directory import CheckItem, Inspector, RiskGrade, Target
from domain.task import Task
from domain.task_definition import TaskDefinition
from domain.values import Scope
from services.actors import Actor
from services.clock import Clock
from services.ledger import LedgerRow
from services.register import PublishedDraw, RegisterEntry
from services.task_views import Escalation, InboxItem
from tests.conftest import Database

EDUCATION = Actor.lead("education")
OFFICE = Actor.office()
AUDITOR = Actor.auditor()
PUBLIC = Actor.public()


def department(code: str) -> Actor:
    """The department as it takes part in 迁安市's tasks: education leads, the others cooperate."""
    return Actor.lead(code) if code == "education" else Actor.cooperating(code)


BEIJING = timezone(timedelta(hours=8))


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=BEIJING)


@dataclass
class Store:
    """One kind of event store; `open()` is the composition root on it, as a process starts."""

    kind: str
    path: Path | None
    database_url: str | None = None
    opened: list[Service] = field(default_factory=list)

    def open(self, clock: Clock | None = None) -> Service:
        if self.kind == "memory":
            if self.opened:
                return self.opened[0]  # memory is one process's: a "restart" is the same service
            service = bootstrap(load_settings(), memory=True, clock=clock)
        else:
            settings = load_settings(db=self.path, database_url=self.database_url)
            service = bootstrap(settings, clock=clock)
        self.opened.append(service)
        return service

    def close(self) -> None:
        for service in self.opened:
            service.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    kind = request.param
    if kind == "postgres":
        database: Database = request.getfixturevalue("database")
        opened = Store(kind, None, database.service_url)
    else:
        opened = Store(kind, None if kind == "memory" else tmp_path / "ssj.db")
    yield opened
    opened.close()


@pytest.fixture
def service(store: Store) -> Service:
    return store.open()


@pytest.fixture
def log_length() -> Callable[[Service], int]:
    """How many events the whole log holds: what a refused command must leave unchanged."""
    return lambda service: sum(1 for _ in service.auditor.export(AUDITOR))


# ---------------------------------------------------------------------------- the world
DIRECTORY = "迁安市校外培训机构名录库"
SECRET = "5d3c" * 16
BEACON_SOURCE = "2023-11-01 09:30 抽取现场，由市双随机办见证人当场报出的 6 位数字"
BEACON = "见证人报数 482913"
RATIOS = {"A": "0.1", "B": "0.2", "C": "0.3", "D": "0.5"}
IN_SCOPE = {"A": 20, "B": 10, "C": 6, "D": 4}
"""Targets per risk grade: k = ceil(r·N) draws 2 of each, 8 in all, so 2 joint groups."""

ITEMS = {
    "education": (CheckItem("JY-1", "从业人员资质"), CheckItem("JY-2", "教材使用情况")),
    "police": (CheckItem("GA-1", "单位内部治安保卫情况"),),
    "fire": (CheckItem("XF-1", "履行法定消防安全职责情况"),),
    "market": (CheckItem("SC-1", "食品安全管理情况"),),
}
PREFIX = {"education": "JY", "police": "GA", "fire": "XF", "market": "SC"}


def code(n: int, kind: str = "52") -> str:
    return make_credit_code(f"{kind}130283MJ{n:07d}")


def institutions() -> list[Target]:
    found = []
    n = 0
    for grade, count in IN_SCOPE.items():
        for _ in range(count):
            n += 1
            found.append(
                Target(
                    code(n),
                    f"迁安市第{n}培训学校",
                    "校外培训机构",
                    "迁安市",
                    RiskGrade(grade),
                    frozenset({"持校车"}) if n % 7 == 0 else frozenset(),
                )
            )
    # Closed institutions stay in the directory but are never drawn.
    found += [
        Target(
            code(90 + i),
            f"迁安市已注销培训学校{i}",
            "校外培训机构",
            "迁安市",
            RiskGrade.D,
            active=False,
        )
        for i in range(2)
    ]
    # Kindergartens: another task's scope, never this one's.
    found += [
        Target(code(80 + i, "12"), f"迁安市第{i}幼儿园", "幼儿园", "迁安市", RiskGrade.B)
        for i in range(3)
    ]
    return found


def inspectors(department: str) -> list[Inspector]:
    """Seven per department: the sixth is on leave and the seventh's certificate has lapsed."""
    prefix = PREFIX[department]
    return [
        Inspector(
            inspector_id=f"{prefix}{n:03d}",
            name=f"{department}检查员{n}",
            department=department,
            certificate_no=f"1302830{n:04d}",
            certificate_expiry=date(2023, 10, 31) if n == 7 else date(2026, 12, 31),
            phone=f"139{list(PREFIX).index(department)}{n:07d}",
        )
        for n in range(1, 8)
    ]


def kindergarten_task(directory_id: UUID) -> TaskDefinition:
    return TaskDefinition(
        name="2023年迁安市幼儿园食品安全联合抽查",
        lead="education",
        cooperating=("market",),
        items={"education": ITEMS["education"], "market": ITEMS["market"]},
        directory_id=directory_id,
        scope=Scope(category="幼儿园"),
        ratios={},
        directed=True,
        window_start=date(2023, 11, 1),
        window_end=date(2023, 11, 30),
    )


def joint_task(directory_id: UUID) -> TaskDefinition:
    return TaskDefinition(
        name="2023年迁安市校外培训机构跨部门联合抽查",
        lead="education",
        cooperating=("police", "fire"),
        items={d: ITEMS[d] for d in ("education", "police", "fire")},
        directory_id=directory_id,
        scope=Scope(category="校外培训机构", region="迁安市"),
        ratios=RATIOS,
        directed=False,
        window_start=date(2023, 11, 1),
        window_end=date(2023, 11, 30),
    )


class JointInspection:
    """The joint inspection, one step per method, at the times the 2023 calendar makes sense of.

    The draw is on Wednesday 1 November: the cooperating departments must confirm by Friday the
    3rd; fire only confirms on Monday the 6th, after the deadline watch has escalated it.
    """

    SECRET = SECRET
    BEACON = BEACON
    RATIOS = RATIOS
    IN_SCOPE = IN_SCOPE
    DEPARTMENTS = ("education", "police", "fire")

    @staticmethod
    def population() -> dict[str, str]:
        """What the joint task must draw from: active 校外培训机构, credit code -> grade."""
        return {
            t.credit_code: t.risk_grade.value
            for t in institutions()
            if t.category == "校外培训机构" and t.active
        }

    def __init__(self, service: Service) -> None:
        self.service = service
        self.tasks = service.tasks
        self.directories = service.directories
        self.directory_id = TargetDirectory.id_for(DIRECTORY)
        self.plan_id: UUID | None = None
        self.task_id: UUID = UUID(int=0)
        self.other_task_id: UUID = UUID(int=0)
        self.recusal: tuple[str, str] | None = None
        """(inspector, target) of the declared conflict of interest, once declared."""
        self.targets: list[str] = []
        """Matched targets in match order, once matched."""

    def task(self, task_id: UUID | None = None) -> Task:
        """The task as stored, as the office reads it."""
        return self.tasks.task(OFFICE, task_id or self.task_id)

    # ------------------------------------------------------------------ before the draw
    def open_directories(self) -> JointInspection:
        directories = self.directories
        directories.open_target_directory(EDUCATION, DIRECTORY, at=at("2023-10-20"))
        directories.register_targets(
            EDUCATION, self.directory_id, institutions(), at=at("2023-10-20", "10:00")
        )
        for code in (*self.DEPARTMENTS, "market"):
            actor = department(code)
            directories.open_inspector_directory(actor, at=at("2023-10-20"))
            directories.register_inspectors(actor, inspectors(code), at=at("2023-10-20", "11:00"))
            directories.take_leave(actor, f"{PREFIX[code]}006", at=at("2023-10-27"))
        return self

    def plan(self) -> JointInspection:
        summary = self.tasks.register_plan(
            EDUCATION,
            2023,
            "2023年度跨部门“双随机”联合抽查工作计划",
            [joint_task(self.directory_id), kindergarten_task(self.directory_id)],
            at=at("2023-10-30"),
            document="迁双随机办〔2023〕30号",
        )
        self.plan_id = summary.plan_id
        self.task_id, self.other_task_id = summary.task_ids
        self.service.settle()
        return self

    def commit(self) -> JointInspection:
        for task_id in (self.task_id, self.other_task_id):
            self.tasks.commit_seed(
                EDUCATION, task_id, SECRET, BEACON_SOURCE, at=at("2023-10-31", "16:00")
            )
        self.service.settle()
        return self

    def draw(self) -> JointInspection:
        for task_id in (self.task_id, self.other_task_id):
            self.tasks.draw_targets(
                EDUCATION, task_id, SECRET, BEACON, at=at("2023-11-01", "09:30")
            )
        self.service.settle()  # the dispatch process sends the tasks to the cooperating departments
        return self

    # ------------------------------------------------------------------ confirm and groups
    def confirm(self) -> JointInspection:
        self.tasks.confirm(department("police"), self.task_id, at=at("2023-11-02", "10:15"))
        self.service.settle()
        self.service.deadlines.check(at("2023-11-06", "08:30"))
        self.service.settle()
        self.tasks.confirm(department("fire"), self.task_id, at=at("2023-11-06", "10:00"))
        self.service.settle()
        return self

    def draw_inspectors(self) -> JointInspection:
        for code, clock in zip(self.DEPARTMENTS, ("14:00", "14:20", "14:40"), strict=True):
            self.tasks.draw_inspectors(department(code), self.task_id, at=at("2023-11-06", clock))
        self.service.settle()
        return self

    def recuse(self) -> JointInspection:
        """Group 1's first fire inspector must recuse from the target the deal gives group 1 first."""
        task = self.task()
        first = min(task.drawn_targets, key=lambda t: draw.rank(task.seed, "match", t))
        inspector = task.inspector_draws["fire"].groups[0][0]
        self.directories.declare_conflict(
            department("fire"),
            inspector,
            first,
            "其配偶为该机构举办者",
            at=at("2023-11-06", "16:30"),
        )
        self.recusal = (inspector, first)
        self.service.settle()
        return self

    def match(self) -> JointInspection:
        matches = self.tasks.match_groups(EDUCATION, self.task_id, at=at("2023-11-07", "09:00"))
        self.targets = list(matches)
        for code in self.DEPARTMENTS:
            self.tasks.file_grouping(
                department(code),
                self.task_id,
                {"1": "冀B·00001", "2": "冀B·00002"},
                at=at("2023-11-07", "15:00"),
            )
        self.service.settle()
        return self

    # ------------------------------------------------------------------ visits and results
    def visit(self) -> JointInspection:
        """Notices on the 8th, every visit on the 9th; the third target refuses to sign."""
        for n, target in enumerate(self.targets):
            method = "phone" if n % 4 == 3 else "letter"
            self.tasks.serve_notice(
                EDUCATION, self.task_id, target, method, "法定代表人", at=at("2023-11-08")
            )
        for n, target in enumerate(self.targets):
            signed = n != 2
            note = "" if signed else "法定代表人拒绝在一企一表上签字，检查组已如实记录并拍照留存"
            self.tasks.record_visit(
                EDUCATION, self.task_id, target, signed, note, at=at("2023-11-09", "10:00")
            )
        self.service.settle()
        return self

    PROBLEMS: ClassVar[dict[str, tuple[str, str]]] = {
        "fire": ("发现问题已责令改正", "疏散通道堆放杂物"),
        "education": ("发现问题待后续处理", "2 名教师无教师资格证"),
        "police": ("发现问题待后续处理", "未建立内部治安保卫制度"),
    }

    @property
    def problem_of(self) -> dict[str, str]:
        """Which department finds a problem at which target."""
        return {self.targets[1]: "fire", self.targets[4]: "education", self.targets[2]: "police"}

    def record_results(self) -> JointInspection:
        """Everything on the evening of the visit, except police forgetting the last target."""
        for target in self.targets:
            for code in self.DEPARTMENTS:
                if code == "police" and target == self.targets[-1]:
                    continue
                findings = {item.code: "符合要求" for item in ITEMS[code]}
                category = "未发现问题"
                if self.problem_of.get(target) == code:
                    category, findings[ITEMS[code][0].code] = self.PROBLEMS[code]
                if code == "education" and target == self.targets[0]:
                    category, findings["JY-2"] = "发现问题待后续处理", "教材未备案"  # a slip
                self.tasks.record_result(
                    department(code),
                    self.task_id,
                    target,
                    category,
                    findings,
                    at=at("2023-11-09", "17:00"),
                )
        self.service.settle()
        return self

    def late_result_and_correction(self) -> JointInspection:
        self.service.deadlines.check(at("2023-11-15", "08:30"))  # due the 14th
        self.service.settle()
        self.tasks.record_result(
            department("police"),
            self.task_id,
            self.targets[-1],
            "未发现问题",
            {"GA-1": "符合要求"},
            at=at("2023-11-15", "10:00"),
        )
        self.tasks.correct_result(
            EDUCATION,
            self.task_id,
            self.targets[0],
            "未发现问题",
            {"JY-2": "符合要求"},
            "复核发现教材已于 10 月备案，原录入有误",
            at=at("2023-11-16", "15:00"),
        )
        self.service.settle()
        return self

    def publish(self) -> JointInspection:
        self.tasks.publish(EDUCATION, self.task_id, at=at("2023-11-20", "10:00"))
        self.service.settle()
        return self

    def follow_up(self) -> dict[str, int]:
        numbers = {
            code: self.tasks.open_follow_up(
                department(code),
                self.task_id,
                target,
                self.PROBLEMS[code][1],
                date(2023, 12, 20),
                at=at("2023-11-20", "15:00"),
            )
            for target, code in self.problem_of.items()
        }
        self.service.settle()
        return numbers

    def settle_follow_ups(self, numbers: dict[str, int]) -> JointInspection:
        tasks = self.tasks
        tasks.close_follow_up(
            department("fire"),
            self.task_id,
            numbers["fire"],
            "已清理，复查合格",
            at=at("2023-12-05"),
        )
        tasks.close_follow_up(
            EDUCATION,
            self.task_id,
            numbers["education"],
            "已补充持证教师，复查合格",
            at=at("2023-12-12"),
        )
        tasks.transfer_follow_up(
            department("police"),
            self.task_id,
            numbers["police"],
            "迁安市市场监管局",
            "涉及无照经营线索，抄告市场监管部门",
            at=at("2023-12-14"),
        )
        self.service.settle()
        return self

    def close(self) -> JointInspection:
        self.tasks.close_task(EDUCATION, self.task_id, at=at("2023-12-20", "17:00"))
        self.service.settle()
        return self

    def plan_year_end(self) -> UUID:
        """A 2026 task of the same departments, planned and committed in the last days of the
        year: drawn on 31 December, its deadlines fall in 2027."""
        definition = dataclasses.replace(
            joint_task(self.directory_id),
            name="2026年迁安市校外培训机构岁末联合抽查",
            window_start=date(2026, 12, 1),
            window_end=date(2026, 12, 31),
        )
        [task_id] = self.tasks.register_plan(
            EDUCATION, 2026, "2026年岁末专项抽查计划", [definition], at=at("2026-12-28")
        ).task_ids
        self.tasks.commit_seed(EDUCATION, task_id, SECRET, "见证人报数", at=at("2026-12-29"))
        self.service.settle()
        return task_id

    # ------------------------------------------------------------------ shortcuts
    def drawn(self) -> JointInspection:
        return self.open_directories().plan().commit().draw()

    def matched(self) -> JointInspection:
        return self.drawn().confirm().draw_inspectors().recuse().match()

    def published(self) -> JointInspection:
        return self.matched().visit().record_results().late_result_and_correction().publish()

    def closed(self) -> JointInspection:
        published = self.published()
        published.settle_follow_ups(published.follow_up())
        return published.close()


@pytest.fixture
def joint(service: Service) -> JointInspection:
    return JointInspection(service)


# ---------------------------------------------------------------------------- reading as users do
def inbox(service: Service, code: str) -> list[InboxItem]:
    """The department's inbox, as the department reads it (first page)."""
    service.read_models.catch_up()
    return list(service.queries.inbox(department(code), code, 1000).items)


def register_of(service: Service, credit_code: str | None = None) -> list[RegisterEntry]:
    service.read_models.catch_up()
    return list(service.queries.register(PUBLIC, credit_code, 1000).items)


def draws_of(service: Service) -> dict[UUID, PublishedDraw]:
    service.read_models.catch_up()
    return {d.task_id: d for d in service.queries.draws(PUBLIC, 1000).items}


def ledger_of(service: Service) -> list[LedgerRow]:
    service.read_models.catch_up()
    return list(service.queries.ledger(OFFICE, 1000).items)


def escalations_of(service: Service) -> list[Escalation]:
    service.read_models.catch_up()
    return list(service.queries.escalations(OFFICE, 1000).items)
