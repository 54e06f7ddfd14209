"""Each department's 抽查事项清单 as a directory: opened, items registered, changed, withdrawn; a
plan's task naming items by code takes them from it, and an unknown code names its field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.importing.item_rows import read_item_list
from adapters.plan_file import PlanFileError, read_plan
from domain.errors import InvalidValueError
from domain.item_catalogue import DuplicateItemError, ItemCatalogue, ListedItem, UnknownItemError
from domain.publicity import InspectionMethod
from services.actors import Actor
from services.errors import ForbiddenError
from tests.services.conftest import AUDITOR, PUBLIC, JointInspection, at, department

SAMPLES = Path(__file__).resolve().parents[2] / "adapters" / "demo_data"
M = InspectionMethod


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    service = bootstrap(load_settings(db=tmp_path / "ssj.db"))
    yield service
    service.close()


def sample(code: str) -> tuple[ListedItem, ...]:
    report = read_item_list(SAMPLES / f"items-{code}.csv")
    assert report.ok, report.render()
    return report.good


def load_samples(service: Service) -> None:
    for code in ("education", "police", "fire"):
        service.item_catalogues.import_items(
            department(code),
            sample(code),
            title=f"{code} 清单",
            reason="首次公布",
            at=at("2023-10-10"),
        )


def events(service: Service, code: str) -> list[str]:
    return [type(e).__name__ for e in service.item_catalogues.events_of(ItemCatalogue.id_for(code))]


def test_a_list_lives_as_events_registered_changed_withdrawn(service: Service) -> None:
    catalogues, fire = service.item_catalogues, Actor.cooperating("fire")
    load_samples(service)
    changed = ListedItem(
        "XF-4",
        "消防安全培训和演练情况",
        "《中华人民共和国消防法》第十六条",
        "社会单位",
        (M.WRITTEN, M.ON_SITE),
        "不低于5%",
        "1次/年",
    )
    assert catalogues.change_item(fire, changed, "比例调整", at=at("2023-10-11"))
    assert not catalogues.change_item(fire, changed, "再次提交", at=at("2023-10-11"))  # same row
    catalogues.withdraw(fire, "XF-3", "并入 XF-1", at=at("2023-10-12"))

    view = catalogues.catalogue(PUBLIC, "fire")
    assert [i.code for i in view.items] == ["XF-1", "XF-2", "XF-4"]
    assert [i.code for i in view.withdrawn] == ["XF-3"]
    assert view.items[-1].methods == (M.ON_SITE, M.WRITTEN) and view.items[-1].ratio == "不低于5%"
    assert events(service, "fire") == ["Opened", "ItemsRegistered", "ItemChanged", "ItemWithdrawn"]
    # importing the same file again changes back what differs, and registers nothing twice
    assert catalogues.import_items(
        fire, sample("fire"), title="-", reason="按原清单", at=at("2023-10-13")
    ) == (1, 1)


def test_a_list_is_refused_whole_on_a_duplicate_and_kept_by_its_own_department(
    service: Service,
) -> None:
    catalogues = service.item_catalogues
    load_samples(service)
    before = len(events(service, "police"))
    item = sample("police")[0]
    with pytest.raises(DuplicateItemError):
        catalogues.register(Actor.cooperating("police"), [item], at=at("2023-10-11"))
    with pytest.raises(UnknownItemError):
        catalogues.withdraw(Actor.cooperating("police"), "GA-9", "无此项", at=at("2023-10-11"))
    with pytest.raises(ForbiddenError):
        catalogues.register(PUBLIC, [item], at=at("2023-10-11"))  # only a department, its own
    assert len(events(service, "police")) == before
    # every list is public
    assert [c.department for c in catalogues.catalogues(PUBLIC)] == ["education", "police", "fire"]
    assert (
        catalogues.catalogue(AUDITOR, "police")
        .items[0]
        .legal_basis.startswith("《企业事业单位内部治安保卫条例》")
    )


def test_a_plan_naming_items_by_code_takes_them_from_the_lists(service: Service) -> None:
    load_samples(service)
    items = service.item_catalogues.items_of(
        {
            "education": ["JY-1", "JY-3"],
            "fire": ["XF-2"],
            "police": [sample("police")[0].check_item],
        }
    )
    assert [i.code for i in items["education"]] == ["JY-1", "JY-3"]
    jy1 = items["education"][0]
    assert jy1.legal_basis.startswith("《中华人民共和国民办教育促进法》第二十八条")
    assert jy1.methods == (M.ON_SITE, M.WRITTEN) and jy1.allows_off_site
    assert items["fire"][0].methods == (M.ON_SITE, M.TESTING)


def test_an_unknown_or_withdrawn_code_is_an_error_naming_the_field(service: Service) -> None:
    load_samples(service)
    service.item_catalogues.withdraw(Actor.lead("education"), "JY-5", "废止", at=at("2023-10-12"))
    for code in ("JY-9", "JY-5"):
        with pytest.raises(InvalidValueError) as refused:
            service.item_catalogues.items_of({"education": ["JY-1", code]})
        assert refused.value.field == "items.education.1"
        assert "JY-1" in str(refused.value) and code in str(refused.value)
    with pytest.raises(InvalidValueError) as refused:
        service.item_catalogues.items_of({"market": ["SC-1"]})
    assert refused.value.field == "items.market"


PLAN = """
department = "education"
year = 2023
title = "2023年度跨部门联合抽查工作计划"

[[tasks]]
name = "校外培训机构跨部门联合抽查"
lead = "education"
cooperating = ["police", "fire"]
directory = "迁安市校外培训机构名录库"
ratios = {{ A = "0.1", B = "0.2", C = "0.3", D = "0.5" }}
window = ["2023-11-01", "2023-11-30"]
items.education = ["JY-1", "JY-2"]
items.police = [{{ code = "GA-1", name = "单位内部治安保卫情况" }}]
items.fire = ["{fire}"]
"""


def test_a_plan_file_draws_its_items_from_the_lists_and_the_task_keeps_its_copy(
    service: Service, tmp_path: Path
) -> None:
    load_samples(service)
    joint = JointInspection(service).open_directories()
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(fire="XF-1"), encoding="utf-8")
    plan = read_plan(path, service.item_catalogues)
    summary = service.tasks.register_plan(
        Actor.lead("education"), plan.year, plan.title, plan.definitions, at=at("2023-10-20")
    )
    task = service.tasks.task(AUDITOR, summary.task_ids[0])
    assert task.definition.items["fire"][0].legal_basis == "《中华人民共和国消防法》第十六条"
    assert task.definition.items["police"][0].legal_basis == ""  # stated inline, kept as stated
    # the list changing later never changes what the task planned
    later = ListedItem("XF-1", "新名称", "《消防法》", "社会单位", (M.WRITTEN,))
    service.item_catalogues.change_item(
        Actor.cooperating("fire"), later, "改名", at=at("2023-10-21")
    )
    assert (
        service.tasks.task(AUDITOR, summary.task_ids[0]).definition.items["fire"][0].name
        == "履行法定消防安全职责情况"
    )
    assert joint is not None

    path.write_text(PLAN.format(fire="XF-9"), encoding="utf-8")
    with pytest.raises(PlanFileError, match=r"tasks\.0\.items\.fire\.0"):
        read_plan(path, service.item_catalogues)
    with pytest.raises(PlanFileError, match=r"tasks\.0\.items\.education\.0"):
        read_plan(path)  # no lists at hand: a code alone is refused, naming its place
