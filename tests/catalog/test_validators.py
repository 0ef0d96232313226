import re

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from catalog.choices import ApprovalFormat
from catalog.validators import (
    approval_format,
    normalize_code,
    validate_gtin,
    validate_national_drug_code,
    validate_nrdl_code,
)
from tests.catalog.conftest import shared_rows


def _expected_format(prefix: str, number: str) -> str | None:
    """What the data's own columns say a number is (independent of the validator's regexes)."""
    digits = number.removeprefix(prefix)
    if len(digits) != 8 or not digits.isdigit():
        return None  # e.g. the concatenated S20180021S20180022
    if prefix.startswith("国药准字"):
        return ApprovalFormat.NMPA_2020 if int(digits[:4]) >= 2020 else ApprovalFormat.NMPA_LEGACY
    return ApprovalFormat.IMPORT_LICENSE


def test_every_nmpa_approval_number_in_the_data_is_classified():
    # given
    rows = shared_rows("nmpa_approvals_partial.csv")
    # when
    wrong = [
        (row["approval_number"], approval_format(normalize_code(row["approval_number"])))
        for row in rows
        if approval_format(normalize_code(row["approval_number"]))
        != _expected_format(row["approval_prefix"], row["approval_number"])
    ]
    # then
    assert wrong == []
    assert len(rows) == 4926


def test_the_odd_values_of_the_data_are_classified_as_they_should_be():
    rows = {row["approval_number"]: row for row in shared_rows("nmpa_approvals_partial.csv")}
    assert approval_format("S20180021S20180022") is None
    assert "S20180021S20180022" in rows
    domestic_style_import = [n for n, r in rows.items() if r["origin"] == "imported" and n.startswith("国药准字")]
    assert [approval_format(n) for n in domestic_style_import] == [ApprovalFormat.NMPA_LEGACY]
    assert {approval_format(n) for n in rows if n.startswith("BH")} == {ApprovalFormat.IMPORT_LICENSE}


def test_the_detail_sample_codes_validate_and_placeholders_do_not():
    rows = shared_rows("nmpa_domestic_detail_sample.csv")
    for row in rows:
        assert approval_format(row["approval_number"]) == ApprovalFormat.NMPA_LEGACY
        validate_national_drug_code(row["drug_standard_code"])  # 869… with a GS1 check digit
    originals = sorted({row["original_approval_number"] for row in rows} - {r["approval_number"] for r in rows})
    assert originals == ["", "------"]
    assert approval_format(normalize_code("------")) is None


def test_every_nrdl_code_in_the_data_validates():
    rows = shared_rows("nhsa_drug_codes_restricted.csv")
    invalid = []
    for row in rows:
        try:
            validate_nrdl_code(row["nhsa_drug_code"])
        except ValidationError:
            invalid.append(row["nhsa_drug_code"])
    assert invalid == []
    assert len(rows) == 13827


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("国药准字H20003263", ApprovalFormat.NMPA_LEGACY),
        ("国药准字Z20250001", ApprovalFormat.NMPA_2020),
        ("国药准字HJ20200007", ApprovalFormat.NMPA_2020),
        ("国药准字SC20210003", ApprovalFormat.NMPA_2020),
        ("国药准字J20150012", ApprovalFormat.NMPA_LEGACY),
        ("国药准字B20020123", ApprovalFormat.NMPA_LEGACY),
        ("H20171268", ApprovalFormat.IMPORT_LICENSE),
        ("HC20150001", ApprovalFormat.IMPORT_LICENSE),
        ("BH20100012", ApprovalFormat.IMPORT_LICENSE),
        ("ZC20120004", ApprovalFormat.IMPORT_LICENSE),
        ("国药准字HJ2020000", None),
        ("国药准字X20200001", None),
        ("国药准字H2020000A", None),
        ("Q20171268", None),
        ("", None),
    ],
)
def test_approval_number_formats(value, expected):
    assert approval_format(normalize_code(value)) == expected


def test_normalisation_strips_spaces_and_full_width_forms():
    assert normalize_code(" 国药准字 Ｈ２０００３２６３\u3000") == "国药准字H20003263"
    assert normalize_code("hc 2015 0001") == "HC20150001"


@pytest.mark.parametrize(
    ("value", "code"),
    [("6901234567892", None), ("6901234567890", "gtin_check"), ("12345", "gtin_format"), ("96385074", None)],
)
def test_gtin_check_digit(value, code):
    if code is None:
        validate_gtin(value)
    else:
        with pytest.raises(ValidationError) as raised:
            validate_gtin(value)
        assert raised.value.code == code


_FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}
approval_numbers = st.builds(
    lambda letter, extra, digits: f"国药准字{letter}{extra}{digits}",
    st.sampled_from("HZS"),
    st.sampled_from(["", "C", "J"]),
    st.from_regex(r"\A[0-9]{8}\Z"),
)


@given(number=approval_numbers, spaces=st.lists(st.integers(0, 20), max_size=4), widen=st.booleans())
def test_normalisation_ignores_spacing_and_width(number, spaces, widen):
    # given: the same number written with spaces anywhere and, maybe, in full-width characters
    messy = "".join(_FULL_WIDTH.get(char, char) for char in number) if widen else number
    for position in spaces:
        messy = messy[:position] + " \u3000"[position % 2] + messy[position:]
    # then: one normal form, stable under re-normalisation, and it is a valid number
    assert normalize_code(messy) == number
    assert normalize_code(normalize_code(messy)) == normalize_code(messy)
    assert approval_format(number) is not None


@given(st.text(max_size=30))
def test_normalised_codes_never_contain_spaces_and_are_idempotent(text):
    normal = normalize_code(text)
    assert not re.search(r"\s", normal)
    assert normalize_code(normal) == normal
