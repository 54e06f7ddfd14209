"""ssj-draw-v1: the draw that anyone can re-run with nothing but SHA-256 (DRAW-SPEC.md).

Every function here is the rule read literally, with one exception made for speed: a provincial
directory holds millions of targets, so `draw_targets` does not sort the whole population by rank.
It keeps only the ranks below a bound chosen so that each stratum almost surely has more than k of
them, sorts those, and falls back to ranking the whole stratum when the bound was too tight. The
result is exactly the literal rule's either way; only the time differs.

Ranks are compared as raw digests: big-endian bytes order exactly like their lowercase hex.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import chain, compress, islice, repeat
from math import ceil, isqrt
from operator import lt

from domain.errors import InvalidValueError, NotEnoughInspectorsError, UnmatchableTargetError

__all__ = [
    "RULE",
    "NotEnoughInspectorsError",
    "Stratum",
    "TargetDraw",
    "UnmatchableTargetError",
    "checked_secret",
    "commitment_of",
    "default_group_count",
    "draw_inspectors",
    "draw_targets",
    "match_groups",
    "pool_digest",
    "population_digest",
    "rank",
    "ratio_fraction",
    "required_count",
    "seed_of",
    "sha256_hex",
]

RULE = "ssj-draw-v1"

_sha256 = hashlib.sha256
_HASH = type(_sha256())
_copy, _update, _digest = _HASH.copy, _HASH.update, _HASH.digest
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_CHUNK = 2048
"""Ids handled per pass: small enough to stay in cache between the digest and the ranks."""
_EVERY = b"\xff" * 33
"""Above every 32-byte digest: a stratum drawn whole keeps all its ranks."""
_NONE = b""
"""Below every digest: a stratum that draws nothing keeps none."""


def sha256_hex(text: str) -> str:
    return _sha256(text.encode()).hexdigest()


_SECRET = re.compile(r"[0-9a-f]{64}")


def checked_secret(secret: str) -> str:
    """The secret is 64 hex characters from a cryptographic generator (DRAW-SPEC.md): anything
    shorter could be guessed from its commitment before the draw."""
    if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
        raise InvalidValueError(
            "secret", "64 位小写十六进制随机数（密码学随机数生成器产生）", secret
        )
    return secret


def commitment_of(secret: str) -> str:
    return sha256_hex(secret)


def seed_of(secret: str, beacon: str) -> str:
    return sha256_hex(secret + "|" + beacon)


def rank(seed: str, purpose: str, member_id: str) -> str:
    return sha256_hex(seed + "|" + purpose + "|" + member_id)


def population_digest(population: Mapping[str, str]) -> str:
    """What `SeedCommitted` fixes: the population and every target's grade, in id order."""
    keys = sorted(population)
    ends = {grade: f"|{grade}\n" for grade in set(population.values())}
    lines = map(ends.__getitem__, map(population.__getitem__, keys))
    return sha256_hex("".join(chain.from_iterable(zip(keys, lines, strict=True))))


def pool_digest(ids: Iterable[str]) -> str:
    pool = sorted(ids)
    _refuse_duplicates(pool, "pool")
    return sha256_hex("".join(member + "\n" for member in pool))


def required_count(size: int, ratio: str, field: str = "ratio") -> int:
    """k = ceil(r × N), so that 不低于 r always holds, and never more than the stratum has."""
    if size < 0:
        raise InvalidValueError("size", "非负整数", size)
    return min(size, ceil(ratio_fraction(ratio, field) * size))


def ratio_fraction(ratio: str, field: str = "ratio") -> Fraction:
    """A ratio as the rule reads it: a plain decimal string in [0, 1], as an exact fraction."""
    # A recorded ratio must read the same to every auditor, so only plain decimals are taken:
    # no exponent, sign, fraction bar or whitespace, which other tools might parse differently.
    if not isinstance(ratio, str) or not _DECIMAL.fullmatch(ratio):
        raise InvalidValueError(field, "0 到 1 之间的小数，例如 0.03 或 1", ratio)
    value = Fraction(ratio)
    if value > 1:
        raise InvalidValueError(field, "0 到 1 之间的小数，例如 0.03 或 1", ratio)
    return value


