"""The worked examples of DRAW-SPEC.md, made by an independent implementation, reproduced exactly.

tests/draw-vectors.json is a copy of the vectors published beside the rule; the tests read only
the copy, so the suite never depends on anything outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from domain.draw import (
    RULE,
    commitment_of,
    draw_inspectors,
    draw_targets,
    match_groups,
    pool_digest,
    population_digest,
    rank,
    seed_of,
)

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "draw-vectors.json").read_text(encoding="utf-8")
)


def _name(vector: dict[str, Any]) -> str:
    return f"{len(vector['population'])}-targets-beacon-{'set' if vector['beacon'] else 'empty'}"


each_vector = pytest.mark.parametrize("vector", VECTORS, ids=[_name(v) for v in VECTORS])


def _seed(vector: dict[str, Any]) -> str:
    return seed_of(vector["secret"], vector["beacon"])


def _groups(vector: dict[str, Any]) -> dict[str, tuple[tuple[str, ...], ...]]:
    inspectors = vector["inspectors"]
    return {
        department: draw_inspectors(
            pool, department, inspectors["groups"], inspectors["per_group"], _seed(vector)
        )
        for department, pool in inspectors["pools"].items()
    }


def test_there_are_vectors_and_they_name_this_rule() -> None:
    assert VECTORS
    assert {v["rule"] for v in VECTORS} == {RULE}


@each_vector
def test_the_commitment_is_the_hash_of_the_secret(vector: dict[str, Any]) -> None:
    assert commitment_of(vector["secret"]) == vector["commitment"]


@each_vector
def test_the_seed_follows_from_secret_and_beacon(vector: dict[str, Any]) -> None:
    assert _seed(vector) == vector["expected"]["seed"]


@each_vector
def test_the_population_digest_matches(vector: dict[str, Any]) -> None:
    expected = vector["expected"]["population_digest"]
    assert population_digest(vector["population"]) == expected
    assert draw_targets(
        vector["population"], vector["ratios"], _seed(vector)
    ).population_digest == (expected)


@each_vector
def test_every_stratum_has_the_recorded_size_ratio_and_count(vector: dict[str, Any]) -> None:
    result = draw_targets(vector["population"], vector["ratios"], _seed(vector))
    strata = {s.grade: {"N": s.size, "r": s.ratio, "k": s.count} for s in result.strata}
    assert strata == vector["expected"]["strata"]
    assert [s.grade for s in result.strata] == sorted(strata)


@each_vector
def test_the_drawn_targets_are_the_recorded_ones(vector: dict[str, Any]) -> None:
    result = draw_targets(vector["population"], vector["ratios"], _seed(vector))
    expected = vector["expected"]["drawn"]
    assert {g: set(ids) for g, ids in result.drawn.items()} == {
        g: set(ids) for g, ids in expected.items()
    }
    assert {g: list(ids) for g, ids in result.drawn.items()} == expected
    assert result.all_drawn() == tuple(i for g in sorted(expected) for i in expected[g])


@each_vector
def test_the_vectors_list_drawn_ids_lowest_rank_first(vector: dict[str, Any]) -> None:
    seed = _seed(vector)
    for ids in vector["expected"]["drawn"].values():
        assert ids == sorted(ids, key=lambda i: rank(seed, "targets", i))


@each_vector
def test_the_draw_does_not_depend_on_the_order_the_population_comes_in(
    vector: dict[str, Any],
) -> None:
    population = vector["population"]
    assert list(population) == sorted(population)
    reordered = dict(reversed(population.items()))
    seed = _seed(vector)
    assert draw_targets(reordered, vector["ratios"], seed) == draw_targets(
        population, vector["ratios"], seed
    )
    assert population_digest(reordered) == vector["expected"]["population_digest"]


@each_vector
def test_each_inspector_pool_has_the_recorded_digest(vector: dict[str, Any]) -> None:
    inspectors = vector["inspectors"]
    digests = {d: pool_digest(pool) for d, pool in inspectors["pools"].items()}
    assert digests == inspectors["pool_digests"]
    assert {d: pool_digest(reversed(pool)) for d, pool in inspectors["pools"].items()} == digests


@each_vector
def test_each_department_draws_the_recorded_groups_in_rank_order(vector: dict[str, Any]) -> None:
    expected = {
        d: tuple(tuple(group) for group in groups)
        for d, groups in vector["inspectors"]["expected_groups"].items()
    }
    assert _groups(vector) == expected


@each_vector
def test_targets_are_matched_to_the_recorded_groups_in_match_order(
    vector: dict[str, Any],
) -> None:
    groups = _groups(vector)
    count = vector["inspectors"]["groups"]
    members = [[m for department in groups for m in groups[department][g]] for g in range(count)]
    targets = draw_targets(vector["population"], vector["ratios"], _seed(vector)).all_drawn()
    matches = match_groups(targets, members, vector["matching"]["conflicts"], _seed(vector))
    expected = vector["matching"]["expected"]
    assert matches == expected
    assert list(matches.items()) == list(expected.items())


@each_vector
def test_the_recorded_matching_respects_every_declared_recusal(vector: dict[str, Any]) -> None:
    expected_groups = vector["inspectors"]["expected_groups"]
    for inspector, recused in vector["matching"]["conflicts"].items():
        for target in recused:
            group = vector["matching"]["expected"][target]
            assert all(inspector not in g[group] for g in expected_groups.values())
