"""Buyer payments: allocation by reference then oldest due first, partial payments, credit, aging."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pharmex.actor import SYSTEM_ACTOR
from settlements.choices import PaymentSource
from settlements.errors import NotABuyer
from settlements.models import Payment, Receivable
from settlements.services import payment_record, payment_reverse
from tests.factories.settlements import received_order
from tests.settlements.conftest import assert_ledger_invariants

pytestmark = pytest.mark.django_db


def pay(parties, amount, reference=""):
    return payment_record(
        buyer_id=parties.buyer.pk,
        amount=Decimal(amount),
        value_date=timezone.localdate(),
        actor=SYSTEM_ACTOR,
        reference=reference,
    )


def state(order):
    r = Receivable.objects.get(order=order)
    return r.allocated, r.paid_at is not None


def test_orders_named_in_the_reference_are_paid_first_then_oldest_due(parties):
    now = timezone.now()
    oldest = received_order(
        buyer=parties.buyer, supplier=parties.supplier, gross="100.00", received_at=now - timedelta(days=20)
    )
    middle = received_order(
        buyer=parties.buyer, supplier=parties.supplier, gross="100.00", received_at=now - timedelta(days=10)
    )
    named = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="100.00", received_at=now)

    payment = pay(parties, "150.00", reference=f"货款{named.number}")

    assert [state(o) for o in (named, oldest, middle)] == [
        (Decimal("100.00"), True),
        (Decimal("50.00"), False),
        (Decimal("0.00"), False),
    ]
    assert payment.unallocated == Decimal("0.00")
    assert_ledger_invariants()


def test_an_overpayment_is_credit_that_pays_the_next_order(parties):
    first = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="80.00")
    payment = pay(parties, "100.00")
    assert (state(first), Payment.objects.get(pk=payment.pk).unallocated) == (
        (Decimal("80.00"), True),
        Decimal("20.00"),
    )
    second = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="30.00")
    assert state(second) == (Decimal("20.00"), False)
    assert Payment.objects.get(pk=payment.pk).unallocated == Decimal("0.00")
    assert_ledger_invariants()


def test_only_buyers_pay(parties):
    with pytest.raises(NotABuyer):
        payment_record(
            buyer_id=parties.supplier.pk + 10_000,
            amount=Decimal("1.00"),
            value_date=timezone.localdate(),
            actor=SYSTEM_ACTOR,
        )


def test_reversing_a_payment_unpays_its_orders(parties):
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="80.00")
    payment = pay(parties, "80.00")
    payment_reverse(payment=payment, actor=SYSTEM_ACTOR, reason="bounced")
    assert state(order) == (Decimal("0.00"), False)
    assert_ledger_invariants()


def test_finance_admin_records_a_payment_through_the_api(parties, as_client, finance_admin_user):
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="61.75")
    body = {
        "buyer_id": parties.buyer.pk,
        "amount": "61.75",
        "value_date": "2026-11-30",
        "reference": f"{order.number} 货款",
    }
    response = as_client(finance_admin_user).post(
        "/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["amount"], data["unallocated"], data["source"], data["allocations"]) == (
        "61.75",
        "0.00",
        PaymentSource.MANUAL,
        [{"order": order.pk, "order_number": order.number, "amount": "61.75"}],
    )
    replay = as_client(finance_admin_user).post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert (replay.status_code, replay["Idempotent-Replayed"], Payment.objects.count()) == (201, "true", 1)
    # amounts must be strings with at most two places
    bad = as_client(finance_admin_user).post("/api/v1/payments/", {**body, "amount": 61.75}, format="json")
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "amount")


def test_a_list_of_payments_leaves_out_the_orders_each_paid_and_the_detail_lists_them(
    parties, as_client, finance_admin_user
):
    orders = [received_order(buyer=parties.buyer, supplier=parties.supplier, gross="10.00") for _ in range(3)]
    payment = pay(parties, "30.00")
    client = as_client(finance_admin_user)

    with CaptureQueriesContext(connection) as reads:
        page = client.get("/api/v1/payments/").json()["results"]
    detail = client.get(f"/api/v1/payments/{payment.pk}/").json()

    assert [(row["id"], row["amount"], row["unallocated"]) for row in page] == [(payment.pk, "30.00", "0.00")]
    assert "allocations" not in page[0]
    assert not [q["sql"] for q in reads.captured_queries if "settlements_paymentallocation" in q["sql"]]
    assert sorted(a["order"] for a in detail.pop("allocations")) == sorted(order.pk for order in orders)
    assert detail == page[0]


@time_machine.travel("2026-11-29 10:00:00+08:00", tick=False)
def test_receivables_aging_buckets_by_days_overdue(parties, as_client, finance_admin_user):
    now = timezone.now()
    # credit terms 30 days: received 29 days ago → current; 31 → 1 day overdue; 65 → 35; 100 → 70; 130 → 100
    for days, gross in ((29, "1.00"), (31, "2.00"), (65, "4.00"), (100, "8.00"), (130, "16.00")):
        received_order(
            buyer=parties.buyer, supplier=parties.supplier, gross=gross, received_at=now - timedelta(days=days)
        )
    pay(parties, "16.50")  # pays the oldest (16.00) and 0.50 of the next oldest (8.00)
    response = as_client(finance_admin_user).get("/api/v1/reports/receivables-aging/")
    assert response.status_code == 200
    row = {
        "buyer_id": parties.buyer.pk,
        "buyer_name": "海口康宁大药房",
        "currency": "CNY",
        "current": "1.00",
        "days_1_30": "2.00",
        "days_31_60": "4.00",
        "days_61_90": "7.50",
        "days_over_90": "0.00",
        "total": "14.50",
        "unapplied_credit": "0.00",
    }
    assert response.json() == {
        "as_of": "2026-11-29",
        "currency": "CNY",
        "buyers": [row],
        "totals": {k: v for k, v in row.items() if k not in ("buyer_id", "buyer_name", "currency")},
        # no order here is settled by a medical insurance fund (医保基金直接结算)
        "funds": [],
        "fund_totals": dict.fromkeys(("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90"), "0.00")
        | {"total": "0.00", "unapplied_credit": "0.00"},
    }
    # the buyer sees its own row; the supplier sees nothing
    assert parties.buyer_client().get("/api/v1/reports/receivables-aging/").json()["buyers"] == [row]
    assert parties.supplier_client().get("/api/v1/reports/receivables-aging/").json()["buyers"] == []


@pytest.mark.django_db
def test_reversing_a_payment_lets_another_payments_credit_top_up_its_share_of_the_same_order(parties):
    from settlements.models import PaymentAllocation

    # given: two credits of one buyer that together pay one order
    first = payment_record(
        buyer_id=parties.buyer.pk, amount=Decimal("0.01"), value_date=timezone.localdate(), actor=SYSTEM_ACTOR
    )
    second = payment_record(
        buyer_id=parties.buyer.pk, amount=Decimal("0.02"), value_date=timezone.localdate(), actor=SYSTEM_ACTOR
    )
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="0.02", offer=parties.offer)
    receivable = Receivable.objects.get(order=order)
    assert receivable.allocated == Decimal("0.02")

    # when: the first payment is reversed, the second one's remaining credit pays the released fen
    payment_reverse(payment=first, actor=SYSTEM_ACTOR, reason="recorded twice")

    # then: one allocation row per payment and order, amounts add up, nothing left unpaid or unallocated
    receivable.refresh_from_db()
    assert receivable.allocated == Decimal("0.02") and receivable.paid_at is not None
    assert list(PaymentAllocation.objects.filter(receivable=receivable).values_list("payment_id", "amount")) == [
        (second.pk, Decimal("0.02"))
    ]
    assert Payment.objects.get(pk=second.pk).unallocated == Decimal("0.00")


def test_finance_admin_reverses_a_payment_through_the_api(parties, as_client, finance_admin_user, admin_user):
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="80.00")
    payment = pay(parties, "100.00")
    url = f"/api/v1/payments/{payment.pk}/reverse/"
    finance = as_client(finance_admin_user)

    assert as_client(admin_user).post(url, {"reason": "退票"}, format="json").status_code == 403  # finance only
    assert parties.buyer_client().post(url, {"reason": "退票"}, format="json").status_code == 403
    missing = finance.post(url, {}, format="json")
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (400, "reason")
    assert Payment.objects.get(pk=payment.pk).reversed_at is None

    reversed_ = finance.post(url, {"reason": "退票"}, format="json", HTTP_IDEMPOTENCY_KEY="reverse-1")
    assert reversed_.status_code == 200, reversed_.json()
    assert reversed_.json()["reversed_at"] is not None and reversed_.json()["unallocated"] == "0.00"
    assert state(order) == (Decimal("0.00"), False)
    replay = finance.post(url, {"reason": "退票"}, format="json", HTTP_IDEMPOTENCY_KEY="reverse-1")
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (200, "true")
    again = finance.post(url, {"reason": "再次"}, format="json")  # already reversed: answered as it is
    assert (again.status_code, again.json()["reversed_at"]) == (200, reversed_.json()["reversed_at"])
    assert finance.post("/api/v1/payments/987654321/reverse/", {"reason": "x"}, format="json").status_code == 404
    assert_ledger_invariants()
