"""The same offers and merge on PostgreSQL, as the service's restricted role: the joint visit and
its index go into the one events table, and the read models fold past them."""

from __future__ import annotations

import pytest

from adapters.bootstrap import bootstrap, load_settings
from domain.joint_visit import AlreadyMergedError
from tests.conftest import Database
from tests.joint_visits.conftest import OFFICE, TwoPlans
from tests.services.conftest import AUDITOR, at


def test_offers_and_a_merge_on_postgres(database: Database) -> None:
    service = bootstrap(load_settings(database_url=database.service_url))
    try:
        plans = TwoPlans(service).drawn()
        target = plans.shared()[0]
        offers = service.joint_visits.offers(OFFICE)
        assert sorted(o.target for o in offers) == sorted(plans.shared())
        tasks = [plans.joint_task, plans.market_task]
        merged = service.joint_visits.merge(OFFICE, target, tasks, at=at("2023-11-02"))
        with pytest.raises(AlreadyMergedError):
            service.joint_visits.merge(OFFICE, target, tasks[::-1], at=at("2023-11-02"))
        service.settle()  # the read models go on past the joint visit's events
        assert target not in {o.target for o in service.joint_visits.offers(OFFICE)}
        assert [v.joint_visit_id for v in service.joint_visits.merged(AUDITOR)] == [
            merged.joint_visit_id
        ]
        exported = [e for e in service.auditor.export(AUDITOR) if e.get("type") == "Merged"]
        assert [e["aggregate_id"] for e in exported] == [str(merged.joint_visit_id)]
        assert service.auditor.check_log(AUDITOR).ok
        assert service.auditor.verify(AUDITOR).ok
    finally:
        service.close()
