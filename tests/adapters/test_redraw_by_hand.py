"""The acceptance test of DRAW-SPEC.md: an outsider re-runs every draw from the exported log alone.

The demo runs into an SQLite file and `ssj audit export` writes the log as JSON lines. From
there on, nothing of ssj is used: the rule below is DRAW-SPEC.md written out again with hashlib,
and it must give exactly the ids, inspector groups and matches the service recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from math import ceil
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.cli.main import app
from services.actors import Actor

Event = dict[str, Any]
BEIJING = timezone(timedelta(hours=8))
SECRET = "7e3a" * 16
OFFICE = Actor.office()


# ---------------------------------------------------------------------------- ssj-draw-v1, by hand
def H(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rank(seed: str, purpose: str, member: str) -> str:
    return H(seed + "|" + purpose + "|" + member)


def lowest(seed: str, purpose: str, ids: Iterable[str], k: int) -> list[str]:
    return sorted(ids, key=lambda member: rank(seed, purpose, member))[:k]


def replay_targets(log: list[Event], directory_id: str, position: int) -> dict[str, Event]:
    """The target directory as of its version `position`: each row, named by the event's
    `columns`, the latest one wins."""
    targets: dict[str, Event] = {}
    for e in log:
        if (
            e["aggregate_id"] == directory_id
            and e["version"] <= position
            and e["type"] in ("TargetsRegistered", "TargetsUpdated")
        ):
            columns = e["fields"]["columns"]
            records = (dict(zip(columns, row, strict=True)) for row in e["fields"]["targets"])
            targets.update({t["credit_code"]: t for t in records})
    return targets


def population(targets: dict[str, Event], scope: Event) -> dict[str, str]:
    """Active targets in scope, credit code -> grade."""
    return {
        code: t["risk_grade"]
        for code, t in targets.items()
        if t["active"]
        and (not scope["category"] or t["category"] == scope["category"])
        and (not scope["region"] or t["region"] == scope["region"])
        and set(scope["tags"]) <= set(t["tags"])
    }


def population_digest(members: dict[str, str]) -> str:
    return H("".join(f"{code}|{members[code]}\n" for code in sorted(members)))


def strata(members: dict[str, str], ratios: dict[str, str]) -> dict[str, Event]:
    sizes = Counter(members.values())
    return {
        grade: {"N": sizes[grade], "r": r, "k": min(sizes[grade], ceil(Fraction(r) * sizes[grade]))}
        for grade, r in ratios.items()
    }


def replay_inspectors(log: list[Event], department: str, position: int) -> dict[str, Event]:
    """A department's inspector directory as of its version `position`."""
    [directory_id] = [
        e["aggregate_id"]
        for e in log
        if e["aggregate"] == "InspectorDirectory"
        and e["type"] == "Opened"
        and e["fields"]["department"] == department
    ]
    people: dict[str, Event] = {}
    for e in log:
        if e["aggregate_id"] != directory_id or e["version"] > position:
            continue
        f = e["fields"]
        if e["type"] == "InspectorsRegistered":
            people.update({p["inspector_id"]: dict(p) for p in f["inspectors"]})
        elif e["type"] == "InspectorUpdated":
            people[f["inspector"]["inspector_id"]] = dict(f["inspector"])
        elif e["type"] == "ConflictDeclared":
            person = people[f["inspector_id"]]
            person["conflicts"] = sorted({*person["conflicts"], f["credit_code"]})
    return people


def pool(people: dict[str, Event], day: date) -> list[str]:
    """Active, not on leave, certificate valid on the draw day."""
    return sorted(
        i
        for i, p in people.items()
        if p["active"] and not p["on_leave"] and date.fromisoformat(p["certificate_expiry"]) >= day
    )


