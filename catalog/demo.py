"""Demo catalogue for `make run`: the attributed extract in fixtures/ (see its README), and offers from the
demo suppliers of accounts/demo.py at made-up but plausible prices. Idempotent: a rerun adds nothing twice."""

from __future__ import annotations

import csv
import hashlib
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from accounts.models import Organization
from accounts.selectors import trading_standing
from catalog import demo_hainan
from catalog.choices import COLD_STORAGE, DrugCategory, DrugStatus, DrugType, OfferStatus, Storage
from catalog.models import Drug, Offer
from catalog.services.offers import default_vat_rate, listing_refusal

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "demo_drugs.csv"
SUPPLIER_EMAILS = ("supplier.owner@pharmex.example", "manufacturer.owner@pharmex.example")


def _stable(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def _drugs() -> list[Drug]:
    drugs = []
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            storage = Storage.COLD_CHAIN if row["drug_type"] in (DrugType.BIOLOGIC, DrugType.VACCINE) else Storage.COOL
            drug, _ = Drug.objects.get_or_create(
                approval_number=row["approval_number"],
                specification=row["specification"],
                package=row["package"],
                defaults={
                    "generic_name": row["generic_name"],
                    "brand_name": row["brand_name"],
                    "english_name": row["english_name"],
                    "dosage_form": row["dosage_form"],
                    "sale_unit": row["sale_unit"] or "盒",
                    "min_unit": row["min_unit"] or row["sale_unit"] or "盒",
                    "units_per_pack": int(row["units_per_pack"] or 1),
                    "mah_name": row["mah_name"][:200],
                    "manufacturer_name": row["manufacturer_name"][:300],
                    "drug_type": row["drug_type"],
                    "simplified_vat_class": "biologic" if row["drug_type"] == DrugType.BIOLOGIC else "",
                    "category": DrugCategory.RX,
                    "storage": storage,
                    "national_drug_code": row["national_drug_code"],
                    "status": DrugStatus.ACTIVE,
                    "reviewed_at": timezone.now(),
                },
            )
            drugs.append(drug)
    return drugs


def load() -> list[dict]:
    drugs = _drugs()
    # In id order, so the offers get the same ids on every fresh database (the API guide's examples use them).
    suppliers = list(
        Organization.objects.filter(memberships__user__email__in=SUPPLIER_EMAILS).distinct().order_by("pk")
    )
    for supplier in suppliers:
        standing = trading_standing(organization=supplier)
        may_trade, scope = standing.may_trade, standing.scope_tags
        for drug in drugs:
            seed = _stable(f"{supplier.uscc}:{drug.approval_number}")
            if seed % 3 == 0 or listing_refusal(drug=drug, may_trade=may_trade, scope_tags=scope) is not None:
                continue  # not every supplier carries every drug, and the listing rules apply to demo data too
            base = Decimal(8 + _stable(drug.approval_number) % 480)  # the drug's price level, 8-488 CNY
            price = (base * Decimal(90 + seed % 25) / 100).quantize(Decimal("0.01"))
            Offer.objects.get_or_create(
                supplier=supplier,
                drug=drug,
                defaults={
                    "unit_price": price,
                    "vat_rate": default_vat_rate(drug=drug, elected=False),
                    "stock": 20 + seed % 2000,
                    "min_order_quantity": 1 if drug.storage not in COLD_STORAGE else 2,
                    "lead_time_days": 1 + seed % 4,
                    "status": OfferStatus.ACTIVE,
                },
            )
    demo_hainan.load()
    return []
