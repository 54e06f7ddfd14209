"""进一次门、查多项事 against the caps (国办发〔2024〕54号): the tasks whose visits of a target the
office merged into one joint visit are one entry through the enterprise's door. The commitment
counts them once in the total, the auditor's recomputation from the log agrees, and the
enterprise's ledger shows them as one visit."""

from __future__ import annotations

from dataclasses import replace
from typing import cast
from uuid import UUID

import pytest

from adapters.bootstrap import Service
from domain.inspection_caps import CAP_TOTAL, Exclusion, Exclusions
from domain.task import Task
from services.inspection_caps import prior_draws, year_caps
from services.inspection_ledger import InspectionLedgers, joint_visits_in
from tests.caps.test_caps import _commit_with
from tests.caps.world import AUDITOR, OFFICE, County, at


def committed(service: Service, task_id: UUID) -> Task.SeedCommitted:
    return cast(Task.SeedCommitted, service.tasks.task(OFFICE, task_id).commitment)


class Merged:
    """Education and market each drew the county's institutions in 2025; the office merged their
    visits of one target they share; the total cap is 2."""

    def __init__(self, county: County) -> None:
        self.county = county
        service = county.service
        self.education = county.plan("education", directed=False)
        self.market = county.plan("market", directed=False)
        county.run(self.education, "2025-03-03")
        county.run(self.market, "2025-03-10", lead="market")
        shared = sorted(
            set(service.tasks.task(OFFICE, self.education).drawn_targets)
            & set(service.tasks.task(OFFICE, self.market).drawn_targets)
        )
        assert len(shared) >= 2, "the two draws share targets: one merged, one not"
        self.merged, self.apart = shared[0], shared[1:]
        service.joint_visits.merge(
            OFFICE,
            self.merged,
            [self.education, self.market],
            at=at("2025-03-12"),
            reason="同一机构，一次入户检查",
            by="office_li",
        )
        county.caps.set_caps(OFFICE, 2025, {}, 2, at=at("2025-03-13"))
        service.settle()


@pytest.fixture
def merged(county: County) -> Merged:
    return Merged(county)


def test_a_merged_visit_counts_once_in_the_total_cap_of_a_third_tasks_draw(
    merged: Merged,
) -> None:
    service, county = merged.county.service, merged.county
    fire = county.plan("fire")
    county.commit(fire, "2025-04-01", lead="fire")
    left_out = {e["credit_code"]: e for e in committed(service, fire).exclusions}

    assert merged.merged not in left_out  # two tasks, one entry: 1 < 2
    assert set(merged.apart) <= set(left_out)  # two tasks, two entries: the cap is reached
    for code in merged.apart:
        assert left_out[code]["reason"] == CAP_TOTAL
        assert "本年已抽查 2 次" in left_out[code]["reason_text"]
        assert all("joint_visit_id" not in d for d in left_out[code]["evidence"])
    assert service.auditor.verify(AUDITOR).ok  # the recomputation from the log agrees


def test_the_merge_counts_only_for_commitments_logged_after_it(county: County) -> None:
    """Deterministic from the log before the commitment: the same draws, without the merge,
    count twice."""
    service = county.service
    education = county.plan("education", directed=False)
    market = county.plan("market", directed=False)
    county.run(education, "2025-03-03")
    county.run(market, "2025-03-10", lead="market")
    county.caps.set_caps(OFFICE, 2025, {}, 2, at=at("2025-03-13"))
    shared = set(service.tasks.task(OFFICE, education).drawn_targets) & set(
        service.tasks.task(OFFICE, market).drawn_targets
    )
    fire = county.plan("fire")
    county.commit(fire, "2025-04-01", lead="fire")
    assert {e["credit_code"] for e in committed(service, fire).exclusions} == shared
    target = sorted(shared)[0]
    service.joint_visits.merge(OFFICE, target, [education, market], at=at("2025-04-02"))

    later = county.plan("fire")
    county.commit(later, "2025-04-03", lead="fire")
    # `fire` drew in neither: the earlier commitment's exclusions stay as they were.
    assert target not in {e["credit_code"] for e in committed(service, later).exclusions}
    assert service.auditor.verify(AUDITOR).ok  # each checked against the log before it