def deal(
    seed: str, targets: list[str], groups: list[set[str]], conflicts: dict[str, list[str]]
) -> dict[str, int]:
    barred = [{t for m in members for t in conflicts.get(m, [])} for members in groups]
    matches: dict[str, int] = {}
    for j, target in enumerate(sorted(targets, key=lambda t: rank(seed, "match", t))):
        turn = next(
            (
                g
                for g in ((j + s) % len(groups) for s in range(len(groups)))
                if target not in barred[g]
            ),
            None,
        )
        assert turn is not None, f"{target} cannot be matched"
        matches[target] = turn
    return matches


# ---------------------------------------------------------------------------- the log
@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> list[Event]:
    db = tmp_path_factory.mktemp("redraw") / "ssj.db"
    runner = CliRunner()
    demo = runner.invoke(app, ["demo", "--db", str(db), "--secret", SECRET])
    assert demo.exit_code == 0, demo.output
    exported = runner.invoke(app, ["--db", str(db), "audit", "export"])
    assert exported.exit_code == 0, exported.output
    return [json.loads(line) for line in exported.stdout.splitlines()]


def of_task(log: list[Event], task_id: str, kind: str) -> list[Event]:
    return [e for e in log if e["aggregate_id"] == task_id and e["type"] == kind]


def test_the_exported_log_holds_a_task_with_every_kind_of_draw(log: list[Event]) -> None:
    kinds = Counter(e["type"] for e in log if e["aggregate"] == "Task")
    assert kinds["TargetsDrawn"] == 1
    assert kinds["InspectorsDrawn"] == 3
    assert kinds["GroupsMatched"] == 1


def test_anyone_redraws_the_same_targets_from_the_exported_log(log: list[Event]) -> None:
    [drawn] = [e for e in log if e["type"] == "TargetsDrawn"]
    task = drawn["aggregate_id"]
    [planned] = of_task(log, task, "Planned")
    [committed] = of_task(log, task, "SeedCommitted")
    d, c, definition = drawn["fields"], committed["fields"], planned["fields"]["definition"]
    assert committed["version"] < drawn["version"]  # the commitment came first

    assert d["rule"] == "ssj-draw-v1"
    assert H(d["secret"]) == c["commitment"] == d["commitment"]
    seed = H(d["secret"] + "|" + d["beacon"])
    assert seed == d["seed"]

    assert d["directory_position"] == c["directory_position"]
    assert d["directory_id"] == c["directory_id"] == definition["directory_id"]
    directory = replay_targets(log, d["directory_id"], d["directory_position"])
    members = population(directory, definition["scope"])
    assert 0 < len(members) < len(directory)  # the closed institutions are not drawn
    assert population_digest(members) == c["population_digest"] == d["population_digest"]

    ratios = (
        dict.fromkeys(definition["ratios"], "1") if definition["directed"] else definition["ratios"]
    )
    expected = strata(members, ratios)
    assert {g: {"N": s["N"], "r": s["r"]} for g, s in expected.items()} == c["strata"]
    assert expected == d["strata"]

    for grade, stratum in expected.items():
        ids = [code for code, g in members.items() if g == grade]
        assert lowest(seed, "targets", ids, stratum["k"]) == d["drawn"][grade], grade


def test_anyone_redraws_the_same_inspector_groups_from_the_exported_log(log: list[Event]) -> None:
    [drawn] = [e for e in log if e["type"] == "TargetsDrawn"]
    task = drawn["aggregate_id"]
    definition = of_task(log, task, "Planned")[0]["fields"]["definition"]
    seed = drawn["fields"]["seed"]
    targets = sum(len(ids) for ids in drawn["fields"]["drawn"].values())
    count = definition["groups"] or ceil(targets / 5)
    m = definition["per_group"]

    draws = of_task(log, task, "InspectorsDrawn")
    assert {e["fields"]["department"] for e in draws} == {
        definition["lead"],
        *definition["cooperating"],
    }
    excluded = 0
    for e in draws:
        f = e["fields"]
        department = f["department"]
        day = datetime.fromisoformat(f["at"]).astimezone(BEIJING).date()
        people = replay_inspectors(log, department, f["directory_position"])
        eligible = pool(people, day)
        excluded += len(people) - len(eligible)
        assert H("".join(i + "\n" for i in eligible)) == f["pool_digest"], department
        assert len(eligible) == f["pool_size"], department

        chosen = lowest(seed, "inspectors:" + department, eligible, count * m)
        assert len(chosen) == count * m
        groups = [chosen[g * m : (g + 1) * m] for g in range(count)]
        assert groups == f["groups"], department
    assert excluded >= 2  # the demo has one on leave and lapsed certificates: the rule mattered


