"""Orders keep the GSP sales record as it was at placement (SPEC §5): later master-data changes never change them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import License
from catalog.choices import DosageForm
from catalog.models import Drug, Offer
from orders.models import Order
from tests.factories import LicenseFactory
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db


def test_lines_and_parties_are_snapshotted_and_master_data_changes_never_change_the_order(market):
    Drug.objects.filter(pk=market.offer.drug_id).update(
        dosage_form=DosageForm.CAPSULE, manufacturer_name="珠海联邦制药股份有限公司", mah_name="联邦制药（MAH）"
    )
    buyer_licence = License.objects.get(organization=market.buyer).number
    supplier_licence = License.objects.get(organization=market.supplier).number
    response = place(market.buyer_client(), (market.offer.pk, 3))
    assert response.status_code == 201, response.json()
    order_id = response.json()["id"]
    before = market.buyer_client().get(f"/api/v1/orders/{order_id}/").json()

    # then everything the record names changes in the master data
    Drug.objects.filter(pk=market.offer.drug_id).update(
        generic_name="阿莫西林胶囊（新）",
        dosage_form=DosageForm.TABLET,
        specification="0.5g",
        package="12粒/盒",
        manufacturer_name="另一家制药公司",
        mah_name="另一家持有人",
        approval_number="国药准字H20990001",
        sale_unit="瓶",
    )
    Offer.objects.filter(pk=market.offer.pk).update(unit_price=Decimal("99.00"), vat_rate=Decimal("0.09"))
    market.buyer.legal_name = "海口康宁大药房（更名）"
    market.buyer.save()
    market.supplier.legal_name = "海南康泰医药（更名）有限公司"
    market.supplier.save()
    License.objects.filter(organization=market.supplier).update(valid_until=timezone.localdate())
    LicenseFactory(
        organization=market.supplier, number="琼BB999999", valid_until=timezone.localdate() + timedelta(days=900)
    )

    after = market.buyer_client().get(f"/api/v1/orders/{order_id}/").json()
    assert after == before
    assert after["buyer"] == {"id": market.buyer.pk, "legal_name": "海口康宁大药房", "license_number": buyer_licence}
    assert after["supplier"] == {
        "id": market.supplier.pk,
        "legal_name": "海南康泰医药有限公司",
        "license_number": supplier_licence,
    }
    (line,) = after["lines"]
    assert {
        key: line[key]
        for key in (
            "drug_name",
            "dosage_form",
            "specification",
            "package",
            "manufacturer_name",
            "mah_name",
            "approval_number",
            "sale_unit",
            "quantity",
            "unit_price",
            "vat_rate",
        )
    } == {
        "drug_name": "阿莫西林胶囊",
        "dosage_form": "capsule",
        "specification": "0.25g",
        "package": "24粒/盒",
        "manufacturer_name": "珠海联邦制药股份有限公司",
        "mah_name": "联邦制药（MAH）",
        "approval_number": market.offer.drug.approval_number,
        "sale_unit": "盒",
        "quantity": 3,
        "unit_price": "12.35",
        "vat_rate": "0.13",
    }
    assert Order.objects.get(pk=order_id).supplier_license_number == supplier_licence


def test_the_licence_snapshot_is_the_trading_licence_valid_longest(market):
    LicenseFactory(organization=market.buyer, type="business", number="营业执照-1")
    renewal = LicenseFactory(
        organization=market.buyer, number="琼RR000001", valid_until=timezone.localdate() + timedelta(days=2000)
    )
    response = place(market.buyer_client(), (market.offer.pk, 1))
    assert response.json()["buyer"]["license_number"] == renewal.number
