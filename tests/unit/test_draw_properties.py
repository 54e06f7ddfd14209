"""What ssj-draw-v1 promises for every input, not only for the worked examples."""

from __future__ import annotations

from fractions import Fraction
from math import ceil
from random import Random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain import draw
from domain.draw import (
    default_group_count,
    draw_inspectors,
    draw_targets,
    match_groups,
    population_digest,
    rank,
    required_count,
    seed_of,
    sha256_hex,
)
from domain.errors import InvalidValueError, NotEnoughInspectorsError, UnmatchableTargetError

SYMBOLS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GRADES = "ABCD"

ids = st.text(SYMBOLS, min_size=1, max_size=18)
seeds = st.text(min_size=1).map(sha256_hex)
ratios_text = st.one_of(
    st.sampled_from(["0", "1", "0.03", "0.05", "0.10", "0.25", "0.5", "1.000"]),
    st.integers(0, 1000).map(lambda n: f"{n // 1000}.{n % 1000:03d}"),
)
populations = st.dictionaries(ids, st.sampled_from(GRADES), max_size=150)
all_ratios = st.fixed_dictionaries({g: ratios_text for g in GRADES})


def _by_rule(population: dict[str, str], ratios: dict[str, str], seed: str) -> dict[str, list[str]]:
    """DRAW-SPEC.md read literally: rank everyone as hex, take the k lowest of each stratum."""
    drawn = {}
    for grade, ratio in ratios.items():
        members = [i for i, g in population.items() if g == grade]
        k = min(len(members), ceil(Fraction(ratio) * len(members)))
        drawn[grade] = sorted(members, key=lambda i: rank(seed, "targets", i))[:k]
    return drawn


@given(populations, all_ratios, seeds)
def test_the_draw_is_the_rule_read_literally(
    population: dict[str, str], ratios: dict[str, str], seed: str
) -> None:
    result = draw_targets(population, ratios, seed)
    lines = "".join(f"{i}|{population[i]}\n" for i in sorted(population))
    assert result.population_digest == sha256_hex(lines) == population_digest(population)
    assert {g: list(ids) for g, ids in result.drawn.items()} == _by_rule(population, ratios, seed)


@given(populations, all_ratios, seeds, st.randoms(use_true_random=False))
def test_the_same_inputs_give_the_same_draw_in_any_order(
    population: dict[str, str], ratios: dict[str, str], seed: str, shuffler: Random
) -> None:
    items = list(population.items())
    shuffler.shuffle(items)
    first = draw_targets(population, ratios, seed)
    assert draw_targets(dict(items), ratios, seed) == first
    assert draw_targets(dict(sorted(items)), ratios, seed) == first


@given(populations, all_ratios, seeds)
def test_draw_never_takes_fewer_than_the_minimum_ratio(
    population: dict[str, str], ratios: dict[str, str], seed: str
) -> None:
    for stratum in draw_targets(population, ratios, seed).strata:
        assert Fraction(stratum.count) >= Fraction(stratum.ratio) * stratum.size
        assert stratum.count <= stratum.size
        assert stratum.size == sum(1 for g in population.values() if g == stratum.grade)


@given(populations, all_ratios, seeds)
def test_draw_takes_no_more_than_the_minimum_ratio_needs(
    population: dict[str, str], ratios: dict[str, str], seed: str
) -> None:
    for stratum in draw_targets(population, ratios, seed).strata:
        assert stratum.count == 0 or Fraction(stratum.count - 1) < (
            Fraction(stratum.ratio) * stratum.size
        )


@given(populations, all_ratios, seeds)
def test_only_members_of_the_stratum_are_drawn_and_none_twice(
    population: dict[str, str], ratios: dict[str, str], seed: str
) -> None:
    result = draw_targets(population, ratios, seed)
    for stratum in result.strata:
        drawn = result.drawn[stratum.grade]
        assert len(drawn) == stratum.count
        assert all(population[i] == stratum.grade for i in drawn)
    every = result.all_drawn()
    assert len(set(every)) == len(every)