def test_anyone_rematches_the_groups_with_the_recorded_recusals(log: list[Event]) -> None:
    [drawn] = [e for e in log if e["type"] == "TargetsDrawn"]
    task = drawn["aggregate_id"]
    definition = of_task(log, task, "Planned")[0]["fields"]["definition"]
    seed = drawn["fields"]["seed"]
    targets = [
        t for grade in sorted(drawn["fields"]["drawn"]) for t in drawn["fields"]["drawn"][grade]
    ]
    confirmed = {e["fields"]["department"] for e in of_task(log, task, "DepartmentConfirmed")}
    participating = [definition["lead"], *(d for d in definition["cooperating"] if d in confirmed)]
    inspectors = {
        e["fields"]["department"]: e["fields"]["groups"]
        for e in of_task(log, task, "InspectorsDrawn")
    }
    [matched] = of_task(log, task, "GroupsMatched")
    f = matched["fields"]

    count = len(inspectors[definition["lead"]])
    groups = [{d: inspectors[d][g] for d in participating} for g in range(count)]
    assert groups == f["groups"]
    members = [{i for ids in group.values() for i in ids} for group in groups]

    declared = {
        i: p["conflicts"]
        for department, position in f["directory_positions"].items()
        for i, p in replay_inspectors(log, department, position).items()
        if p["conflicts"]
    }
    everyone = set().union(*members)
    rebuilt = {
        i: sorted(set(codes) & set(targets))
        for i, codes in declared.items()
        if i in everyone and set(codes) & set(targets)
    }
    assert rebuilt == f["conflicts"]
    assert f["conflicts"], "the demo declares a recusal that concerns a drawn target"

    matches = deal(seed, targets, members, f["conflicts"])
    assert matches == f["matches"]
    assert {s["target"]: s["group"] for s in f["sheets"]} == matches
    assert deal(seed, targets, members, {}) != matches  # the recusal moved a target
    for target, g in matches.items():
        assert not any(target in f["conflicts"].get(i, []) for i in members[g])


def test_every_recorded_time_and_id_is_plain_json_an_outsider_can_read(log: list[Event]) -> None:
    for e in log:
        datetime.fromisoformat(e["recorded_at"])
        assert isinstance(e["position"], int) and isinstance(e["version"], int)


# ---------------------------------------------------------------------------- with caps and exclusions
# 国办发〔2024〕54号: the office caps inspections per enterprise a year, a task may exclude what its
# departments drew recently, and a commitment leaves those targets out before the population is
# fixed, recording each with its reason and the earlier draws that count. An outsider re-runs such a
# draw from the export alone: the population is the scope's minus the recorded credit codes, and
# each exclusion is checked against the draws and caps the export holds.
@pytest.fixture(scope="module")
def capped_log(tmp_path_factory: pytest.TempPathFactory) -> list[Event]:
    from adapters.bootstrap import bootstrap, load_settings
    from tests.caps.world import County
    from tests.caps.world import at as county_at

    db = tmp_path_factory.mktemp("redraw-capped") / "ssj.db"
    runner = CliRunner()
    service = bootstrap(load_settings(db=db))
    try:
        county = County(service)
        first = county.plan("education", directed=False)
        second = county.plan("market", directed=False)
        county.run(first, "2025-03-03")
        county.run(second, "2025-04-01", lead="market")
        twice = sorted(
            set(service.tasks.task(OFFICE, first).drawn_targets)
            & set(service.tasks.task(OFFICE, second).drawn_targets)
        )
        assert len(twice) >= 3, "the two draws share targets: some reach the total cap"
        # 进一次门、查多项事: the office merges their visits of one shared target, which then is
        # one entry through its door.
        service.joint_visits.merge(
            OFFICE, twice[1], [first, second], at=county_at("2025-04-01", "15:00"), by="office_li"
        )
    finally:
        service.close()
    for args in (
        [
            "enterprise",
            "caps",
            "set",
            "--year",
            "2025",
            "--dept",
            "education=1",
            "--total",
            "2",
            "--at",
            "2025-04-02T09:00",
        ],
        [
            "enterprise",
            "exempt",
            twice[0],
            "--year",
            "2025",
            "--reason-kind",
            "投诉举报",
            "--reason",
            "12345 热线举报 2025-0412",
            "--at",
            "2025-04-03T09:00",
        ],
    ):
        done = runner.invoke(app, ["--db", str(db), *args])
        assert done.exit_code == 0, done.output
    service = bootstrap(load_settings(db=db))
    try:
        county = County(service, numbers=2)
        third = county.plan("market", ("fire",), exclusion_days=60)
        county.run(third, "2025-05-06", lead="market")
    finally:
        service.close()
    exported = runner.invoke(app, ["--db", str(db), "audit", "export"])
    assert exported.exit_code == 0, exported.output
    return [json.loads(line) for line in exported.stdout.splitlines()]


