"""Large saves on PostgreSQL: a directory import is one transaction of several megabytes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from adapters.bootstrap import bootstrap, load_settings
from domain.credit_code import make_credit_code
from domain.directory import RiskGrade, Target
from domain.values import Scope
from services.actors import Actor
from tests.conftest import Database

CHINA = timezone(timedelta(hours=8))


def test_a_directory_of_twenty_thousand_targets_imports_in_one_transaction_and_reads_back(
    database: Database,
) -> None:
    """psycopg 3.3.9 deadlocks when a pipelined save exceeds a few hundred KB; the service's
    recorder (adapters/postgres/recorder.py) saves without a pipeline, and this keeps it so."""
    service = bootstrap(load_settings(database_url=database.service_url))
    market = Actor.lead("market")
    try:
        directory = service.directories.open_target_directory(
            market, "迁安市市场主体名录库", at=datetime(2024, 1, 2, 9, tzinfo=CHINA)
        )
        targets = [
            Target(
                make_credit_code(f"9113028{n:010d}"),
                f"迁安市第{n}号企业",
                "企业",
                "迁安市",
                RiskGrade("ABCD"[n % 4]),
            )
            for n in range(20_000)
        ]
        count = service.directories.register_targets(
            market, directory, targets, at=datetime(2024, 1, 3, tzinfo=CHINA)
        )
        population = service.directories.population(directory, Scope(category="企业"))
    finally:
        service.close()

    assert count == 20_000
    assert len(population.members) == 20_000
    assert population.members[targets[7].credit_code] == "D"
