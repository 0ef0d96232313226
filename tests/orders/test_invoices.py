"""Invoices as records and red-letter invoices (SPEC §5 "Invoices"): 票货一致 across several invoices, the
红字发票信息确认单 for a rejection and for a credited return, and the order's invoice position."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import MemberRole, OrganizationKind
from catalog.models import Offer
from orders.models import Return, Shipment
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory
from tests.orders.returns import receive_back, received, request_return, step
from tests.orders.shipping import invoice_number

pytestmark = pytest.mark.django_db


def record(client, shipments: list[tuple[Shipment, str]], *, number=None, tax="0.00"):
    total = sum(Decimal(amount) for _, amount in shipments)
    body = {
        "number": number or invoice_number(),
        "kind": "special",
        "issue_date": str(timezone.localdate()),
        "amount_excl_tax": str(total - Decimal(tax)),
        "tax": tax,
        "total": str(total),
        "shipments": [{"shipment_id": s.pk, "amount": amount} for s, amount in shipments],
    }
    return client.post("/api/v1/invoices/", body, format="json")


def position(client, order):
    response = client.get(f"/api/v1/orders/{order.pk}/invoice-position/")
    assert response.status_code == 200, response.json()
    return response.json()


def test_invoices_total_the_shipped_gross_across_several_and_red_letters_bring_them_to_what_is_owed(market):
    Offer.objects.filter(pk=market.offer.pk).update(unit_price=Decimal("100.00"))
    order, shipment = received(market, 10, rejected=1)  # 1,000.00 shipped, 100.00 rejected
    supplier, buyer = market.supplier_client(), market.buyer_client()

    first = record(supplier, [(shipment, "600.00")], tax="69.03")
    assert first.status_code == 201, first.json()
    over = record(supplier, [(shipment, "400.01")])
    assert (over.status_code, over.json()["errors"][0]["code"]) == (400, "more_than_shipped")
    reused = record(supplier, [(shipment, "1.00")], number=first.json()["number"])
    assert "invoice_number_used" in {e["code"] for e in reused.json()["errors"]}
    assert record(buyer, [(shipment, "1.00")]).status_code == 400  # not the buyer's shipment to invoice
    second = record(supplier, [(shipment, "400.00")])
    assert second.status_code == 201
    pos = position(buyer, order)
    assert (pos["invoiced"], pos["net_invoiced"], pos["expected"], pos["difference"]) == (
        "1000.00",
        "1000.00",
        "900.00",
        "100.00",
    )
    assert [item["kind"] for item in pos["open_items"]] == ["rejection_to_red_letter"]

    # red-letter the rejection: the supplier raises the form, the buyer confirms, the red invoice is recorded
    raised = supplier.post(
        "/api/v1/red-letter-forms/",
        {"blue_invoice_id": second.json()["id"], "shipment_id": shipment.pk, "reason": "rejection"},
        format="json",
    )
    assert (raised.status_code, raised.json()["status"], raised.json()["amount"]) == (201, "raised", "100.00")
    form_id = raised.json()["id"]
    assert supplier.post(f"/api/v1/red-letter-forms/{form_id}/confirm/", {}, format="json").status_code == 403
    red_number = invoice_number()
    early = supplier.post(
        f"/api/v1/red-letter-forms/{form_id}/issue-red/",
        {"number": red_number, "issue_date": str(timezone.localdate())},
        format="json",
    )
    assert early.status_code == 409  # not confirmed yet
    assert buyer.post(f"/api/v1/red-letter-forms/{form_id}/confirm/", {}, format="json").json()["status"] == "confirmed"
    issued = supplier.post(
        f"/api/v1/red-letter-forms/{form_id}/issue-red/",
        {"number": red_number, "issue_date": str(timezone.localdate())},
        format="json",
    )
    assert (issued.json()["status"], issued.json()["red_invoice_number"]) == ("red_issued", red_number)
    pos = position(buyer, order)
    assert (pos["red_lettered"], pos["net_invoiced"], pos["difference"], pos["open_items"]) == (
        "100.00",
        "900.00",
        "0.00",
        [],
    )

    # a credited return of 200.00: the buyer had not deducted the invoice, so the form is confirmed at once
    ret_id = request_return(buyer, order, shipment, 2).json()["id"]
    step(supplier, ret_id, "approve")
    step(buyer, ret_id, "ship-back", {"carrier": "顺丰速运", "tracking_number": "SF3"})
    assert receive_back(supplier, Return.objects.get(pk=ret_id)).json()["status"] == "credited"
    assert position(buyer, order)["difference"] == "200.00"
    assert (
        buyer.post(f"/api/v1/invoices/{first.json()['id']}/deduction/", {"deducted": False}, format="json").status_code
        == 200
    )
    auto = supplier.post(
        "/api/v1/red-letter-forms/",
        {"blue_invoice_id": first.json()["id"], "shipment_id": shipment.pk, "reason": "return", "return_id": ret_id},
        format="json",
    )
    assert (auto.status_code, auto.json()["status"], auto.json()["amount"]) == (201, "auto_confirmed", "200.00")
    supplier.post(
        f"/api/v1/red-letter-forms/{auto.json()['id']}/issue-red/",
        {"number": invoice_number(), "issue_date": str(timezone.localdate())},
        format="json",
    )
    pos = position(buyer, order)
    # net invoiced = accepted − returned: 1,000 − 100 − 200
    assert (pos["net_invoiced"], pos["expected"], pos["difference"], pos["open_items"]) == (
        "700.00",
        "700.00",
        "0.00",
        [],
    )

    # both parties list both forms, newest first, a page from each side of theirs; no one else sees them
    forms = [auto.json()["id"], form_id]
    for party in (supplier, buyer):
        assert [form["id"] for form in party.get("/api/v1/red-letter-forms/").json()["results"]] == forms
    stranger = client_for(MembershipFactory(role=MemberRole.FINANCE).user)
    assert stranger.get("/api/v1/red-letter-forms/").json()["results"] == []
    # nor does the parties' regulator: SPEC §7a opens orders, shipments and records to it, not invoices or returns
    jurisdiction = sorted({market.buyer.province_code, market.supplier.province_code})
    regulator = OrganizationFactory(kind=OrganizationKind.REGULATOR, jurisdiction=jurisdiction)
    inspector = client_for(MembershipFactory(organization=regulator).user)
    assert [o["id"] for o in inspector.get("/api/v1/orders/").json()["results"]] == [order.pk]
    for listing in ("invoices", "red-letter-forms", "returns"):
        assert party.get(f"/api/v1/{listing}/").json()["results"], listing
        assert inspector.get(f"/api/v1/{listing}/").json()["results"] == [], listing


def test_red_letters_never_exceed_what_is_left(market):
    Offer.objects.filter(pk=market.offer.pk).update(unit_price=Decimal("10.00"))
    _order, shipment = received(market, 3, rejected=1)
    supplier = market.supplier_client()
    blue = record(supplier, [(shipment, "30.00")]).json()
    body = {"blue_invoice_id": blue["id"], "shipment_id": shipment.pk, "reason": "rejection", "amount": "10.01"}
    too_much = supplier.post("/api/v1/red-letter-forms/", body, format="json")
    assert (too_much.status_code, too_much.json()["errors"][0]["code"]) == (400, "nothing_to_red_letter")
    no_return = supplier.post("/api/v1/red-letter-forms/", {**body, "reason": "return", "amount": None}, format="json")
    assert no_return.json()["errors"][0]["code"] == "not_credited"