def caps_as_of(log: list[Event], year: int, version: int) -> Event:
    """The year's caps and exemptions, replayed from the export up to `version`."""
    caps: Event = {"departments": {}, "total": None, "exemptions": []}
    for e in log:
        if e["aggregate"] != "InspectionCaps" or e["version"] > version:
            continue
        f = e["fields"]
        if e["type"] == "Opened" and f["year"] != year:
            return caps
        if e["type"] == "CapsSet":
            caps["departments"], caps["total"] = f["departments"], f["total"]
        if e["type"] == "ExemptionGranted":
            caps["exemptions"].append(f)
    return caps


def draws_before(log: list[Event], position: int) -> list[Event]:
    """Every earlier draw: its task, departments, time and drawn ids, and for each drawn id the
    joint visit the office merged its visit into (before `position`), if any."""
    merged: dict[tuple[str, str], str] = {}
    for e in log:
        if e["aggregate"] == "JointVisit" and e["type"] == "Merged" and e["position"] < position:
            for task in e["fields"]["tasks"]:
                merged[(task["task_id"], e["fields"]["target"])] = e["aggregate_id"]
    found = []
    for e in log:
        if e["type"] == "TargetsDrawn" and e["position"] < position:
            definition = of_task(log, e["aggregate_id"], "Planned")[0]["fields"]["definition"]
            found.append(
                {
                    "task_id": e["aggregate_id"],
                    "task_name": definition["name"],
                    "departments": [definition["lead"], *definition["cooperating"]],
                    "drawn_at": e["fields"]["at"],
                    "ids": {t for ids in e["fields"]["drawn"].values() for t in ids},
                    "joint": {t: j for (task, t), j in merged.items() if task == e["aggregate_id"]},
                }
            )
    return found


def entries(draws: list[Event], code: str) -> int:
    """Entries through `code`'s door: the draws of one joint visit count once."""
    return len({d["joint"].get(code) or d["task_id"] for d in draws})


def test_anyone_redraws_a_draw_with_caps_and_exclusions_from_the_exported_log(
    capped_log: list[Event],
) -> None:
    log = capped_log
    [drawn] = [e for e in log if e["type"] == "TargetsDrawn" and e["fields"]["excluded"]]
    task = drawn["aggregate_id"]
    [planned] = of_task(log, task, "Planned")
    [committed] = of_task(log, task, "SeedCommitted")
    d, c, definition = drawn["fields"], committed["fields"], planned["fields"]["definition"]
    assert d["excluded"] == c["exclusions"]

    # The population: the scope's active targets at the position, minus the recorded exclusions.
    directory = replay_targets(log, d["directory_id"], d["directory_position"])
    scope = population(directory, definition["scope"])
    left_out = {e["credit_code"] for e in c["exclusions"]}
    assert left_out < set(scope)
    members = {code: grade for code, grade in scope.items() if code not in left_out}
    assert population_digest(members) == c["population_digest"] == d["population_digest"]

    seed = H(d["secret"] + "|" + d["beacon"])
    assert seed == d["seed"] and H(d["secret"]) == c["commitment"]
    expected = strata(members, definition["ratios"])
    assert expected == d["strata"]
    for grade, stratum in expected.items():
        ids = [code for code, g in members.items() if g == grade]
        assert lowest(seed, "targets", ids, stratum["k"]) == d["drawn"][grade], grade


