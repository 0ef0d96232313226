"""Reading the three kinds of traceability code in use in China (SPEC §5), without the database."""

from datetime import date

import pytest

from orders.trace_codes import GS, CodeInvalid, canonical, lot_key, mismatches, read

GTIN = "06901234567892"  # a valid GTIN-14


@pytest.mark.parametrize(
    ("raw", "expected", "kind"),
    [
        ("81234567890123456789", "81234567890123456789", "national"),
        ("  81234567890123456789 ", "81234567890123456789", "national"),
        (f"(01){GTIN}(21)SN1", f"(01){GTIN}(21)SN1", "gs1"),
        (f"(01){GTIN}(17)271231(10)L1(21)SN1", f"(01){GTIN}(21)SN1", "gs1"),
        (f"01{GTIN}17271231" + f"10L1{GS}21SN1", f"(01){GTIN}(21)SN1", "gs1"),
        (f"]d201{GTIN}21SN1", f"(01){GTIN}(21)SN1", "gs1"),
        (f"01{GTIN}21SN1", f"(01){GTIN}(21)SN1", "gs1"),  # no separator needed when the serial is last
        ("12340000", "12340000", "enterprise"),
    ],
)
def test_each_kind_reads_to_its_canonical_form(raw, expected, kind):
    code = read(raw, formats=[("1234", 8)])
    assert (code.code, code.kind) == (expected, kind)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("91234567890123456789", "invalid_trace_code"),  # 20 digits, not starting with 8
        ("8123456789012345678", "invalid_trace_code"),  # 19 digits
        ("12350000", "invalid_trace_code"),  # not the declared prefix
        ("123400000", "invalid_trace_code"),  # not the declared length
        ("(01)06901234567893(21)SN1", "gs1_gtin_check_digit"),
        ("(01)0690123456789(21)SN1", "gs1_gtin_missing"),
        (f"(01){GTIN}", "gs1_serial_missing"),
        (f"(01){GTIN}(11)250101(21)SN1", "gs1_unknown_ai"),
        (f"01{GTIN}99X{GS}21SN1", "gs1_unknown_ai"),
        (f"(01){GTIN}(17)271332(21)SN1", "gs1_expiry_invalid"),
        (f"(01){GTIN}(10)批号(21)SN1", "gs1_lot_invalid"),
        (f"(01){GTIN}(21)SN1 trailing", "gs1_serial_missing"),  # a space is not a GS1 character
        (f"(01){GTIN}(21)SN1)", "invalid_trace_code"),
        ("", "invalid_trace_code"),
    ],
)
def test_invalid_codes_are_refused_with_a_reason(raw, error):
    with pytest.raises(CodeInvalid) as refused:
        read(raw, formats=[("1234", 8)])
    assert refused.value.code == error


def test_a_gs1_lot_and_expiry_must_agree_with_the_shipment_line():
    code = read(f"(01){GTIN}(17)271200(10)ab01(21)SN1", formats=())
    assert mismatches(code, lot="AB01", expiry=date(2027, 12, 17), drug_gtin="6901234567892") == []
    found = mismatches(code, lot="AB02", expiry=date(2028, 1, 1), drug_gtin="06901234567885")
    assert [problem for problem, _message in found] == ["gs1_lot_mismatch", "gs1_expiry_mismatch", "gs1_gtin_mismatch"]
    exact = read(f"(01){GTIN}(17)271231(21)SN1", formats=())
    assert [p for p, _ in mismatches(exact, lot="X", expiry=date(2027, 12, 30), drug_gtin="")] == [
        "gs1_expiry_mismatch"
    ]


def test_lookups_and_lots_are_normalised():
    assert canonical(f"]d201{GTIN}17271231" + f"10L1{GS}21SN1") == f"(01){GTIN}(21)SN1"
    assert canonical(" not-a-code ") == "not-a-code"
    assert lot_key("ｂａｔｃｈ 01") == lot_key("BATCH01") == "BATCH01"
