"""`ssj visit offers` and `ssj visit merge` on the SQLite file the world was written to."""

from __future__ import annotations

from pathlib import Path

from tests.adapters.test_cli import ok, ssj
from tests.joint_visits.conftest import OFFICE, TwoPlans


def test_the_office_reads_the_offers_and_merges_one_from_the_command_line(
    plans: TwoPlans,
) -> None:
    db: Path = plans.service.settings.db
    target = plans.shared()[0]
    joint, market = str(plans.joint_task), str(plans.market_task)
    plans.service.close()

    offers = ok(ssj(db, "visit", "offers"))
    assert f"{target}" in offers
    assert "2023-11-06 至 2023-11-30" in offers
    assert f"ssj visit merge --target {target} --task {joint} --task {market}" in offers
    assert "SC-2 收费公示情况" in offers and "GA-1 单位内部治安保卫情况" in offers
    assert str(plans.fire_task) not in offers

    merged = ok(
        ssj(
            db,
            "visit",
            "merge",
            "--target",
            target,
            "--task",
            joint[:8],
            "--task",
            market[:8],
            "--reason",
            "一次入户",
            "--at",
            "2023-11-02T09:00",
        )
    )
    assert f"已合并：{target}" in merged and "2023-11-06 至 2023-11-30" in merged
    assert "一企一表共 6 项事项" in merged

    again = ssj(db, "visit", "merge", "--target", target, "--task", joint, "--task", market)
    assert again.exit_code != 0 and "已合并" in again.output
    listed = ok(ssj(db, "visit", "offers", "--role", "auditor"))
    assert f"已合并 {target}" in listed
    assert f"{target}  " not in listed.split("已合并")[0]


def test_a_department_may_not_read_the_offers(plans: TwoPlans) -> None:
    db: Path = plans.service.settings.db
    assert plans.service.joint_visits.offers(OFFICE)
    plans.service.close()
    refused = ssj(db, "visit", "offers", "--dept", "market")
    assert refused.exit_code != 0 and "无权查看可合并的联合检查" in refused.output
    unnamed = ssj(db, "visit", "offers", "--role", "lead")
    assert unnamed.exit_code != 0 and "department" in unnamed.output
