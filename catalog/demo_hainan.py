"""Hainan demo data for `make run` (SPEC §4a): a zero-tariff offer, a bonded offer, a special-licensed drug for
Boao Lecheng with its offer and the Lecheng hospital's approval. Called by catalog.demo after the ordinary
catalogue (so the ordinary offers keep their ids); idempotent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Organization
from catalog.choices import CustomsStatus, DosageForm, DrugCategory, DrugStatus, DrugType, OfferStatus, Storage
from catalog.models import CustomsStatusChange, Drug, LechengApproval, Offer
from catalog.services.offers import default_vat_rate, listing_refusal

SUPPLIER_EMAIL = "supplier.owner@pharmex.example"
LECHENG_EMAIL = "lecheng.owner@pharmex.example"


def load() -> None:
    supplier = Organization.objects.filter(memberships__user__email=SUPPLIER_EMAIL).first()
    institution = Organization.objects.filter(memberships__user__email=LECHENG_EMAIL).first()
    if supplier is None or institution is None:
        return
    free = (
        Drug.objects.filter(status=DrugStatus.ACTIVE, special_licensed=False, storage=Storage.COOL)
        .exclude(offers__supplier=supplier)
        .order_by("pk")
    )
    listable = [drug for drug in free[:50] if listing_refusal(drug=drug, may_trade=True, scope_tags=set()) is None]
    if not Offer.objects.filter(supplier=supplier, customs_status=CustomsStatus.ZERO_TARIFF).exists() and listable:
        _offer(supplier, listable[0], CustomsStatus.ZERO_TARIFF, Decimal("36.80"))
    if not Offer.objects.filter(supplier=supplier, customs_status=CustomsStatus.BONDED).exists() and len(listable) > 1:
        _offer(supplier, listable[1], CustomsStatus.BONDED, Decimal("52.00"))
    special, _ = Drug.objects.get_or_create(
        generic_name="乐城演示特许单抗注射液",
        manufacturer_name="Demo Biopharma Inc.",
        specification="100mg/4ml",
        package="1瓶/盒",
        approval_number="",
        defaults={
            "special_licensed": True,
            "foreign_ma_country": "US",
            "foreign_ma_holder": "Demo Biopharma Inc.",
            "foreign_product_name": "Demoximab Injection",
            "english_name": "Demoximab",
            "dosage_form": DosageForm.INJECTION,
            "sale_unit": "瓶",
            "min_unit": "瓶",
            "units_per_pack": 1,
            "drug_type": DrugType.BIOLOGIC,
            "category": DrugCategory.RX,
            "storage": Storage.COLD_CHAIN,
            "status": DrugStatus.ACTIVE,
            "reviewed_at": timezone.now(),
        },
    )
    _offer(supplier, special, CustomsStatus.LECHENG_SPECIAL, Decimal("12800.00"), stock=40, min_order_quantity=1)
    today = timezone.localdate()
    LechengApproval.objects.get_or_create(
        number="琼药特许〔2026〕0001号",
        defaults={
            "institution": institution,
            "drug": special,
            "quantity": 20,
            "valid_from": today - timedelta(days=30),
            "valid_until": today + timedelta(days=335),
            "note": "演示批件",
        },
    )


def _offer(supplier: Organization, drug: Drug, status: str, price: Decimal, **terms) -> None:
    offer, created = Offer.objects.get_or_create(
        supplier=supplier,
        drug=drug,
        defaults={
            "unit_price": price,
            "vat_rate": default_vat_rate(drug=drug, elected=False),
            "stock": terms.pop("stock", 500),
            "status": OfferStatus.ACTIVE,
            "customs_status": status,
            **terms,
        },
    )
    if created:
        CustomsStatusChange.objects.create(
            offer=offer, action="list", from_status="", to_status=status, actor="demo data"
        )
