"""Two departments draw the same 校外培训机构 in November 2023: education's joint task (with police
and fire) of 迁安市's plan, and market's own task (内部抽查) of another plan, directed at every
institution, whose window meets education's; a third task, fire's in December, does not meet it.
The service runs on an SQLite file, as the embedded default does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from domain.directory import CheckItem
from domain.task_definition import TaskDefinition
from domain.values import Scope
from services.accounts import Accounts
from services.actors import Actor
from tests.accounts.conftest import cheap_hasher
from tests.http.conftest import World
from tests.services.conftest import BEACON, BEACON_SOURCE, SECRET, JointInspection, at

MARKET = Actor.lead("market")
FIRE_LEAD = Actor.lead("fire")
OFFICE = Actor.office()

MARKET_ITEMS = (
    CheckItem("SC-1", "食品安全管理情况", "《食品安全法》第四十四条", "实地核查"),
    CheckItem("SC-2", "收费公示情况", "《价格法》第十三条", "书面检查"),
)


def own_task(name: str, lead: str, directory_id: UUID, start: date, end: date) -> TaskDefinition:
    items = (
        MARKET_ITEMS if lead == "market" else (CheckItem("XF-9", "消防安全检查", "", "实地核查"),)
    )
    return TaskDefinition(
        name=name,
        lead=lead,
        cooperating=(),
        items={lead: items},
        directory_id=directory_id,
        scope=Scope(category="校外培训机构", region="迁安市"),
        ratios={},
        directed=True,
        window_start=start,
        window_end=end,
        groups=1,  # one group of the department's inspectors visits every institution
    )


class TwoPlans:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.joint = JointInspection(service)
        self.market_task = UUID(int=0)
        self.fire_task = UUID(int=0)

    def drawn(self) -> TwoPlans:
        joint = self.joint.open_directories().plan().commit().draw()
        tasks = self.service.tasks
        market = tasks.register_plan(
            MARKET,
            2023,
            "2023年度市场监管部门“双随机”抽查工作计划",
            [
                own_task(
                    "2023年校外培训机构收费及食品安全抽查",
                    "market",
                    joint.directory_id,
                    date(2023, 11, 6),
                    date(2023, 12, 15),
                )
            ],
            at=at("2023-10-30", "11:00"),
        )
        fire = tasks.register_plan(
            FIRE_LEAD,
            2023,
            "2023年度消防救援部门“双随机”抽查工作计划",
            [
                own_task(
                    "2023年12月校外培训机构消防检查",
                    "fire",
                    joint.directory_id,
                    date(2023, 12, 16),
                    date(2023, 12, 31),
                )
            ],
            at=at("2023-10-30", "11:00"),
        )
        [self.market_task] = market.task_ids
        [self.fire_task] = fire.task_ids
        for actor, task_id in ((MARKET, self.market_task), (FIRE_LEAD, self.fire_task)):
            tasks.commit_seed(actor, task_id, SECRET, BEACON_SOURCE, at=at("2023-10-31", "16:30"))
            tasks.draw_targets(actor, task_id, SECRET, BEACON, at=at("2023-11-01", "10:00"))
        self.service.settle()
        return self

    @property
    def joint_task(self) -> UUID:
        return self.joint.task_id

    def shared(self) -> list[str]:
        """The targets both education's joint task and market's task drew."""
        return list(self.joint.task().drawn_targets)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    opened = bootstrap(load_settings(db=tmp_path / "ssj.db"))
    yield opened
    opened.close()


@pytest.fixture
def plans(service: Service) -> TwoPlans:
    return TwoPlans(service).drawn()


# ---------------------------------------------------------------------------- the HTTP front
@pytest.fixture
def web(plans: TwoPlans) -> World:
    """The app on the same service, with 迁安市's accounts (argon2 made cheap) and API keys."""
    service = plans.service
    service.__dict__["accounts"] = Accounts(service.account_store, cheap_hasher())
    return World.of(service)
