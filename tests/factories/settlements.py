"""Received orders straight in the database (no API round trip), posted to the ledger like a real receipt."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import InsuranceFund, Organization
from catalog.models import Offer
from orders.choices import OrderStatus
from orders.models import Order, OrderLine
from settlements.models import Receivable
from settlements.services import receipt_post
from tests.factories.catalog import OfferFactory

_sequence = itertools.count(1)


def order_number(moment: datetime) -> str:
    return f"PX{timezone.localtime(moment):%Y%m%d}{90_000_000 + next(_sequence):08d}"


def received_order(
    *,
    buyer: Organization,
    supplier: Organization,
    gross: Decimal | str,
    received_at: datetime | None = None,
    offer: Offer | None = None,
    post: bool = True,
) -> Order:
    """A one-line order in status `received` whose accepted gross is `gross`; posted unless post=False."""
    gross = Decimal(gross)
    received_at = received_at or timezone.now()
    offer = offer or OfferFactory(supplier=supplier, unit_price=gross if gross > 0 else Decimal("1.00"))
    order = Order.objects.create(
        number=order_number(received_at),
        buyer=buyer,
        supplier=supplier,
        status=OrderStatus.RECEIVED,
        placed_by="factory",
        total_gross=gross,
        total_tax=Decimal("0.00"),
        accepted_gross=gross,
        buyer_province=buyer.province_code,
        placed_at=received_at - timedelta(days=3),
        expires_at=received_at - timedelta(days=2),
        confirmed_at=received_at - timedelta(days=2),
        shipped_at=received_at - timedelta(days=1),
        received_at=received_at,
    )
    OrderLine.objects.create(
        order=order,
        line_no=1,
        offer=offer,
        drug=offer.drug,
        drug_name=offer.drug.generic_name,
        specification=offer.drug.specification,
        package=offer.drug.package,
        sale_unit=offer.drug.sale_unit,
        unit_price=gross,
        vat_rate=offer.vat_rate,
        quantity=1,
        line_gross=gross,
        line_tax=Decimal("0.00"),
        shipped_quantity=1,
        accepted_quantity=1,
    )
    if post:
        receipt_post(order_id=order.pk)
    return order


def fund_paid_order(*, buyer: Organization, supplier: Organization, fund: InsuranceFund, gross: Decimal | str) -> Order:
    """A received one-line order whose line is paid by the fund (as a direct-settlement contract records it)."""
    order = received_order(buyer=buyer, supplier=supplier, gross=gross, post=False)
    order.lines.update(payer_fund=fund)
    receipt_post(order_id=order.pk)
    return order


def receivable_of(order: Order) -> Receivable:
    return Receivable.objects.get(order=order)
