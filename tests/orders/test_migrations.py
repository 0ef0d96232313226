"""The move to shipments in parts and custody (orders 0004–0006) keeps every shipment and code that existed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import CustodyHop, Order, Shipment, SuspectedDiversion, TraceCode
from tests.factories import OfferFactory, OrganizationFactory
from tests.migrations import latest, migrate
from tests.orders.conftest import place
from tests.orders.shipping import item, ship, shipment_body

BEFORE = [("orders", "0003_event_note_length")]


@pytest.mark.django_db(transaction=True)
def test_existing_shipments_become_first_shipments_and_their_codes_enter_custody():
    supplier, buyer, other = OrganizationFactory(), OrganizationFactory(kind="pharmacy"), OrganizationFactory()
    offer = OfferFactory(supplier=supplier, unit_price=Decimal("10.00"))
    newest = latest()
    apps = migrate(BEFORE)
    Order_, OrderLine_ = apps.get_model("orders", "Order"), apps.get_model("orders", "OrderLine")
    Shipment_, ShipmentLine_ = apps.get_model("orders", "Shipment"), apps.get_model("orders", "ShipmentLine")
    TraceCode_, Diversion_ = apps.get_model("orders", "TraceCode"), apps.get_model("orders", "SuspectedDiversion")
    now = timezone.now()

    def order(number: str, status: str, shipped: int, accepted: int, rejected: int):
        placed = Order_.objects.create(
            number=number,
            buyer_id=buyer.pk,
            supplier_id=supplier.pk,
            status=status,
            placed_by="x",
            total_gross=Decimal("50.00"),
            total_tax=Decimal("0.00"),
            accepted_gross=Decimal(accepted * 10) if status == "received" else None,
            buyer_province="460000",
            expires_at=now + timedelta(days=1),
            received_at=now if status == "received" else None,
        )
        line = OrderLine_.objects.create(
            order=placed,
            line_no=1,
            offer_id=offer.pk,
            drug_id=offer.drug_id,
            drug_name="药",
            specification="1g",
            package="1盒",
            sale_unit="盒",
            unit_price=Decimal("10.00"),
            vat_rate=Decimal("0.13"),
            quantity=5,
            line_gross=Decimal("50.00"),
            line_tax=Decimal("5.75"),
            shipped_quantity=shipped,
            accepted_quantity=accepted,
            rejected_quantity=rejected,
            rejection_reason="damaged" if rejected else "",
        )
        shipment = Shipment_.objects.create(
            order=placed,
            carrier="EMS",
            tracking_number="E1",
            invoice_numbers=["26460000000000000001"],
            invoice_amount=Decimal(shipped * 10),
            shipped_by="x",
        )
        shipment_line = ShipmentLine_.objects.create(
            shipment=shipment,
            order_line=line,
            drug_id=offer.drug_id,
            lot_number="ｌ 1",
            expiry_date=now.date() + timedelta(days=400),
            quantity=shipped,
        )
        return placed, shipment_line

    received, received_line = order("PX1", "received", 4, 3, 1)
    in_transit, transit_line = order("PX2", "shipped", 5, 0, 0)
    TraceCode_.objects.create(code="80000000000000000001", shipment_line=received_line)
    TraceCode_.objects.create(code="80000000000000000002", shipment_line=transit_line)
    Diversion_.objects.create(
        code="80000000000000000002", attempted_order=received, attempted_by="y", first_shipment_line=transit_line
    )

    migrate(newest)

    first = Shipment.objects.get(order_id=received.pk)
    assert (first.sequence, first.status, first.supplier_id, first.buyer_id, first.gross) == (
        1,
        "received",
        supplier.pk,
        buyer.pk,
        Decimal("40.00"),
    )
    line = first.lines.get()
    assert (line.lot_key, line.accepted_quantity, line.rejected_quantity, line.code_count) == ("L1", 3, 1, 1)
    assert Order.objects.get(pk=received.pk).lines.get().closed_quantity == 1  # the short shipment closed the rest
    assert Shipment.objects.get(order_id=in_transit.pk).status == "in_transit"
    codes = {c.code: (c.holder_id, c.shipment_id) for c in TraceCode.objects.all()}
    assert codes == {
        "80000000000000000001": (buyer.pk, None),
        "80000000000000000002": (supplier.pk, Shipment.objects.get(order_id=in_transit.pk).pk),
    }
    assert sorted(CustodyHop.objects.values_list("outcome", flat=True)) == ["accepted", "in_transit"]
    flag = SuspectedDiversion.objects.get()
    assert (flag.attempted_by_organization_id, flag.expected_holder_id) == (supplier.pk, supplier.pk)
    assert other.pk  # an organisation with nothing shipped is untouched


@pytest.mark.django_db(transaction=True)
def test_lines_shipped_before_their_code_count_was_kept_get_it_from_their_hops(market):
    """orders 0027: the column arrives as 0 on every line, then each line counts the hops that name it."""
    order_id = place(market.buyer_client(), (market.offer.pk, 5)).json()["id"]
    assert market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json").status_code == 200
    order = Order.objects.get(pk=order_id)
    line = order.lines.get()
    coded = item(
        line, 3, lot="A1", codes=["80000000000000000021"], cases=[("80000000000000000029", ["80000000000000000022"])]
    )
    body = shipment_body(order, coded, item(line, 2, lot="B2"))
    assert ship(market.supplier_client(), order, body).status_code == 200
    newest = latest()

    migrate([("orders", "0026_red_letter_sides")])
    migrate(newest)

    counts = Shipment.objects.get(order=order).lines.order_by("id").values_list("lot_number", "code_count")
    assert list(counts) == [("A1", 3), ("B2", 0)]