def test_the_commitment_records_the_joint_visit_in_the_evidence_it_counted(
    merged: Merged,
) -> None:
    service, county = merged.county.service, merged.county
    county.caps.set_caps(OFFICE, 2025, {}, 1, at=at("2025-03-20"))
    fire = county.plan("fire")
    county.commit(fire, "2025-04-01", lead="fire")
    [record] = [e for e in committed(service, fire).exclusions if e["credit_code"] == merged.merged]
    assert "本年已抽查 1 次" in record["reason_text"]
    joint = {d.get("joint_visit_id") for d in record["evidence"]}
    assert len(record["evidence"]) == 2 and len(joint) == 1 and None not in joint
    assert service.auditor.verify(AUDITOR).ok


def test_the_auditor_reports_a_commitment_that_counted_a_merged_visit_twice(
    merged: Merged,
) -> None:
    service, county = merged.county.service, merged.county
    fire = county.plan("fire")
    both = [d for d in prior_draws(service.tasks) if merged.merged in d.targets]
    assert len(both) == 2 and all(d.joint for d in both)
    twice = tuple(replace(d, joint={}) for d in both)  # as if nothing had been merged
    definition = service.tasks.task(OFFICE, fire).definition
    grade = service.directories.population(definition.directory_id, definition.scope).members[
        merged.merged
    ]
    caps = year_caps(service.tasks, 2025)
    assert caps is not None
    forged = Exclusions(
        (Exclusion(merged.merged, grade, CAP_TOTAL, "已达年度检查总次数上限", twice),),
        inputs={"exclusion_days": None, "caps": caps.as_record()},
    )
    _commit_with(service, fire, forged, "2025-04-01")
    county.draw(fire, "2025-04-01", lead="fire")
    report = service.auditor.verify(AUDITOR)
    assert not report.ok
    [difference] = report.differences
    assert merged.merged in str(difference) and "排除对象" in str(difference)


def test_the_ledger_shows_the_merged_tasks_as_one_visit(merged: Merged) -> None:
    service = merged.county.service
    ledgers = InspectionLedgers(service.read_models, joint_visits_in(service.tasks))
    ledger = ledgers.ledger(OFFICE, merged.merged)
    per, total = ledger.counts(2025)
    assert total == 1 and per == {"education": 1, "market": 1}
    [visit] = ledger.visits(2025)
    assert {r.task_id for r in visit} == {merged.education, merged.market}
    assert len({r.joint_visit_id for r in visit}) == 1

    apart = ledgers.ledger(OFFICE, merged.apart[0])
    assert apart.counts(2025)[1] == 2 and len(apart.visits(2025)) == 2
    # Without the log's index (as the read model alone folds it): two inspections.
    assert InspectionLedgers(service.read_models).ledger(OFFICE, merged.merged).counts(2025)[1] == 2


async def test_the_enterprises_page_and_the_api_show_one_visit(merged: Merged) -> None:
    from tests.console.conftest import text_of
    from tests.http.conftest import World

    world = World.of(merged.county.service)
    office = await world.user("office_li")
    try:
        page = await office.get(f"/enterprises/{merged.merged}")
        assert page.status_code == 200
        assert "2025 年：共 1 次" in text_of(page.text)
        assert page.text.count('data-testid="joint-visit"') == 1
        assert page.text.count('data-visit="1"') == 2  # both tasks' rows, one visit
        body = (await office.get(f"/api/v1/enterprises/{merged.merged}/inspections")).json()
        assert body["years"] == [
            {"year": 2025, "total": 1, "departments": {"education": 1, "market": 1}}
        ]
        joint = {i["joint_visit_id"] for i in body["inspections"]}
        assert len(joint) == 1 and None not in joint
    finally:
        await office.aclose()
