from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.credit_code import (
    ALPHABET,
    CodeKind,
    check_character,
    make_credit_code,
    validate_credit_code,
)
from domain.errors import InvalidCreditCodeError, InvalidValueError

# Confirmed by an independent implementation of GB 32100 as well as by this one.
KNOWN_VALID = [
    "91130283000001000F",
    "91130283000001001J",
    "911302830000010062",
    "91350100M000100Y43",
]

first_characters = st.sampled_from("0123456789ANY")
bodies = st.tuples(first_characters, st.text(alphabet=ALPHABET, min_size=16, max_size=16)).map(
    "".join
)


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_a_published_code_is_accepted_as_a_unified_code(code: str) -> None:
    assert validate_credit_code(code) == (code, CodeKind.UNIFIED)


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_the_check_character_is_the_18th_character_of_a_published_code(code: str) -> None:
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize("department", ["A", "N", "Y"])
def test_codes_issued_by_departments_a_n_and_y_are_accepted(department: str) -> None:
    code = make_credit_code(f"{department}1110000MA0000001")
    assert validate_credit_code(code) == (code, CodeKind.UNIFIED)


def test_a_wrong_check_character_error_names_the_right_one() -> None:
    with pytest.raises(InvalidCreditCodeError) as raised:
        validate_credit_code("91130283000001000G")
    assert "第 18 位应为 F" in raised.value.expected
    assert raised.value.field == "credit_code"
    assert raised.value.got == "91130283000001000G"


def test_a_wrong_code_is_also_an_invalid_value_for_generic_handlers() -> None:
    with pytest.raises(InvalidValueError):
        validate_credit_code("91130283000001000G", field="conflicts")


def test_the_error_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidCreditCodeError) as raised:
        validate_credit_code("91130283000001000G", field="conflicts")
    assert raised.value.field == "conflicts"
    assert str(raised.value).startswith("conflicts: ")


@pytest.mark.parametrize(
    ("code", "position", "symbol"),
    [
        ("9113028300000I000F", 14, "I"),
        ("91130283O00001000F", 9, "O"),
        ("9113028300000100-F", 17, "-"),
    ],
)
def test_a_character_outside_the_alphabet_is_refused_with_its_position(
    code: str, position: int, symbol: str
) -> None:
    with pytest.raises(InvalidCreditCodeError) as raised:
        validate_credit_code(code)
    assert f"第 {position} 位不能是 {symbol!r}" in raised.value.expected


def test_an_unassigned_registration_department_is_refused() -> None:
    with pytest.raises(InvalidCreditCodeError) as raised:
        validate_credit_code("B1130283000001000F")
    assert "第 1 位" in raised.value.expected


@pytest.mark.parametrize("code", ["", "9113028300000100", "91130283000001000FF", "1" * 14])
def test_a_code_of_the_wrong_length_is_refused_with_its_length(code: str) -> None:
    with pytest.raises(InvalidCreditCodeError) as raised:
        validate_credit_code(code)
    assert f"实际为 {len(code)} 位" in raised.value.expected


def test_lowercase_and_spaces_are_normalised() -> None:
    assert validate_credit_code(" 91350100m000100y43 ") == ("91350100M000100Y43", CodeKind.UNIFIED)
    assert validate_credit_code("9113 0283 0000 0100 0F")[0] == "91130283000001000F"


def test_full_width_characters_typed_with_a_chinese_input_method_are_normalised() -> None:
    assert validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３")[0] == "91350100M000100Y43"


def test_a_15_digit_registration_number_is_accepted_as_it_is() -> None:
    assert validate_credit_code("130283000001234") == ("130283000001234", CodeKind.REGISTRATION)


def test_a_15_character_number_with_a_letter_is_refused() -> None:
    with pytest.raises(InvalidCreditCodeError) as raised:
        validate_credit_code("13028300000123A")
    assert "第 15 位" in raised.value.expected


def test_check_character_refuses_a_body_of_the_wrong_length() -> None:
    with pytest.raises(InvalidCreditCodeError):
        check_character("9113028300000100")


@given(bodies)
def test_a_made_code_always_validates(body: str) -> None:
    code = make_credit_code(body)
    assert validate_credit_code(code) == (code, CodeKind.UNIFIED)


@given(bodies, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=30))
def test_changing_any_single_character_of_a_valid_code_makes_it_invalid(
    body: str, position: int, shift: int
) -> None:
    code = make_credit_code(body)
    replacement = ALPHABET[(ALPHABET.index(code[position]) + shift) % len(ALPHABET)]
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(InvalidCreditCodeError):
        validate_credit_code(changed)
