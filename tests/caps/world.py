"""A county's twelve training institutions, drawn by tasks of education, market and fire over two
years, under the office's caps (国办发〔2024〕54号). Used by tests/caps and by the by-hand re-run
(tests/adapters/test_redraw_by_hand.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import UUID

from adapters.bootstrap import Service
from domain.credit_code import make_credit_code
from domain.directories import TargetDirectory
from domain.directory import CheckItem, RiskGrade, Target
from domain.task_definition import TaskDefinition
from domain.values import Scope
from services.actors import Actor
from services.inspection_caps import Caps

EDUCATION = Actor.lead("education")
MARKET = Actor.lead("market")
FIRE = Actor.lead("fire")
OFFICE = Actor.office()
AUDITOR = Actor.auditor()
PUBLIC = Actor.public()
BEIJING = timezone(timedelta(hours=8))
DIRECTORY = "某县校外培训机构名录库"
SECRET = "a1b2" * 16
BEACON = "见证人报数 271828"
ITEMS = {
    "education": (CheckItem("JY-1", "从业人员资质"),),
    "market": (CheckItem("SC-1", "收费公示情况"),),
    "fire": (CheckItem("XF-1", "消防安全职责"),),
}


def at(day: str, clock: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=BEIJING)


def code(n: int) -> str:
    return make_credit_code(f"52130283MJ{n:07d}")


TARGETS = [
    Target(code(n), f"某县第{n}培训学校", "校外培训机构", "某县", RiskGrade("AB"[n % 2]))
    for n in range(1, 13)
]


class County:
    """Plans tasks of the given departments on the one directory and draws them by hand."""

    def __init__(self, service: Service, numbers: int = 0) -> None:
        """On a store that already holds the county (`numbers` tasks planned), nothing is added."""
        self.service = service
        self.tasks = service.tasks
        self.caps = Caps(service.tasks)
        self.directory_id = TargetDirectory.id_for(DIRECTORY)
        self.numbers = numbers
        if numbers:
            return
        service.directories.open_target_directory(EDUCATION, DIRECTORY, at=at("2024-01-02"))
        service.directories.register_targets(
            EDUCATION, self.directory_id, TARGETS, at=at("2024-01-02", "10:00")
        )

    def plan(
        self,
        lead: str,
        cooperating: tuple[str, ...] = (),
        *,
        year: int = 2025,
        directed: bool = True,
        exclusion_days: int | None = None,
        ratio: str = "0.5",
    ) -> UUID:
        self.numbers += 1
        definition = TaskDefinition(
            name=f"{year}年第{self.numbers}项抽查（{lead}）",
            lead=lead,
            cooperating=cooperating,
            items={d: ITEMS[d] for d in (lead, *cooperating)},
            directory_id=self.directory_id,
            scope=Scope(category="校外培训机构"),
            ratios={"A": ratio, "B": ratio, "C": ratio, "D": ratio},
            directed=directed,
            window_start=date(year, 1, 1),
            window_end=date(year, 11, 30),
            exclusion_days=exclusion_days,
        )
        summary = self.tasks.register_plan(
            Actor.lead(lead),
            year,
            f"{year}年计划{self.numbers}",
            [definition],
            at=at(f"{year}-01-03"),
        )
        return summary.task_ids[0]

    def commit(self, task_id: UUID, day: str, lead: str = "education") -> None:
        self.tasks.commit_seed(Actor.lead(lead), task_id, SECRET, "见证人报数", at=at(day))

    def draw(self, task_id: UUID, day: str, lead: str = "education") -> tuple[str, ...]:
        # A beacon of its own per task: with one seed every task would draw the same targets.
        summary = self.tasks.draw_targets(
            Actor.lead(lead), task_id, SECRET, f"{BEACON} {task_id}", at=at(day, "10:00")
        )
        return summary.drawn

    def run(self, task_id: UUID, day: str, lead: str = "education") -> tuple[str, ...]:
        self.commit(task_id, day, lead)
        return self.draw(task_id, day, lead)