@dataclass(frozen=True)
class Stratum:
    """One risk grade's share of a draw: N targets, minimum ratio r, k drawn."""

    grade: str
    size: int
    ratio: str
    count: int


@dataclass(frozen=True)
class TargetDraw:
    seed: str
    population_digest: str
    strata: tuple[Stratum, ...]
    """By grade."""
    drawn: Mapping[str, tuple[str, ...]]
    """Grade -> drawn ids, lowest rank first."""

    def all_drawn(self) -> tuple[str, ...]:
        return tuple(chain.from_iterable(self.drawn[s.grade] for s in self.strata))


def draw_targets(population: Mapping[str, str], ratios: Mapping[str, str], seed: str) -> TargetDraw:
    """Draw each stratum's k targets of lowest rank("targets", id); population is id -> grade."""
    sizes = Counter(population.values())
    for grade in sizes:
        if grade not in ratios:
            raise InvalidValueError(f"ratios.{grade}", f"{grade} 类对象的抽查比例", None)
    strata = tuple(
        Stratum(str(g), sizes[g], ratios[g], required_count(sizes[g], ratios[g], f"ratios.{g}"))
        for g in sorted(ratios)
    )
    bounds = {s.grade: _candidate_bound(s.count, s.size) for s in strata}
    prefix = (seed + "|targets|").encode()
    try:
        digest, found = _scan(iter(population), iter(population.values()), bounds, prefix, True)
    except _OutOfOrder:
        keys = sorted(population)
        digest, found = _scan(iter(keys), map(population.__getitem__, keys), bounds, prefix, False)
    ranks, ids, grades = found
    drawn: dict[str, tuple[str, ...]] = {}
    for s in strata:
        # Sorting positions by rank rather than (rank, id) pairs spares a tuple per candidate;
        # equal ranks, were SHA-256 ever to collide, keep id order since the scan ran in it.
        at = list(compress(range(len(grades)), map(s.grade.__eq__, grades)))
        if len(at) >= s.count:
            at.sort(key=ranks.__getitem__)
            drawn[s.grade] = tuple(map(ids.__getitem__, at[: s.count]))
        else:
            ranked = _ranked((k for k, g in population.items() if g == s.grade), prefix)
            drawn[s.grade] = tuple(member for _, member in ranked[: s.count])
    return TargetDraw(seed, digest, strata, drawn)


