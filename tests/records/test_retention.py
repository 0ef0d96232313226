"""Retention (SPEC §7a): the database refuses to delete what forms the records inside its period; the purge job,
off by default, deletes only what has left it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import (
    CustodyHop,
    Order,
    OrderEvent,
    OrderLine,
    Shipment,
    ShipmentLine,
    SuspectedDiversion,
    TraceCode,
)
from pharmex.models import AuditEvent
from records.retention import PurgeResult, orders_past_retention, purge_past_retention
from settlements.models import JournalEntry, Posting
from tests import plans
from tests.orders.conftest import place
from tests.orders.shipping import code, item, receipt, receive, ship, shipment_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(market) -> Order:
    order_id = place(market.buyer_client(), (market.offer.pk, 2)).json()["id"]
    market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json")
    order = Order.objects.get(pk=order_id)
    body = shipment_body(order, item(order.lines.get(), 2, codes=[code(1), code(2)], expiry_days=400))
    assert ship(market.supplier_client(), order, body).status_code == 200
    assert receive(market.buyer_client(), Shipment.objects.get(order=order)).status_code == 200
    return order


def _refused(table: str, ids: list[int]) -> bool:
    """A raw DELETE, as any code or a psql session would send it (the ORM stops first at a protected child)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [ids])
    except DatabaseError as error:
        assert "records are retained until" in str(error)
        return True
    return False


def _age(order: Order, *, years: int) -> None:
    """Move the order's business and its lots' expiry `years` into the past (the database's clock stays)."""
    back = timedelta(days=366 * years)
    Order.objects.filter(pk=order.pk).update(
        placed_at=order.placed_at - back, received_at=timezone.now() - back, closed_at=None
    )
    ShipmentLine.objects.filter(shipment__order=order).update(expiry_date=timezone.localdate() - back)


@pytest.mark.parametrize("model", [CustodyHop, ShipmentLine, Shipment, OrderLine, OrderEvent, Order])
def test_deleting_a_retained_row_is_refused_by_the_database(received, model):
    rows = model.objects.filter(**({"pk": received.pk} if model is Order else _of(model, received)))
    assert rows.exists()
    # the raw DELETE, as any code or a psql session would send it (the ORM's cascade would hit the first child)
    ids = list(rows.values_list("pk", flat=True))
    assert _refused(model._meta.db_table, ids)
    assert rows.count() == len(ids)


def _of(model, order: Order) -> dict:
    if model in (ShipmentLine,):
        return {"shipment__order": order}
    return {"order": order}


def test_a_placed_order_s_lines_may_go_as_an_amendment_removes_them_but_no_longer_once_confirmed(market):
    order_id = place(market.buyer_client(), (market.offer.pk, 2)).json()["id"]
    placed = list(OrderLine.objects.filter(order_id=order_id).values_list("pk", flat=True))
    with transaction.atomic():  # the buyer's request, not yet a sale (the amend event keeps what it was)
        assert not _refused("orders_orderline", placed)
        transaction.set_rollback(True)
    market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json")

    assert Order.objects.get(pk=order_id).status == "confirmed"
    assert _refused("orders_orderline", placed)
    assert _refused("orders_order", [order_id])


def test_the_period_is_one_year_past_the_latest_expiry_when_that_is_later(received):
    _age(received, years=6)
    assert list(orders_past_retention()) == [received]
    # a lot expiring in five years keeps the order until a year after that
    ShipmentLine.objects.filter(shipment__order=received).update(
        expiry_date=timezone.localdate() + timedelta(days=366 * 5)
    )
    assert list(orders_past_retention()) == []
    assert _refused(
        ShipmentLine._meta.db_table, [line.pk for line in ShipmentLine.objects.filter(shipment__order=received)]
    )


def rejected(market) -> Order:
    order_id = place(market.buyer_client(), (market.offer.pk, 1)).json()["id"]
    response = market.supplier_client().post(f"/api/v1/orders/{order_id}/reject/", {"note": "缺货"}, format="json")
    assert response.status_code == 200
    return Order.objects.get(pk=order_id)