@given(st.sets(ids, min_size=50, max_size=120), st.text(), st.text(), st.text())
def test_another_beacon_gives_another_seed_and_another_draw(
    members: set[str], secret: str, beacon: str, other: str
) -> None:
    assume(beacon != other)
    population = dict.fromkeys(members, "A")
    ratios = {"A": "0.10"}
    first, second = seed_of(secret, beacon), seed_of(secret, other)
    assert first != second
    drawn = draw_targets(population, ratios, first).drawn["A"]
    assert len(drawn) >= 5
    # Two seeds picking the same 5 of 50 happens once in two million: a failure here is a bug.
    assert set(drawn) != set(draw_targets(population, ratios, second).drawn["A"])


def test_a_directed_task_takes_every_target_in_rank_order() -> None:
    population = {f"T{n:03d}": GRADES[n % 4] for n in range(40)}
    seed = sha256_hex("directed")
    result = draw_targets(population, dict.fromkeys(GRADES, "1"), seed)
    assert sorted(result.all_drawn()) == sorted(population)
    for grade, drawn in result.drawn.items():
        assert list(drawn) == sorted(drawn, key=lambda i: rank(seed, "targets", i))
        assert sorted(drawn) == sorted(i for i, g in population.items() if g == grade)


def test_the_draw_stays_exact_when_the_candidate_bound_is_too_tight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    population = {f"91130283{n:010d}": GRADES[n % 3] for n in range(3000)}
    ratios = {"A": "0.03", "B": "0.5", "C": "1", "D": "0.25"}
    seed = sha256_hex("tight")
    monkeypatch.setattr(draw, "_candidate_bound", lambda wanted, size: b"\x00\x01")
    result = draw_targets(population, ratios, seed)
    assert {g: list(ids) for g, ids in result.drawn.items()} == _by_rule(population, ratios, seed)


def test_a_grade_without_a_ratio_is_refused_by_name() -> None:
    with pytest.raises(InvalidValueError) as refused:
        draw_targets({"X1": "A", "X2": "D"}, {"A": "0.03"}, sha256_hex("s"))
    assert refused.value.field == "ratios.D"


def test_a_bad_ratio_in_a_draw_names_its_grade() -> None:
    with pytest.raises(InvalidValueError) as refused:
        draw_targets({"X1": "A"}, {"A": "3%"}, sha256_hex("s"))
    assert refused.value.field == "ratios.A"


def test_an_empty_population_draws_nothing_and_has_the_digest_of_nothing() -> None:
    result = draw_targets({}, {"A": "0.03"}, sha256_hex("s"))
    assert result.all_drawn() == ()
    assert result.population_digest == sha256_hex("")
    assert [(s.grade, s.size, s.count) for s in result.strata] == [("A", 0, 0)]


# ----------------------------------------------------------------------------- required count


@pytest.mark.parametrize(
    ("size", "ratio", "count"),
    [
        (10, "0.03", 1),
        (0, "0.03", 0),
        (0, "1", 0),
        (37, "1", 37),
        (37, "1.0", 37),
        (100, "0.03", 3),
        (101, "0.03", 4),
        (10, "0", 0),
        (10, "0.10", 1),
        (3, "0.999", 3),
    ],
)
def test_required_count_is_the_ceiling_of_ratio_times_size(
    size: int, ratio: str, count: int
) -> None:
    assert required_count(size, ratio) == count