def _candidate_bound(wanted: int, size: int) -> bytes:
    """A digest prefix below which about k + 6√k of a stratum's N ranks fall."""
    if wanted == 0:
        return _NONE
    expected = wanted + 6 * isqrt(wanted) + 16
    if expected >= size:
        return _EVERY
    return (((expected << 64) // size) + 1).to_bytes(8, "big")


class _OutOfOrder(Exception):
    """The ids did not come sorted, so the digest cannot be built in the order they came."""


def _scan(
    keys: Iterator[str],
    grades: Iterator[str],
    bounds: Mapping[str, bytes],
    prefix: bytes,
    check_order: bool,
) -> tuple[str, tuple[list[bytes], list[str], list[str]]]:
    """The population digest, and the ranks below their grade's bound with their ids and grades.

    With `check_order`, ids out of order raise `_OutOfOrder`: the digest needs them sorted, and
    sorting is left to the caller for that case, as a population read from an ordered directory
    already is sorted and re-sorting a million scattered strings costs more than drawing them.
    Each chunk of ids is read while still in cache from the order check; every rank continues one
    hash state that has already absorbed `seed|targets|`, which saves a block per id.
    """
    whole = _sha256()
    ends = {grade: f"|{grade}\n".encode() for grade in bounds}
    end, bound, started = ends.__getitem__, bounds.__getitem__, _sha256(prefix)
    found: list[bytes] = []
    found_ids: list[str] = []
    found_grades: list[str] = []
    previous: list[bytes] = []
    while ids := list(islice(keys, _CHUNK)):
        its = list(islice(grades, _CHUNK))
        # One pass over the (possibly scattered) str objects; everything after works on fresh,
        # contiguous bytes, whose order is the code-point order of the ids (UTF-8 keeps it).
        encoded = "\n".join(ids).encode().split(b"\n")
        if len(encoded) != len(ids):  # an id holding a newline: encode one by one
            encoded = list(map(str.encode, ids))
        if check_order and (sorted(encoded) != encoded or previous > encoded[:1]):
            raise _OutOfOrder
        previous = encoded[-1:]
        lines: list[bytes] = [b""] * (2 * len(ids))
        lines[::2], lines[1::2] = encoded, map(end, its)
        whole.update(b"".join(lines))
        states = list(map(_copy, repeat(started, len(ids))))
        deque(map(_update, states, encoded), maxlen=0)
        ranks = list(map(_digest, states))
        low = list(compress(range(len(ranks)), map(lt, ranks, map(bound, its))))
        found += map(ranks.__getitem__, low)
        found_ids += map(ids.__getitem__, low)
        found_grades += map(its.__getitem__, low)
    return whole.hexdigest(), (found, found_ids, found_grades)


def _ranked(ids: Iterable[str], prefix: bytes) -> list[tuple[bytes, str]]:
    return sorted((_sha256(prefix + member.encode()).digest(), member) for member in ids)


def draw_inspectors(
    pool: Iterable[str], department: str, groups: int, per_group: int, seed: str
) -> tuple[tuple[str, ...], ...]:
    """Group g gets the department's drawn inspectors at rank positions g×m … g×m+m-1."""
    if groups < 0:
        raise InvalidValueError("groups", "非负整数", groups)
    if per_group < 1:
        raise InvalidValueError("per_group", "正整数", per_group)
    members = sorted(pool)
    _refuse_duplicates(members, "pool")
    needed = groups * per_group
    if len(members) < needed:
        raise NotEnoughInspectorsError(department, needed, len(members))
    prefix = (seed + "|inspectors:" + department + "|").encode()
    chosen = [member for _, member in _ranked(members, prefix)[:needed]]
    return tuple(tuple(chosen[g * per_group : (g + 1) * per_group]) for g in range(groups))


def default_group_count(drawn_targets: int) -> int:
    """About five targets per group, and one group as soon as there is a target."""
    if drawn_targets < 0:
        raise InvalidValueError("drawn_targets", "非负整数", drawn_targets)
    return -(-drawn_targets // 5)


def match_groups(
    targets: Iterable[str],
    members: Sequence[Iterable[str]],
    conflicts: Mapping[str, Iterable[str]],
    seed: str,
) -> dict[str, int]:
    """Deal targets in rank("match", id) order to groups in turn, skipping groups that must recuse.

    The j-th target's turn is group j mod G whatever happened to earlier targets, so one recusal
    moves one target and leaves the rest of the deal as it was.
    """
    dealt = [member for _, member in _ranked(targets, (seed + "|match|").encode())]
    _refuse_duplicates(dealt, "targets")
    count = len(members)
    if dealt and count == 0:
        raise InvalidValueError("members", "至少一个检查组", 0)
    barred = [{t for m in group for t in conflicts.get(m, ())} for group in members]
    matches: dict[str, int] = {}
    for turn, target in enumerate(dealt):
        for step in range(count):
            group = (turn + step) % count
            if target not in barred[group]:
                matches[target] = group
                break
        else:
            raise UnmatchableTargetError(target)
    return matches


def _refuse_duplicates(ordered: Sequence[str], field: str) -> None:
    for before, after in zip(ordered, islice(ordered, 1, None), strict=False):
        if before == after:
            raise InvalidValueError(field, "不重复的编号", after)
