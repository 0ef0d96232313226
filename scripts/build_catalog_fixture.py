"""Build catalog/fixtures/demo_drugs.csv, the small attributed extract the demo loads (see its README).

Facts only (approval numbers, names, forms, specifications, holders) from ../shared/data: the 25 NMPA detail
records, plus imported drugs whose Chinese trade name appears in the originator-brand list (for the holder).
Run once by hand; the output is committed, the source files are not.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DATA = BASE_DIR.parent / "shared" / "data"
OUT = BASE_DIR / "catalog" / "fixtures" / "demo_drugs.csv"
COLUMNS = ["approval_number", "generic_name", "brand_name", "english_name", "dosage_form", "specification",
           "package", "sale_unit", "min_unit", "units_per_pack", "mah_name", "manufacturer_name", "drug_type",
           "national_drug_code", "source"]  # fmt: skip
SOURCE = "nmpa_approvals_partial+originator_brands_cn"
UNKNOWN = "见说明书"  # the source gives no specification/package: say so rather than invent one


def _form(name: str, given: str = "") -> str:
    from catalog.choices import DosageForm, dosage_form_from_text

    return dosage_form_from_text(given or name) or DosageForm.OTHER


def _drug_type(number: str, name: str) -> str:
    if "疫苗" in name:
        return "vaccine"
    if any(word in name for word in ("白蛋白", "免疫球蛋白", "凝血因子", "纤维蛋白原")):
        return "blood_product"
    letter = number.removeprefix("国药准字").lstrip("B")[:1]
    return {"S": "biologic", "Z": "tcm"}.get(letter, "chemical")


def main() -> None:
    rows = []
    for r in csv.DictReader((DATA / "nmpa_domestic_detail_sample.csv").open(encoding="utf-8")):
        if not r["dosage_form"] or r["dosage_form"] == "原料药":
            continue
        rows.append([r["approval_number"], r["product_name"], r["trade_name"], r["english_name"].strip(),
                     _form(r["product_name"], r["dosage_form"]), r["specification"], UNKNOWN, "盒", "", 1,
                     r["mah_name"], r["manufacturer"], "chemical", r["drug_standard_code"],
                     "nmpa_domestic_detail_sample"])  # fmt: skip
    holders = {}
    for r in csv.DictReader((DATA / "originator_brands_cn.csv").open(encoding="utf-8")):
        holders.setdefault(r["trade_name"], r["company_name"])
    seen = set()
    for r in csv.DictReader((DATA / "nmpa_approvals_partial.csv").open(encoding="utf-8")):
        trade = r["trade_name_zh"]
        if r["origin"] != "imported" or trade not in holders or (trade, r["product_name_zh"]) in seen:
            continue
        number = r["approval_number"]
        if len(number) > 12:  # the concatenated odd value
            continue
        seen.add((trade, r["product_name_zh"]))
        rows.append([number, r["product_name_zh"], trade, r["product_name_en"], _form(r["product_name_zh"]),
                     UNKNOWN, UNKNOWN, "盒", "", 1, holders[trade], holders[trade],
                     _drug_type(number, r["product_name_zh"]), "", SOURCE])  # fmt: skip
        if len(rows) >= 320:
            break
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    print(f"{len(rows)} drugs → {OUT}")


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmex.settings.local")
    django.setup()
    main()