@pytest.mark.parametrize(
    "ratio", ["abc", "1.5", "-0.1", "", " 0.5", "0.5 ", "1e-2", "1/2", ".5", "5.", "３", "NaN"]
)
def test_required_count_refuses_anything_but_a_decimal_in_zero_to_one(ratio: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        required_count(10, ratio)
    assert refused.value.field == "ratio"


def test_required_count_refuses_a_negative_size() -> None:
    with pytest.raises(InvalidValueError):
        required_count(-1, "0.5")


@pytest.mark.parametrize(("targets", "groups"), [(0, 0), (1, 1), (5, 1), (6, 2), (58, 12)])
def test_about_five_targets_make_a_group(targets: int, groups: int) -> None:
    assert default_group_count(targets) == groups


# ----------------------------------------------------------------------------------- inspectors

pools = st.sets(st.text("abcdefgh-0123", min_size=1, max_size=8), max_size=30)
departments = st.sampled_from(["police", "fire", "市场监管局"])


@given(pools, departments, st.integers(0, 6), st.integers(1, 3), seeds)
def test_inspectors_are_the_lowest_ranks_of_the_pool_dealt_in_order(
    pool: set[str], department: str, groups: int, per_group: int, seed: str
) -> None:
    assume(len(pool) >= groups * per_group)
    drawn = draw_inspectors(pool, department, groups, per_group, seed)
    ranked = sorted(pool, key=lambda i: rank(seed, "inspectors:" + department, i))
    assert [i for group in drawn for i in group] == ranked[: groups * per_group]
    assert all(len(group) == per_group for group in drawn)
    assert len(drawn) == groups
    assert draw_inspectors(sorted(pool, reverse=True), department, groups, per_group, seed) == drawn


@given(pools, departments, st.integers(1, 6), st.integers(1, 3), seeds)
def test_too_few_inspectors_names_the_department_and_both_numbers(
    pool: set[str], department: str, groups: int, per_group: int, seed: str
) -> None:
    assume(len(pool) < groups * per_group)
    with pytest.raises(NotEnoughInspectorsError) as refused:
        draw_inspectors(pool, department, groups, per_group, seed)
    error = refused.value
    assert (error.department, error.needed, error.available) == (
        department,
        groups * per_group,
        len(pool),
    )
    assert department in str(error)
    assert str(groups * per_group) in str(error)
    assert str(len(pool)) in str(error)


def test_a_pool_listing_an_inspector_twice_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        draw_inspectors(["p1", "p2", "p1"], "police", 1, 2, sha256_hex("s"))


# ------------------------------------------------------------------------------------- matching


@st.composite
def matchings(draw_: st.DrawFn) -> tuple[list[str], list[list[str]], dict[str, list[str]], str]:
    targets = draw_(st.lists(ids, min_size=1, max_size=25, unique=True))
    count = draw_(st.integers(1, 5))
    members = [[f"g{g}-{d}{n}" for d in ("police", "fire") for n in (1, 2)] for g in range(count)]
    everyone = [m for group in members for m in group]
    conflicts = draw_(
        st.dictionaries(
            st.sampled_from(everyone), st.lists(st.sampled_from(targets), max_size=4), max_size=8
        )
    )
    return targets, members, conflicts, draw_(seeds)


def _barred(members: list[list[str]], conflicts: dict[str, list[str]]) -> list[set[str]]:
    return [{t for m in group for t in conflicts.get(m, [])} for group in members]


@given(matchings())
def test_a_recusal_is_never_broken(
    case: tuple[list[str], list[list[str]], dict[str, list[str]], str],
) -> None:
    targets, members, conflicts, seed = case
    barred = _barred(members, conflicts)
    try:
        matches = match_groups(targets, members, conflicts, seed)
    except UnmatchableTargetError as error:
        assert all(error.target in b for b in barred)
        return
    assert sorted(matches) == sorted(targets)
    for target, group in matches.items():
        assert not any(target in conflicts.get(m, []) for m in members[group])


@given(matchings())
def test_targets_are_dealt_in_match_order_to_the_next_group_without_a_recusal(
    case: tuple[list[str], list[list[str]], dict[str, list[str]], str],
) -> None:
    targets, members, conflicts, seed = case
    barred = _barred(members, conflicts)
    assume(not any(all(t in b for b in barred) for t in targets))
    matches = match_groups(targets, members, conflicts, seed)
    order = sorted(targets, key=lambda t: rank(seed, "match", t))
    assert list(matches) == order
    count = len(members)
    for turn, target in enumerate(order):
        free = [
            (turn + s) % count for s in range(count) if target not in barred[(turn + s) % count]
        ]
        assert matches[target] == free[0]
    assert match_groups(list(reversed(targets)), members, conflicts, seed) == matches


@given(matchings())
def test_a_target_every_group_must_recuse_from_is_refused_by_name(
    case: tuple[list[str], list[list[str]], dict[str, list[str]], str],
) -> None:
    targets, members, conflicts, seed = case
    unmatchable = targets[0]
    everyone_recuses = {m: [*conflicts.get(m, []), unmatchable] for g in members for m in g}
    with pytest.raises(UnmatchableTargetError) as refused:
        match_groups(targets, members, everyone_recuses, seed)
    order = sorted(targets, key=lambda t: rank(seed, "match", t))
    barred = _barred(members, everyone_recuses)
    first = next(t for t in order if all(t in b for b in barred))
    assert refused.value.target == first


def test_no_targets_match_to_nothing() -> None:
    assert match_groups([], [], {}, sha256_hex("s")) == {}