def test_anyone_checks_each_exclusion_against_the_exported_draws_and_caps(
    capped_log: list[Event],
) -> None:
    """The rule of domain/inspection_caps.py, by hand: the year's earlier draws containing the
    target count once per department of the drawing task and once in the total; the exclusion
    period counts draws of a task sharing a department within that many days; an exemption for
    the target (and year) keeps it in; the tasks whose visits of the target the office merged
    into one joint visit before the commitment count once (one entry through the door)."""
    log = capped_log
    [committed] = [e for e in log if e["type"] == "SeedCommitted" and e["fields"]["exclusions"]]
    c = committed["fields"]
    task = committed["aggregate_id"]
    definition = of_task(log, task, "Planned")[0]["fields"]["definition"]
    departments = [definition["lead"], *definition["cooperating"]]
    day = datetime.fromisoformat(c["at"]).astimezone(BEIJING).date()
    inputs = c["exclusion_inputs"]
    caps = caps_as_of(log, day.year, inputs["caps"]["version"])
    assert {k: inputs["caps"][k] for k in ("departments", "total")} == {
        "departments": caps["departments"],
        "total": caps["total"],
    }
    days = definition["exclusion_days"]
    assert inputs["exclusion_days"] == days

    earlier = draws_before(log, committed["position"])
    directory = replay_targets(log, c["directory_id"], c["directory_position"])
    scope = population(directory, definition["scope"])
    expected: dict[str, str] = {}
    exempted: set[str] = set()
    merged: set[str] = set()
    for code in sorted(scope):
        with_it = [
            d
            for d in earlier
            if code in d["ids"]
            and datetime.fromisoformat(d["drawn_at"]).astimezone(BEIJING).year == day.year
        ]
        reason = None
        for department in departments:
            cap = caps["departments"].get(department)
            counted = [d for d in with_it if department in d["departments"]]
            if cap is not None and entries(counted, code) >= cap:
                reason = "cap.department"
                break
        if reason is None and caps["total"] is not None and entries(with_it, code) >= caps["total"]:
            reason = "cap.total"
        if any(d["joint"].get(code) for d in with_it):
            assert len(with_it) >= caps["total"] > entries(with_it, code)  # the merge mattered
            merged.add(code)
        if reason is None and any(
            code in d["ids"]
            and set(d["departments"]) & set(departments)
            and (day - datetime.fromisoformat(d["drawn_at"]).astimezone(BEIJING).date()).days
            <= days
            for d in earlier
        ):
            reason = "exclusion_period"
        if reason is None:
            continue
        if any(x["credit_code"] == code for x in caps["exemptions"]):
            exempted.add(code)
            continue
        expected[code] = reason
    assert {e["credit_code"]: e["reason"] for e in c["exclusions"]} == expected
    assert {e["credit_code"] for e in c["exempted"]} == exempted
    assert set(expected.values()) == {"cap.total", "exclusion_period"}  # both rules mattered
    assert exempted, "the exempted target stayed in"
    assert merged and all(expected.get(code) != "cap.total" for code in merged)
    for e in c["exclusions"]:  # every counted draw exists in the export, and came earlier
        for counted in e["evidence"]:
            [match] = [d for d in earlier if d["task_id"] == counted["task_id"]]
            assert e["credit_code"] in match["ids"]
            assert match["drawn_at"] == counted["drawn_at"]
