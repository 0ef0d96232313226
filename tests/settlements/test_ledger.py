"""The ledger: receipt postings, idempotency, immutability and balance enforced by the database (LED-1..9)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from accounts.actor import actor_for_user
from accounts.choices import MemberRole
from orders.models import Order
from pharmex.actor import SYSTEM_ACTOR
from settlements.choices import AccountKind, EntryKind
from settlements.errors import AlreadyReversed, ReceivableHasPayments, UnbalancedEntry
from settlements.models import JournalEntry, LedgerAccount, Posting, Receivable, SettlementProfile
from settlements.services import (
    Leg,
    entry_post,
    entry_reverse,
    ledger_account,
    payment_record,
    platform_account,
    receipt_post,
    receipt_reverse,
)
from tests.conftest import client_for
from tests.factories import MembershipFactory
from tests.factories.settlements import received_order
from tests.orders.conftest import place
from tests.settlements.conftest import assert_ledger_invariants

pytestmark = pytest.mark.django_db


def postings_of(entry):
    return sorted(
        (p.account.kind, p.account.organization_id, p.amount) for p in entry.postings.select_related("account")
    )


def test_receipt_posts_gross_to_receivable_and_payable_and_commission_to_revenue(parties):
    # given: the default 3 % commission
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="1234.50")
    # then
    receivable = Receivable.objects.get(order=order)
    assert (receivable.gross, receivable.commission, receivable.net) == (
        Decimal("1234.50"),
        Decimal("37.04"),
        Decimal("1197.46"),
    )  # 37.035 rounds half up
    assert receivable.due_date == timezone.localdate(order.received_at) + timedelta(days=30)
    assert postings_of(receivable.entry) == sorted(
        [
            (AccountKind.BUYER_RECEIVABLE, parties.buyer.pk, Decimal("1234.50")),
            (AccountKind.SUPPLIER_PAYABLE, parties.supplier.pk, Decimal("-1234.50")),
            (AccountKind.SUPPLIER_PAYABLE, parties.supplier.pk, Decimal("37.04")),
            (AccountKind.COMMISSION_REVENUE, None, Decimal("-37.04")),
        ]
    )
    assert_ledger_invariants()


def test_supplier_rate_and_buyer_credit_terms_are_used(parties):
    SettlementProfile.objects.create(organization=parties.supplier, commission_rate=Decimal("0.0150"))
    parties.buyer.credit_terms_days = 60
    parties.buyer.save()
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="200.00")
    receivable = Receivable.objects.get(order=order)
    assert (receivable.commission, receivable.commission_rate) == (Decimal("3.00"), Decimal("0.0150"))
    assert receivable.due_date == timezone.localdate(order.received_at) + timedelta(days=60)


def test_receipt_post_is_idempotent(parties):
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="10.00")
    first = Receivable.objects.get(order=order)
    assert receipt_post(order_id=order.pk) == first
    assert JournalEntry.objects.filter(source_type="order", source_id=str(order.pk)).count() == 1
    # and the database refuses a second receipt entry for the same order outright
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.create(
            kind=EntryKind.RECEIPT, source_type="order", source_id=str(order.pk), created_by="x"
        )


def test_postings_and_entries_cannot_be_updated_or_deleted(parties):
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="10.00")
    entry = Receivable.objects.get(order=order).entry
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Posting.objects.filter(entry=entry).update(amount=Decimal("1.00"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Posting.objects.filter(entry=entry).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        JournalEntry.objects.filter(pk=entry.pk).update(memo="edited")
    assert sorted(entry.postings.values_list("amount", flat=True)) == sorted(
        [Decimal("10.00"), Decimal("-10.00"), Decimal("0.30"), Decimal("-0.30")]
    )


def test_the_database_refuses_an_unbalanced_entry_at_commit(parties):
    bank = platform_account(AccountKind.PLATFORM_BANK)
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        entry = JournalEntry.objects.create(kind=EntryKind.PAYMENT, source_type="test", source_id="1", created_by="x")
        Posting.objects.create(entry=entry, account=bank, amount=Decimal("5.00"))
        with connection.cursor() as cursor:  # what COMMIT does with the deferred trigger
            cursor.execute("SET CONSTRAINTS settlements_posting_balanced IMMEDIATE")
    assert not JournalEntry.objects.filter(source_type="test").exists()


def test_entry_post_refuses_unbalanced_legs_in_code(parties):
    bank = platform_account(AccountKind.PLATFORM_BANK)
    revenue = platform_account(AccountKind.COMMISSION_REVENUE)
    with pytest.raises(UnbalancedEntry):
        entry_post(
            kind=EntryKind.PAYMENT,
            source_type="test",
            source_id="2",
            created_by="x",
            legs=[Leg(bank, Decimal("1.00")), Leg(revenue, Decimal("-0.99"))],
        )
    assert not JournalEntry.objects.filter(source_type="test").exists()


def test_corrections_are_reversals_once(parties, admin_user):
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="50.00")
    receivable = receipt_reverse(order_id=order.pk, actor=actor_for_user(admin_user), reason="posted in error")
    reversal = JournalEntry.objects.get(reverses=receivable.entry)
    assert sorted(reversal.postings.values_list("amount", flat=True)) == sorted(
        -p for p in receivable.entry.postings.values_list("amount", flat=True)
    )
    with pytest.raises(AlreadyReversed):
        entry_reverse(entry=receivable.entry, created_by="x")
    receivable_account = ledger_account(kind=AccountKind.BUYER_RECEIVABLE, organization_id=parties.buyer.pk)
    assert sum(receivable_account.postings.values_list("amount", flat=True)) == Decimal("0.00")
    assert_ledger_invariants()


def test_a_paid_receipt_cannot_be_reversed(parties, admin_user):
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="50.00")
    payment_record(
        buyer_id=parties.buyer.pk, amount=Decimal("10.00"), value_date=timezone.localdate(), actor=SYSTEM_ACTOR
    )
    with pytest.raises(ReceivableHasPayments):
        receipt_reverse(order_id=order.pk, actor=actor_for_user(admin_user), reason="x")


def test_a_fully_rejected_order_posts_nothing(parties):
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="0.00")
    assert receipt_post(order_id=order.pk) is None
    assert not JournalEntry.objects.exists()


def test_receiving_through_the_orders_api_writes_the_receipt_entry(parties):
    # given: a real order placed, confirmed, shipped and received over HTTP
    buyer_operator = MembershipFactory(organization=parties.buyer, role=MemberRole.OPERATOR).user
    supplier_operator = MembershipFactory(organization=parties.supplier, role=MemberRole.OPERATOR).user
    buyer, supplier = client_for(buyer_operator), client_for(supplier_operator)
    placed = place(buyer, (parties.offer.pk, 3))
    assert placed.status_code == 201, placed.json()
    order = Order.objects.get(pk=placed.json()["id"])
    assert supplier.post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json").status_code == 200
    line = order.lines.get()
    shipped = supplier.post(
        f"/api/v1/orders/{order.pk}/ship/",
        {
            "carrier": "顺丰速运",
            "tracking_number": "SF1234567890",
            "invoice_numbers": ["24460000000012345678"],
            "invoice_amount": "300.00",
            "lines": [
                {
                    "order_line_id": line.pk,
                    "lot_number": "L2026A",
                    "quantity": 3,
                    "expiry_date": (timezone.localdate() + timedelta(days=400)).isoformat(),
                    "trace_codes": [],
                }
            ],
        },
        format="json",
    )
    assert shipped.status_code == 200, shipped.json()
    assert not JournalEntry.objects.exists()
    # when
    received = buyer.post(
        f"/api/v1/orders/{order.pk}/receive/",
        {
            "lines": [
                {
                    "order_line_id": line.pk,
                    "accepted_quantity": 2,
                    "rejected_quantity": 1,
                    "rejection_reason": "damaged",
                }
            ]
        },
        format="json",
    )
    # then: the accepted value (2 × 100.00) is owed, commission 3 %
    assert received.status_code == 200, received.json()
    entry = JournalEntry.objects.get(kind=EntryKind.RECEIPT, source_id=str(order.pk))
    assert postings_of(entry) == sorted(
        [
            (AccountKind.BUYER_RECEIVABLE, parties.buyer.pk, Decimal("200.00")),
            (AccountKind.SUPPLIER_PAYABLE, parties.supplier.pk, Decimal("-200.00")),
            (AccountKind.SUPPLIER_PAYABLE, parties.supplier.pk, Decimal("6.00")),
            (AccountKind.COMMISSION_REVENUE, None, Decimal("-6.00")),
        ]
    )
    # and the buyer reads it from the ledger API, its own leg only
    response = parties.buyer_client().get("/api/v1/ledger/entries/")
    assert response.status_code == 200
    [only] = response.json()["results"]
    assert (only["kind"], [(p["account_kind"], p["amount"]) for p in only["postings"]]) == (
        "receipt",
        [("buyer_receivable", "200.00")],
    )
    accounts = parties.supplier_client().get("/api/v1/ledger/accounts/").json()["results"]
    assert [(a["kind"], a["balance"]) for a in accounts] == [("supplier_payable", "-194.00")]
    assert LedgerAccount.objects.count() == 3
