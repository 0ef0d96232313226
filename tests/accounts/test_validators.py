"""统一社会信用代码 (GB 32100-2015) and GB/T 2260 province codes.

The check character is recomputed here from the standard, independently of accounts.validators:
weights are 3^i mod 31 and the check value is (31 - Σ value·weight mod 31) mod 31. Because 31 is prime
and no weight is 0 mod 31, any single substitution (Δ·w_i ≢ 0) and any swap of two different
neighbours (Δ·w_i·(1-3) ≢ 0) changes the sum mod 31, so the check character always catches them.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from accounts.choices import PROVINCE_CODES
from accounts.models import Organization
from accounts.validators import (
    USCC_ALPHABET,
    USCC_WEIGHTS,
    normalize_uscc,
    uscc_check_character,
    validate_province_code,
    validate_uscc,
)

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
FORBIDDEN_LETTERS = "IOSVZ"

first17 = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def reference_check_character(body: str) -> str:
    total = sum(ALPHABET.index(char) * pow(3, position, 31) for position, char in enumerate(body))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_error_code(value: str) -> str | None:
    try:
        validate_uscc(value)
    except ValidationError as error:
        return error.code
    return None


def test_alphabet_and_weights_are_those_of_gb_32100():
    assert USCC_ALPHABET == ALPHABET
    assert len(USCC_ALPHABET) == 31
    assert set(USCC_ALPHABET) & set(FORBIDDEN_LETTERS) == set()
    assert tuple(pow(3, position, 31) for position in range(17)) == USCC_WEIGHTS


@given(body=first17)
def test_any_body_with_its_computed_check_character_validates(body):
    # given
    code = body + reference_check_character(body)

    # when / then
    assert uscc_check_character(body) == reference_check_character(body)
    assert uscc_error_code(code) is None


@given(body=first17, data=st.data())
def test_any_single_substitution_breaks_the_check(body, data):
    # given: a valid code and one position changed to another alphabet character
    code = body + reference_check_character(body)
    position = data.draw(st.integers(min_value=0, max_value=17), label="position")
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != code[position]]), label="replacement")
    mutated = code[:position] + replacement + code[position + 1 :]

    # when / then
    assert uscc_error_code(mutated) == "uscc_check"


@given(body=first17, data=st.data())
def test_any_swap_of_two_different_neighbours_breaks_the_check(body, data):
    # given
    code = body + reference_check_character(body)
    position = data.draw(st.integers(min_value=0, max_value=15), label="position")
    if code[position] == code[position + 1]:
        return  # swapping equal characters changes nothing
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]

    # when / then
    assert uscc_error_code(swapped) == "uscc_check"


@given(body=first17)
def test_lowercase_and_surrounding_spaces_are_normalised(body):
    # given
    code = body + reference_check_character(body)
    typed = f"  {code.lower()} "

    # when / then
    assert uscc_error_code(typed) is None
    assert normalize_uscc(typed) == code


@given(body=first17, data=st.data())
def test_forbidden_letters_are_refused_as_format_errors(body, data):
    # given: one of I, O, S, V, Z anywhere, even where it would "fit" the sum
    code = body + reference_check_character(body)
    position = data.draw(st.integers(min_value=0, max_value=17), label="position")
    letter = data.draw(st.sampled_from(FORBIDDEN_LETTERS), label="letter")
    mutated = code[:position] + letter + code[position + 1 :]

    # when / then
    assert uscc_error_code(mutated) == "uscc_format"
    assert uscc_error_code(mutated.lower()) == "uscc_format"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "9146000000000000",  # 16
        "91460000000000000",  # 17: the check character is missing
        "9146000000000000073",  # 19
        "91460000MA5T8TAX4-",  # punctuation
        "".join(chr(ord(char) + 0xFEE0) for char in "91460000MA5T8TAX49"),  # full-width (全角) characters
    ],
)
def test_wrong_length_or_characters_are_refused_as_format_errors(value):
    assert uscc_error_code(value) == "uscc_format"


def test_format_error_message():
    with pytest.raises(ValidationError) as raised:
        validate_uscc("91460000MA5T8TAO4L")

    assert raised.value.messages == ["A unified social credit code is 18 digits or capital letters (no I, O, S, V, Z)."]


def test_check_error_message():
    with pytest.raises(ValidationError) as raised:
        validate_uscc("91460000MA5T8TAX4L")

    assert raised.value.messages == ["The check character of this unified social credit code is wrong."]


@pytest.mark.parametrize(
    "code",
    [
        "91330100799655058B",  # published registration of a Hangzhou company
        "9144030071526726XG",  # published registration of a Shenzhen company
        "914403001922038216",  # published registration of a Shenzhen company (digit check)
        "91110000710926094P",  # published registration of a Beijing company
        "91460000MA5T8TAX49",  # Hainan-format code (9 enterprise, 1 company, 460000, MA-series body)
        "12100000400000624D",  # public institution category (1 = 机构编制, 2 = 事业单位)
    ],
)
def test_real_format_codes_validate(code):
    assert uscc_error_code(code) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("91330100799655058A", "uscc_check"),
        ("9144030071526726XH", "uscc_check"),
        ("914403001922038217", "uscc_check"),
    ],
)
def test_real_format_codes_with_another_check_character_fail(code, expected):
    assert uscc_error_code(code) == expected


@pytest.mark.django_db
def test_organization_model_refuses_an_invalid_uscc():
    organization = Organization(
        legal_name="海口测试有限公司", uscc="91460000MA5T8TAX4L", kind="pharmacy", province_code="460000"
    )

    with pytest.raises(ValidationError) as raised:
        organization.full_clean()

    assert raised.value.message_dict == {"uscc": ["The check character of this unified social credit code is wrong."]}


@pytest.mark.parametrize("code", sorted(PROVINCE_CODES))
def test_every_province_level_code_is_accepted(code):
    validate_province_code(code)


def test_province_table_is_the_34_province_level_divisions_with_hainan_as_460000():
    assert len(PROVINCE_CODES) == 34
    assert PROVINCE_CODES["460000"] == "海南省"
    assert all(len(code) == 6 and code.endswith("0000") for code in PROVINCE_CODES)


@pytest.mark.parametrize(
    "code",
    [
        "460100",  # 海口市: a prefecture, not a province
        "469000",  # Hainan's directly administered counties
        "000000",
        "990000",
        "46000",
        "4600000",
        "",
        "46OOOO",
    ],
)
def test_codes_that_are_not_province_level_are_refused(code):
    with pytest.raises(ValidationError) as raised:
        validate_province_code(code)

    assert raised.value.code == "province_code"
    assert raised.value.messages == ["Not a province-level GB/T 2260 code (for example 460000)."]
