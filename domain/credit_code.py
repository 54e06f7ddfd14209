"""统一社会信用代码 (GB 32100-2015) and the legacy 15-digit 注册号 it replaced.

The check is done here rather than with python-stdnum because stdnum rejects codes issued by
the departments numbered A, N and Y, and those entities are real inspection targets.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from domain.errors import InvalidCreditCodeError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""GB 32100 leaves out I, O, Z, S and V, which are easily misread as 1, 0, 2, 5 and U."""

_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_REGISTRATION_AUTHORITIES = frozenset("0123456789ANY")
_DIGITS = frozenset("0123456789")
_UNIFIED_LENGTH = 18
_REGISTRATION_LENGTH = 15
_SYMBOLS_TEXT = "数字或大写字母（不含 I、O、Z、S、V）"


class CodeKind(StrEnum):
    UNIFIED = "统一社会信用代码"
    REGISTRATION = "注册号"


def _normalise(code: str) -> str:
    # Codes are pasted from forms, PDFs and Chinese input methods: NFKC turns full-width
    # "９１Ａ" into ASCII, and spaces inside the code are grouping, not content.
    text = unicodedata.normalize("NFKC", code)
    return "".join(text.split()).upper()


def _check_symbols(body: str, field: str, got: str) -> None:
    """Refuse the first symbol outside the alphabet, naming its 1-based position."""
    for position, symbol in enumerate(body, start=1):
        if position == 1 and symbol not in _REGISTRATION_AUTHORITIES:
            raise InvalidCreditCodeError(
                field,
                f"以数字或 A、N、Y（登记管理部门代码）开头的代码，第 1 位不能是 {symbol!r}",
                got,
            )
        if symbol not in _VALUE:
            raise InvalidCreditCodeError(
                field, f"由{_SYMBOLS_TEXT}组成的代码，第 {position} 位不能是 {symbol!r}", got
            )


def _check_character(first17: str) -> str:
    total = sum(_VALUE[symbol] * weight for symbol, weight in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def check_character(first17: str) -> str:
    """The 18th character that GB 32100 computes from the first 17."""
    body = _normalise(first17)
    if len(body) != _UNIFIED_LENGTH - 1:
        raise InvalidCreditCodeError(
            "credit_code", f"17 位代码本体（不含校验码），实际为 {len(body)} 位", first17
        )
    _check_symbols(body, "credit_code", first17)
    return _check_character(body)


def make_credit_code(first17: str) -> str:
    """A valid code from 17 chosen characters, for demos, tests and benchmarks."""
    body = _normalise(first17)
    return body + check_character(body)


def validate_credit_code(code: str, field: str = "credit_code") -> tuple[str, CodeKind]:
    """The normalised code and its kind, or `InvalidCreditCodeError` saying what is wrong."""
    text = _normalise(code)
    if len(text) == _REGISTRATION_LENGTH:
        # Entities registered before the 2015 reform may still be listed by their 注册号. It is
        # kept only as an identifier, so its shape is checked but not its check digit: refusing
        # an old number that a registry once issued would lock a real entity out of the directory.
        for position, symbol in enumerate(text, start=1):
            if symbol not in _DIGITS:
                raise InvalidCreditCodeError(
                    field, f"15 位数字的注册号，第 {position} 位不能是 {symbol!r}", code
                )
        return text, CodeKind.REGISTRATION
    if len(text) != _UNIFIED_LENGTH:
        raise InvalidCreditCodeError(
            field, f"18 位统一社会信用代码或 15 位数字注册号，实际为 {len(text)} 位", code
        )
    _check_symbols(text, field, code)
    expected = _check_character(text[:17])
    if text[17] != expected:
        raise InvalidCreditCodeError(
            field, f"正确的校验码：第 18 位应为 {expected}，实际为 {text[17]}", code
        )
    return text, CodeKind.UNIFIED