def test_the_purge_is_off_by_default_and_deletes_only_what_left_its_period(received, market, settings):
    old, recent = rejected(market), rejected(market)
    _age(old, years=6)
    _age(received, years=6)
    assert purge_past_retention().enabled is False
    assert Order.objects.filter(pk=old.pk).exists()

    settings.RECORDS_PURGE_ENABLED = True
    result = purge_past_retention()
    assert (result.purged, result.skipped) == (1, 0)
    assert not Order.objects.filter(pk=old.pk).exists()
    assert not OrderEvent.objects.filter(order_id=old.pk).exists()
    assert AuditEvent.objects.filter(action="records.purged", object_id=str(old.pk)).exists()
    # in its period: kept; past it, but in the append-only ledger (receipt posted it): kept whole, not even tried
    assert Order.objects.filter(pk=recent.pk).exists()
    assert Order.objects.filter(pk=received.pk).exists()
    assert CustodyHop.objects.filter(order_id=received.pk).count() == 2
    call_command("purge_records")  # the documented command runs the same job


def test_the_purge_deletes_a_shipment_refused_at_receipt_with_its_custody_hops(market, settings):
    """Refused whole at receipt, the order owes nothing and the ledger never booked it: past its period it goes with
    its shipment, the shipment's lines and events and the codes' hops; the codes stay, with their holder."""
    order_id = place(market.buyer_client(), (market.offer.pk, 2)).json()["id"]
    market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json")
    order = Order.objects.get(pk=order_id)
    body = shipment_body(order, item(order.lines.get(), 2, codes=[code(1), code(2)], expiry_days=400))
    assert ship(market.supplier_client(), order, body).status_code == 200
    shipment = Shipment.objects.get(order=order)
    line = shipment.lines.get()
    refused = receipt(shipment, rejected={line.pk: (2, [code(1), code(2)])})
    assert receive(market.buyer_client(), shipment, refused).status_code == 200, refused
    order.refresh_from_db()
    assert order.accepted_gross == 0 and not hasattr(order, "receivable")
    assert CustodyHop.objects.filter(order_id=order.pk, outcome="rejected").count() == 2
    _age(order, years=6)
    settings.RECORDS_PURGE_ENABLED = True

    assert purge_past_retention() == PurgeResult(enabled=True, purged=1, skipped=0)

    assert not Order.objects.filter(pk=order.pk).exists()
    assert not Shipment.objects.filter(pk=shipment.pk).exists()
    assert not CustodyHop.objects.filter(order_id=order.pk).exists()
    assert set(TraceCode.objects.filter(code__in=[code(1), code(2)]).values_list("holder_id", flat=True)) == {
        order.supplier_id
    }


def test_orders_kept_for_good_do_not_stall_the_purge(received, market, settings):
    """The purge reads only orders the ledger never booked, and goes on past one still referred to: a platform's
    oldest orders are received ones, kept whole for ever, and each run would otherwise take them up again."""
    blocked, old = rejected(market), rejected(market)
    for order in (received, blocked, old):
        _age(order, years=6)
    SuspectedDiversion.objects.create(
        code=code(9),
        kind="held_by_other",
        attempted_order=blocked,
        attempted_by_organization_id=blocked.supplier_id,
        attempted_by="t",
    )
    settings.RECORDS_PURGE_ENABLED = True

    with CaptureQueriesContext(connection) as queries:
        result = purge_past_retention(limit=1)

    assert (result.purged, result.skipped) == (1, 1)
    assert not Order.objects.filter(pk=old.pk).exists()
    assert Order.objects.filter(pk__in=[received.pk, blocked.pk]).count() == 2
    # The candidates come from the index of orders never booked, not from every order ever placed: asked of a
    # history of 20,000 booked orders as old (the planner's choice on three rows is a tie of costs).
    (candidates, *_) = [q["sql"] for q in queries.captured_queries if "records_retained_until" in q["sql"]]
    with plans.history([Order._meta.db_table], plans.copies(Order, received.pk, 20_000, number="'PAD' || n")):
        assert plans.table_reads(candidates) == [("orders_order", "order_never_booked")]
    assert purge_past_retention() == PurgeResult(enabled=True, purged=0, skipped=1)


def test_the_ledger_and_the_audit_log_refuse_every_delete(received):
    assert AuditEvent.objects.exists()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    if Posting.objects.exists():
        with pytest.raises(DatabaseError), transaction.atomic():
            JournalEntry.objects.all().delete()


@pytest.mark.parametrize("model", [Order, Shipment, AuditEvent, JournalEntry])
def test_the_admin_site_offers_no_delete_for_retained_models(model, rf):
    model_admin = admin.site._registry[model]
    request = rf.get("/admin/")
    request.user = type("Admin", (), {"is_active": True, "is_staff": True, "has_perm": lambda *a: True})()
    assert model_admin.has_delete_permission(request) is False
    assert "delete_selected" not in model_admin.get_actions(request)
