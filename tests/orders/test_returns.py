"""Returns (退货, SPEC §5): request, approve (all or part) or refuse, ship back, supplier receipt, credit note."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError
from django.test import override_settings
from django.utils import timezone

from orders.models import CustodyHop, Return, ReturnEvent, TraceCode
from orders.return_choices import ReturnStatus
from pharmex.models import AuditEvent
from settlements.models import CreditNote, Payment, Posting
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory
from tests.orders.returns import receive_back, received, request_return, step
from tests.orders.shipping import code
from tests.settlements.conftest import assert_ledger_invariants
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_a_return_goes_from_request_to_credit_and_codes_go_back(market):
    codes = [code(101), code(102), code(103)]
    order, shipment = received(market, 5, codes=codes)
    buyer, supplier = market.buyer_client(), market.supplier_client()

    asked = request_return(buyer, order, shipment, 2, codes=codes[:2])
    assert asked.status_code == 201, asked.json()
    ret_id = asked.json()["id"]
    assert (asked.json()["status"], asked.json()["lines"][0]["claimed_quantity"]) == ("requested", 2)

    assert step(supplier, ret_id, "approve").json()["status"] == "approved"
    shipped = step(buyer, ret_id, "ship-back", {"carrier": "顺丰速运", "tracking_number": "SF99"})
    assert (shipped.status_code, shipped.json()["status"]) == (200, "shipped_back"), shipped.json()
    assert shipped.json()["lines"][0]["shipped_codes"] == codes[:2]

    ret = Return.objects.get(pk=ret_id)
    done = receive_back(supplier, ret)
    assert done.status_code == 200, done.json()
    # 2 × 12.35 at the sale's price, rounded per line; the credit note followed in the same transaction
    assert (done.json()["status"], done.json()["gross"]) == ("credited", "24.70")
    assert dict(TraceCode.objects.filter(code__in=codes).values_list("code", "holder_id")) == {
        codes[0]: market.supplier.pk,
        codes[1]: market.supplier.pk,
        codes[2]: market.buyer.pk,
    }
    note = CreditNote.objects.get(return_request_id=ret_id)
    assert (note.gross, note.commission + note.net) == (Decimal("24.70"), Decimal("24.70"))
    assert [e.action for e in ReturnEvent.objects.filter(return_request_id=ret_id).order_by("id")] == [
        "request",
        "approve",
        "ship_back",
        "receive",
        "credit",
    ]
    assert set(AuditEvent.objects.filter(object_type="return").values_list("action", flat=True)) >= {
        "return.requested",
        "return.approve",
        "return.ship_back",
        "return.receive",
        "return.credit",
    }
    assert set(OutboxEvent.objects.filter(event_type__startswith="return.").values_list("event_type", flat=True)) == {
        "return.requested",
        "return.approved",
        "return.shipped_back",
        "return.received",
        "return.credited",
    }
    # the order was unpaid: the credit pays 24.70 of it, the buyer owes the rest
    assert Payment.objects.get(pk=note.credit_id).unallocated == Decimal("0.00")
    assert sum(Posting.objects.filter(entry=note.entry).values_list("amount", flat=True)) == 0
    assert_ledger_invariants()


def test_quantities_never_exceed_accepted_minus_returned(market):
    order, shipment = received(market, 5, rejected=1)  # 4 accepted
    buyer, supplier = market.buyer_client(), market.supplier_client()
    first = request_return(buyer, order, shipment, 3)
    assert first.status_code == 201
    over = request_return(buyer, order, shipment, 2)
    assert (over.status_code, over.json()["code"], over.json()["errors"][0]["code"]) == (
        409,
        "return_not_allowed",
        "quantity_exceeded",
    )
    # a partial approval frees the units not approved
    line_id = first.json()["lines"][0]["id"]
    part = step(
        supplier, first.json()["id"], "approve", {"lines": [{"return_line_id": line_id, "approved_quantity": 1}]}
    )
    assert (part.status_code, part.json()["status"]) == (200, "partially_approved")
    back = step(buyer, first.json()["id"], "ship-back", {"carrier": "顺丰速运", "tracking_number": "SF2"})
    assert (back.status_code, back.json()["lines"][0]["shipped_codes"]) == (200, [])
    assert request_return(buyer, order, shipment, 3).status_code == 201
    assert request_return(buyer, order, shipment, 1).status_code == 409


def test_a_refusal_frees_the_units_and_says_why(market):
    order, shipment = received(market, 2)
    buyer, supplier = market.buyer_client(), market.supplier_client()
    ret_id = request_return(buyer, order, shipment, 2).json()["id"]
    assert step(supplier, ret_id, "refuse", {}).status_code == 400  # a reason is required
    refused = step(supplier, ret_id, "refuse", {"reason": "开封后不予退货"})
    assert (refused.json()["status"], refused.json()["refusal_reason"]) == ("refused", "开封后不予退货")
    assert step(supplier, ret_id, "approve").status_code == 409  # from a terminal state
    assert request_return(buyer, order, shipment, 2).status_code == 201


def test_each_step_is_the_right_party_s(market):
    order, shipment = received(market, 2)
    buyer, supplier = market.buyer_client(), market.supplier_client()
    assert request_return(supplier, order, shipment, 1).status_code in (403, 404)
    ret_id = request_return(buyer, order, shipment, 1).json()["id"]
    assert step(buyer, ret_id, "approve").status_code == 403
    outsider = MembershipFactory(organization=OrganizationFactory()).user
    assert client_for(outsider).get(f"/api/v1/returns/{ret_id}/").status_code == 404
    assert step(supplier, ret_id, "ship-back", {"carrier": "x", "tracking_number": "y"}).status_code == 403
    assert step(supplier, ret_id, "approve").status_code == 200
    assert buyer.get(f"/api/v1/returns/{ret_id}/events/").json()[-1]["action"] == "approve"


def test_the_return_window_closes_except_for_recalls(market, admin_user):
    order, shipment = received(market, 3)
    later = timezone.now() + timedelta(days=31)
    with time_machine.travel(later, tick=False):
        buyer = market.buyer_client()  # a token issued then
        late = request_return(buyer, order, shipment, 1)
        assert (late.status_code, late.json()["errors"][0]["code"]) == (409, "return_window_closed")
        not_recalled = request_return(buyer, order, shipment, 1, reason="recall")
        assert not_recalled.json()["errors"][0]["code"] == "not_recalled"
        lot = shipment.lines.get().lot_number
        recall = client_for(admin_user).post(
            "/api/v1/recalls/",
            {"drug": market.offer.drug_id, "lots": [lot], "level": "II", "reason": "溶出度不合格"},
            format="json",
        )
        assert recall.status_code == 201, recall.json()
        ok = request_return(buyer, order, shipment, 3, reason="recall")
        assert (ok.status_code, ok.json()["recall"]) == (201, recall.json()["id"])
    with override_settings(RETURN_WINDOW_DAYS=60), time_machine.travel(later, tick=False):
        assert (
            request_return(market.buyer_client(), order, shipment, 1).json()["errors"][0]["code"] == "quantity_exceeded"
        )


def test_the_supplier_s_receipt_must_add_up_and_may_reject_units(market):
    order, shipment = received(market, 4)
    buyer, supplier = market.buyer_client(), market.supplier_client()
    ret_id = request_return(buyer, order, shipment, 3).json()["id"]
    step(supplier, ret_id, "approve")
    step(buyer, ret_id, "ship-back", {"carrier": "顺丰速运", "tracking_number": "SF1"})
    ret = Return.objects.get(pk=ret_id)
    line = ret.lines.get()
    bad = step(
        supplier,
        ret_id,
        "receive",
        {"lines": [{"return_line_id": line.pk, "accepted_quantity": 1, "rejected_quantity": 1}]},
    )
    assert {e["code"] for e in bad.json()["errors"]} == {"quantities_do_not_add_up", "required"}
    done = receive_back(supplier, ret, rejected=1)
    assert (done.json()["status"], done.json()["gross"], done.json()["lines"][0]["claimed_quantity"]) == (
        ReturnStatus.CREDITED,
        "24.70",
        2,
    )
    # the rejected unit stays the buyer's: one more may be asked for
    assert request_return(buyer, order, shipment, 2).status_code == 201


def test_a_recall_opens_returns_for_every_affected_buyer_at_once(market, admin_user):
    order, shipment = received(market, 4, rejected=1)  # 3 accepted
    other_buyer = OrganizationFactory(kind="pharmacy")
    other_operator = MembershipFactory(organization=other_buyer, role="operator").user
    market_b = type(market)(market.supplier, other_buyer, market.supplier_operator, other_operator, market.offer)
    order_b, _shipment_b = received(market_b, 2)
    ret_id = request_return(market.buyer_client(), order, shipment, 1).json()["id"]  # 1 already claimed
    lot = shipment.lines.get().lot_number
    admin = client_for(admin_user)
    recall = admin.post(
        "/api/v1/recalls/",
        {"drug": market.offer.drug_id, "lots": [lot], "level": "I", "reason": "微生物限度超标"},
        format="json",
    ).json()
    assert market.buyer_client().post(f"/api/v1/recalls/{recall['id']}/open-returns/").status_code == 403
    opened = admin.post(f"/api/v1/recalls/{recall['id']}/open-returns/")
    assert opened.status_code == 201, opened.json()
    got = {(r["order"], r["reason"], r["recall"], r["lines"][0]["requested_quantity"]) for r in opened.json()}
    assert got == {(order.pk, "recall", recall["id"], 2), (order_b.pk, "recall", recall["id"], 2)}
    assert admin.post(f"/api/v1/recalls/{recall['id']}/open-returns/").json() == []  # nothing left to claim
    assert Return.objects.filter(order=order).exclude(pk=ret_id).get().buyer_id == market.buyer.pk


def test_the_trip_back_is_a_leg_of_each_returned_code_s_custody_chain(market):
    codes = [code(111), code(112), code(113)]
    order, shipment = received(market, 5, codes=codes)
    buyer, supplier = market.buyer_client(), market.supplier_client()
    ret_id = request_return(buyer, order, shipment, 2, codes=codes[:2]).json()["id"]
    assert step(supplier, ret_id, "approve").status_code == 200
    assert step(buyer, ret_id, "ship-back", {"carrier": "顺丰速运", "tracking_number": "SF7"}).status_code == 200

    # on its way back: a hop from the buyer to the supplier, in transit, still held by the buyer
    on_way = buyer.get(f"/api/v1/trace/{codes[0]}/").json()
    legs = [(h["from_organization"]["id"], h["to_organization"]["id"], h["outcome"]) for h in on_way["hops"]]
    assert legs == [
        (market.supplier.pk, market.buyer.pk, "accepted"),
        (market.buyer.pk, market.supplier.pk, "in_transit"),
    ]
    number = Return.objects.get(pk=ret_id).number
    assert [(h["shipment_id"], h["return_id"], h["return_number"]) for h in on_way["hops"]] == [
        (shipment.pk, None, None),
        (None, ret_id, number),
    ]
    assert (on_way["in_transit"], on_way["holder"]["id"]) == (True, market.buyer.pk)

    # the supplier accepts one unit and rejects the other: one hop accepted, one rejected (custody stays)
    ret = Return.objects.get(pk=ret_id)
    line = ret.lines.get()
    body = {
        "lines": [
            {
                "return_line_id": line.pk,
                "accepted_quantity": 1,
                "rejected_quantity": 1,
                "rejection_reason": "damaged_in_return",
                "rejected_codes": [codes[1]],
            }
        ]
    }
    assert step(supplier, ret_id, "receive", body).status_code == 200
    back = supplier.get(f"/api/v1/trace/{codes[0]}/").json()
    assert [(h["to_organization"]["id"], h["outcome"]) for h in back["hops"]] == [
        (market.buyer.pk, "accepted"),
        (market.supplier.pk, "accepted"),
    ]
    assert back["hops"][1]["settled_at"] is not None
    assert (back["in_transit"], back["holder"]["id"]) == (False, market.supplier.pk)
    kept = buyer.get(f"/api/v1/trace/{codes[1]}/").json()
    assert [h["outcome"] for h in kept["hops"]] == ["accepted", "rejected"]
    assert (kept["in_transit"], kept["holder"]["id"]) == (False, market.buyer.pk)
    # a code not sent back has no return leg
    assert len(buyer.get(f"/api/v1/trace/{codes[2]}/").json()["hops"]) == 1
    assert CustodyHop.objects.filter(return_request_id=ret_id).count() == 2


def test_a_return_leg_is_retained_like_a_shipment_s(market):
    codes = [code(121)]
    order, shipment = received(market, 2, codes=codes)
    buyer, supplier = market.buyer_client(), market.supplier_client()
    ret_id = request_return(buyer, order, shipment, 1, codes=codes).json()["id"]
    assert step(supplier, ret_id, "approve").status_code == 200
    assert step(buyer, ret_id, "ship-back", {"carrier": "顺丰速运", "tracking_number": "SF8"}).status_code == 200
    hop = CustodyHop.objects.get(return_request_id=ret_id)
    assert hop.order_id == order.pk
    with (
        pytest.raises(DatabaseError, match="records are retained until"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM orders_custodyhop WHERE id = %s", [hop.pk])
    assert CustodyHop.objects.filter(pk=hop.pk).exists()
    # exactly one of a shipment and a return carries a hop
    with pytest.raises(IntegrityError), transaction.atomic():
        CustodyHop.objects.filter(pk=hop.pk).update(shipment=shipment, shipment_line=shipment.lines.get())
