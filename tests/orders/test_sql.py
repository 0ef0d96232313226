"""orders/sql.py against the ORM and the apps' own reads: the order, its lines and its placing event, written in one
statement; the gate's reads, read in one."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DataError, transaction
from django.utils import timezone

from accounts import sql as accounts_sql
from accounts.choices import OrganizationKind
from catalog import sql as catalog_sql
from firstbusiness import sql as firstbusiness_sql
from firstbusiness.choices import ReviewStatus
from firstbusiness.models import FirstBusinessReview
from orders import sql
from orders.models import Order, OrderEvent, OrderLine
from pharmex.db import fetch_all
from tests.factories import OfferFactory, OrganizationFactory
from tests.sql_parity import fields

pytestmark = pytest.mark.django_db


def _order_with_lines(*, drug_name: str | None = None) -> tuple[Order, list[OrderLine], OrderEvent]:
    """Instances as placement builds them: two lines, the second with the text `drug_name` when given."""
    buyer, now = OrganizationFactory(kind="pharmacy"), timezone.now()
    offers = [OfferFactory(unit_price=Decimal("2.50")), OfferFactory(unit_price=Decimal("19.90"))]
    order = Order(
        buyer=buyer,
        supplier=offers[0].supplier,
        placed_by="buyer@a.test",
        note="急用",
        buyer_province=buyer.province_code,
        total_gross=Decimal("24.90"),
        total_tax=Decimal("2.86"),
        placed_at=now,
        expires_at=now + timedelta(hours=24),
    )
    lines = [
        OrderLine(
            line_no=number,
            offer=offer,
            drug=offer.drug,
            drug_name=drug_name if drug_name is not None and number == 2 else offer.drug.generic_name,
            specification=offer.drug.specification,
            package=offer.drug.package,
            approval_number=offer.drug.approval_number,
            sale_unit=offer.drug.sale_unit,
            unit_price=offer.unit_price,
            vat_rate=offer.vat_rate,
            quantity=1,
            line_gross=offer.unit_price,
            line_tax=Decimal("0.29"),
        )
        for number, offer in enumerate(offers, 1)
    ]
    event = OrderEvent(action="place", to_status=order.status, actor="buyer@a.test", note="急用", created_at=now)
    return order, lines, event


def test_an_inserted_order_reads_back_as_written():
    # given: a line whose text JSON must escape (the lines travel as one JSON parameter)
    order, lines, event = _order_with_lines(drug_name="阿莫西林 \"胶囊\" \\ '0.25g' ☃ \t end")
    now = order.placed_at

    # when
    with transaction.atomic():
        sql.order_insert(order, lines, event)

    # then: the ORM reads every field as the instances hold it, the number as PX + local date + sequence
    assert fields(Order.objects.get(pk=order.pk)) == fields(order)
    assert [fields(line) for line in OrderLine.objects.filter(order=order).order_by("line_no")] == [
        fields(line) for line in lines
    ]
    assert fields(OrderEvent.objects.get(order=order)) == fields(event)
    assert order.number.startswith(f"PX{timezone.localtime(now):%Y%m%d}") and len(order.number) == 18
    assert list(order.lines.all()) == lines  # attached: the response needs no second read


def test_a_line_value_too_long_for_its_column_is_refused_not_truncated():
    order, lines, event = _order_with_lines(drug_name="药" * 201)  # drug_name holds 200

    with pytest.raises(DataError), transaction.atomic():
        sql.order_insert(order, lines, event)


def test_the_gate_reads_each_part_as_its_app_reads_it_alone():
    # given: a cart of two suppliers' offers (and ids that name none), a third offer outside it, and the buyer's
    # decisions about suppliers in and out of the cart
    today = timezone.localdate()
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    offers, outside = [OfferFactory(), OfferFactory()], OfferFactory()
    for supplier, drug in ((offers[0].supplier, None), (offers[1].supplier, offers[1].drug), (outside.supplier, None)):
        FirstBusinessReview.objects.create(buyer=buyer, supplier=supplier, drug=drug, status=ReviewStatus.APPROVED)
    suppliers, drugs = [o.supplier_id for o in offers], [o.drug_id for o in offers]
    ids = [o.pk for o in offers] + [987654321, 2**63]

    rows = sql.gate_reads(buyer_id=buyer.pk, offer_ids=ids, on=today, reviews=True)

    alone = fetch_all(catalog_sql.OFFERS_WITH_DRUG_AND_SUPPLIER, {"ids": [o.pk for o in offers], "on": today})
    assert sorted(rows.offers) == sorted(alone) and len(rows.offers) == 2
    licences = accounts_sql.valid_licenses(organization_ids=[buyer.pk, *suppliers], on=today)
    assert sorted(rows.licences) == sorted(licences) and {row[0] for row in licences} == {buyer.pk, *suppliers}
    decisions = firstbusiness_sql.review_decisions(buyer_id=buyer.pk, supplier_ids=suppliers, drug_ids=drugs)
    assert sorted(rows.decisions, key=repr) == sorted(decisions, key=repr) and len(decisions) == 2
    assert rows.rules == {"procurement": []}  # no negotiated price here (tests/procurement/test_sql.py has some)


def test_the_gate_reads_no_decisions_unless_asked_and_the_buyer_s_licences_for_an_empty_cart():
    today = timezone.localdate()
    buyer, offer = OrganizationFactory(kind=OrganizationKind.PHARMACY), OfferFactory()
    FirstBusinessReview.objects.create(buyer=buyer, supplier=offer.supplier, status=ReviewStatus.APPROVED)

    rows = sql.gate_reads(buyer_id=buyer.pk, offer_ids=[offer.pk], on=today, reviews=False)
    assert rows.decisions == [] and {row[0] for row in rows.licences} == {buyer.pk, offer.supplier_id}

    rows = sql.gate_reads(buyer_id=buyer.pk, offer_ids=[], on=today, reviews=True)
    assert rows.offers == [] and rows.decisions == [] and {row[0] for row in rows.licences} == {buyer.pk}
