"""2–3. The committed draw: the population and H(secret) are fixed first, the beacon comes later,
and the draw records everything needed to re-run it by hand (DRAW-SPEC.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from domain import draw
from domain.errors import (
    CommitmentMismatchError,
    InvalidValueError,
    PopulationChangedError,
    SeedAlreadyCommittedError,
    SeedNotCommittedError,
    TargetsAlreadyDrawnError,
)
from domain.inspection_caps import NONE, Exclusions
from domain.task.base import Step, TaskBase
from domain.values import text


class SeedCommitted(Step):
    """The population and H(secret) are fixed before anyone can know the beacon."""

    commitment: str
    """H(secret): the secret itself is revealed only at the draw."""
    directory_id: UUID
    directory_position: int
    """The directory's version the population was taken from."""
    population_digest: str
    strata: dict[str, dict[str, Any]]
    """grade -> {"N": size, "r": minimum ratio}."""
    beacon_source: str
    """What public value will be used as the beacon, and when it is published."""
    at: datetime
    # 国办发〔2024〕54号 (domain/inspection_caps.py). Defaults: a commitment logged before them
    # left nothing out, and reads so.
    exclusions: tuple[dict[str, Any], ...] = ()
    """Targets of the scope left out before the population was fixed: credit_code, grade,
    reason (code), reason_text and evidence (the earlier draws that count)."""
    exempted: tuple[dict[str, Any], ...] = ()
    """Targets kept in despite their caps, with the exemption's kind, reason and version."""
    exclusion_inputs: dict[str, Any] | None = None
    """The caps in force (year, per department, total, version) and the exclusion period."""

    def apply(self, task: CommittedDraw) -> None:
        task.commitment = self


class TargetsDrawn(Step):
    """The draw of targets, with everything needed to re-run it by hand (DRAW-SPEC.md)."""

    rule: str
    directory_id: UUID
    directory_position: int
    population_digest: str
    strata: dict[str, dict[str, Any]]
    """grade -> {"N", "r", "k"}."""
    commitment: str
    secret: str
    beacon: str
    seed: str
    drawn: dict[str, list[str]]
    """grade -> credit codes in rank order."""
    at: datetime
    excluded: tuple[dict[str, Any], ...] = ()
    """The commitment's exclusions, repeated so that the draw alone says what it left out: the
    population is the scope's active targets at the position, minus these credit codes."""

    def apply(self, task: CommittedDraw) -> None:
        task.target_draw = self


def after_exclusions(
    population: Mapping[str, str], excluded: Sequence[Mapping[str, Any]]
) -> dict[str, str]:
    """The population a draw is made from: the scope's, minus the recorded exclusions."""
    left_out = {str(e["credit_code"]) for e in excluded}
    return {code: grade for code, grade in population.items() if code not in left_out}


class CommittedDraw(TaskBase):
    commitment: SeedCommitted | None

    def commit_seed(
        self,
        commitment: str,
        directory_position: int,
        population: Mapping[str, str],
        beacon_source: str,
        at: datetime,
        exclusions: Exclusions = NONE,
    ) -> None:
        """`population` is the scope's; `exclusions` (computed from the log's earlier draws and
        the year's caps) are left out of it before it is fixed, and recorded with their reasons."""
        self._require_open()
        if self.commitment is not None:
            raise SeedAlreadyCommittedError(self.name)
        if len(commitment) != 64 or any(c not in "0123456789abcdef" for c in commitment):
            raise InvalidValueError("commitment", "64 位小写十六进制 SHA-256 值", commitment)
        if not population:
            raise InvalidValueError(
                "scope", "至少匹配名录库中一个在营对象的抽查范围", self.definition.scope.as_record()
            )
        outside = sorted(exclusions.codes() - set(population))
        if outside:
            raise InvalidValueError("exclusions", "仅排除抽查范围内的对象", outside)
        excluded = exclusions.records()
        population = after_exclusions(population, excluded)
        if not population:
            raise InvalidValueError(
                "exclusions",
                "排除已达检查上限或在排除期内的对象后，抽查范围内至少还剩一个对象",
                len(excluded),
            )
        ratios = self.definition.ratio_by_grade()
        sizes: dict[str, int] = {}
        for grade in population.values():
            sizes[grade] = sizes.get(grade, 0) + 1
        for grade in sizes:
            if grade not in ratios:
                raise InvalidValueError(f"ratios.{grade}", f"{grade} 类对象的抽查比例", None)
        strata = {g: {"N": sizes.get(g, 0), "r": ratios[g]} for g in sorted(ratios)}
        self.trigger_event(
            self._named(SeedCommitted),
            commitment=commitment,
            directory_id=self.definition.directory_id,
            directory_position=directory_position,
            population_digest=draw.population_digest(population),
            strata=strata,
            beacon_source=text(beacon_source, "beacon_source", "信标来源说明（例如见证人现场报数）")
            if beacon_source
            else "",
            at=self._when(at),
            exclusions=tuple(excluded),
            exempted=tuple(exclusions.exempted),
            exclusion_inputs=dict(exclusions.inputs) if exclusions.inputs else None,
        )

    def draw_targets(
        self, population: Mapping[str, str], secret: str, beacon: str, at: datetime
    ) -> draw.TargetDraw:
        self._require_open()
        if self.commitment is None:
            raise SeedNotCommittedError(self.name)
        if self.target_draw is not None:
            raise TargetsAlreadyDrawnError(self.name)
        revealed = draw.commitment_of(draw.checked_secret(secret))
        if revealed != self.commitment.commitment:
            raise CommitmentMismatchError(self.commitment.commitment, revealed)
        excluded = tuple(self.commitment.exclusions)
        population = after_exclusions(population, excluded)
        digest = draw.population_digest(population)
        if digest != self.commitment.population_digest:
            raise PopulationChangedError(self.commitment.population_digest, digest)
        result = draw.draw_targets(
            population, self.definition.ratio_by_grade(), draw.seed_of(secret, beacon)
        )
        self.trigger_event(
            self._named(TargetsDrawn),
            rule=draw.RULE,
            directory_id=self.commitment.directory_id,
            directory_position=self.commitment.directory_position,
            population_digest=result.population_digest,
            strata={s.grade: {"N": s.size, "r": s.ratio, "k": s.count} for s in result.strata},
            commitment=self.commitment.commitment,
            secret=secret,
            beacon=beacon,
            seed=result.seed,
            drawn={grade: list(ids) for grade, ids in result.drawn.items()},
            at=self._when(at),
            excluded=excluded,
        )
        return result
