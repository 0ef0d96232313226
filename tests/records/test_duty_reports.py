"""Platform duty reports (SPEC §7a): merchants, suspensions, suspected diversions, recalls — streamed, for platform
staff (everyone) and regulators (their jurisdiction)."""

from __future__ import annotations

import csv
import io

import pytest

from orders.models import Order, Shipment, SuspectedDiversion
from pharmex.choices import StaffRole
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.orders.conftest import place
from tests.orders.shipping import receive, ship, shipment_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    return client_for(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True))


def _report(client, name: str, **params) -> list[dict]:
    response = client.get(f"/api/v1/reports/duty/{name}/", params)
    assert response.status_code == 200, response.content[:500]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def shipped_lot(market) -> Order:
    order_id = place(market.buyer_client(), (market.offer.pk, 3)).json()["id"]
    market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json")
    order = Order.objects.get(pk=order_id)
    assert ship(market.supplier_client(), order, shipment_body(order)).status_code == 200
    assert receive(market.buyer_client(), Shipment.objects.get(order=order)).status_code == 200
    return order


def test_merchants_and_suspensions_with_their_reasons(market, admin_client, regulator_factory):
    response = admin_client.post(
        f"/api/v1/organizations/{market.buyer.pk}/suspend/", {"reason": "未按期提交资质"}, format="json"
    )
    assert response.status_code == 200

    merchants = {int(row["organization_id"]): row for row in _report(admin_client, "merchants")}
    assert merchants[market.buyer.pk]["status"] == "suspended"
    assert merchants[market.buyer.pk]["status_reason"] == "未按期提交资质"
    assert merchants[market.supplier.pk]["trading_license_status"] == "approved"
    assert merchants[market.supplier.pk]["reverification_due_on"]  # six months after the last verification

    suspensions = _report(admin_client, "suspensions")
    assert [(int(r["organization_id"]), r["reason"]) for r in suspensions] == [(market.buyer.pk, "未按期提交资质")]

    # a regulator sees its jurisdiction's merchants, never another province's, and no regulator
    _, hainan, _ = regulator_factory("460000")
    assert {market.buyer.pk, market.supplier.pk} == {int(r["organization_id"]) for r in _report(hainan, "merchants")}
    _, guangdong, _ = regulator_factory("440000")
    assert _report(guangdong, "merchants") == []
    assert _report(guangdong, "suspensions") == []


def test_recalls_with_acknowledgement_progress_and_diversions_with_outcomes(
    market, shipped_lot, admin_client, regulator_factory
):
    lot = Shipment.objects.get(order=shipped_lot).lines.get().lot_number
    recall = admin_client.post(
        "/api/v1/recalls/",
        {"drug": market.offer.drug_id, "lots": [lot], "level": "II", "reason": "含量不合格"},
        format="json",
    )
    assert recall.status_code == 201, recall.json()
    [row] = _report(admin_client, "recalls")
    assert (row["buyers_affected"], row["buyers_acknowledged"], row["buyers_outstanding"]) == ("1", "0", "1")
    acknowledged = market.buyer_client().post(
        f"/api/v1/recalls/{recall.json()['id']}/acknowledge/", {"quantity_held": 2}, format="json"
    )
    assert acknowledged.status_code in (200, 201), acknowledged.json()
    [row] = _report(admin_client, "recalls", file_format="csv")
    assert (row["buyers_acknowledged"], row["buyers_outstanding"], row["quantity_held"]) == ("1", "0", "2")

    SuspectedDiversion.objects.create(
        code="81234567890123456789",
        kind="held_by_other",
        attempted_order=shipped_lot,
        attempted_by_organization=market.supplier,
        attempted_by="op@example.com",
        expected_holder=market.buyer,
        status="dismissed",
        resolution_note="退货未登记",
    )
    [flag] = _report(admin_client, "diversions")
    assert (flag["status"], flag["outcome_note"], flag["order_number"]) == (
        "dismissed",
        "退货未登记",
        shipped_lot.number,
    )

    _, hainan, _ = regulator_factory("460000")
    assert len(_report(hainan, "recalls")) == 1
    assert len(_report(hainan, "diversions")) == 1
    _, guangdong, _ = regulator_factory("440000")
    assert _report(guangdong, "recalls") == []
    assert _report(guangdong, "diversions") == []


def test_traders_do_not_get_the_duty_reports(market):
    assert market.buyer_client().get("/api/v1/reports/duty/merchants/").status_code == 403
