"""The auditor's check of a commitment's exclusions (国办发〔2024〕54号), from the log alone.

The exclusions are computed again exactly as the commitment computed them (domain/inspection_caps.py):
from the draws logged before the commitment (by log position: a draw entered later with an
earlier date did not exist then), the year's caps as they stood at that position, and the
task's exclusion period. Each exclusion recorded must be one the rule gives, with the same
reason and evidence, and the rule must give no other; the same for the exemptions that kept a
target in. A recorded exclusion whose counted draws do not exist, came later or do not reach a
cap is reported with the task, the event and the target's credit code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.inspection_caps import exclusions
from domain.task import Task
from domain.values import local_day
from services.inspection_caps import caps_version_before, logged_draws, year_caps
from services.log import raw_log
from services.store import SsjApplication

Check = Callable[..., None]


def position_of(app: SsjApplication, committed: Task.SeedCommitted) -> int | None:
    """The commitment's place in the global log."""
    for row in raw_log(app.recorder, topics=(get_topic(Task.SeedCommitted),)):
        if (
            isinstance(row, Notification)
            and row.originator_id == committed.originator_id
            and row.originator_version == committed.originator_version
        ):
            return row.id
    return None


def check_exclusions(
    app: SsjApplication,
    task: Task,
    committed: Task.SeedCommitted,
    scope_population: Mapping[str, str],
    check: Check,
) -> None:
    """Report, through `check`, the first exclusion or exemption the log does not justify."""
    recorded = {str(e["credit_code"]): dict(e) for e in committed.exclusions}
    inputs = committed.exclusion_inputs or {}
    days = task.definition.exclusion_days
    nothing = not recorded and not committed.exempted and days is None and not inputs
    if nothing and not _caps_could_apply(app, committed):
        return
    position = position_of(app, committed)
    if position is None:
        check("SeedCommitted 在日志中的位置", "存在", "不存在")
        return
    through = inputs.get("counted_through")
    if isinstance(through, int) and through < position:
        position = through + 1  # the log as the commitment read it (see exclusions_for)
    year = local_day(committed.at).year
    version = caps_version_before(app, year, position)
    caps = year_caps(app, year, version) if version is not None else None
    check("exclusion_inputs.exclusion_days", days, inputs.get("exclusion_days", days))
    check(
        "exclusion_inputs.caps（按日志重建）",
        caps.as_record() if caps is not None else None,
        inputs.get("caps"),
    )
    prior = [draw for _, draw in logged_draws(app, position)]
    expected = exclusions(
        scope_population, task.id, task.definition.departments, committed.at, days, caps, prior
    )
    wanted = {e.credit_code: e.as_record() for e in expected.excluded}
    for code in sorted(set(recorded) | set(wanted)):
        check(_what(code, recorded.get(code)), wanted.get(code), recorded.get(code), code)
    check("exempted（按日志重算）", list(expected.exempted), list(committed.exempted))


def _caps_could_apply(app: SsjApplication, committed: Task.SeedCommitted) -> bool:
    """Whether the year of a commitment that records no exclusions had caps at all."""
    return year_caps(app, local_day(committed.at).year) is not None


def _what(code: str, record: Mapping[str, Any] | None) -> str:
    if record is None:
        return f"排除对象 {code}（按日志应被排除，承诺未排除）"
    return f"排除对象 {code}（{record.get('reason_text', '')}）的依据"
