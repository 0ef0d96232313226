"""What is still owed and what credit is still unapplied are read through partial indexes of the open rows (issue 19):
allocating a payment, the aging reports (and with them the admin dashboard), the credit reads and refunds cost what
is open today, a few weeks of orders, not every receivable and payment a payer had over the years."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.actor import actor_for_user
from accounts.choices import OrganizationKind
from accounts.models import InsuranceFund
from pharmex.actor import SYSTEM_ACTOR
from settlements import selectors
from settlements.credit_selectors import credit_holders
from settlements.models import Receivable
from settlements.services import payment_record
from settlements.services.credits import buyer_credit, refund_record
from settlements.services.funds import fund_apply_credit, fund_payment_record
from settlements.services.payments import payment_apply_credit
from tests import plans
from tests.factories import OrganizationFactory
from tests.factories.settlements import fund_paid_order, received_order
from tests.settlements.conftest import assert_ledger_invariants

pytestmark = pytest.mark.django_db

# Each table's index of its open rows, and the SQL that marks a read of open rows (rather than one by key).
OPEN_READS = {
    "settlements_receivable": ('"paid_at" IS NULL', {"receivable_open_buyer_due", "receivable_open_fund_due"}),
    "settlements_payment": ('"unallocated" > ', {"payment_buyer_credit"}),
    "settlements_fundpayment": ('"unallocated" > ', {"fund_payment_fund_credit"}),
}


def open_row_reads(call) -> list[tuple[str, str]]:
    """Run `call`; for each of its reads of open receivables or live credit: (table, how the plan reads it)."""
    with CaptureQueriesContext(connection) as queries:
        call()
    found = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        for table, how in plans.table_reads(sql):
            marker, _indexes = OPEN_READS.get(table, (None, None))
            if marker and marker in sql:
                found.append((table, how))
    return found


@pytest.fixture
def book(parties, finance_admin_user):
    """Years of paid orders behind a few open ones: a hospital's own dues and a fund's, and credit of both."""
    hospital = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public")
    fund = InsuranceFund.objects.create(name="海南省基本医疗保险基金", province_code="460000")
    today = timezone.localdate()
    for _ in range(3):
        received_order(buyer=parties.buyer, supplier=parties.supplier, gross="100.00")
        fund_paid_order(buyer=hospital, supplier=parties.supplier, fund=fund, gross="100.00")
    payment_record(buyer_id=parties.buyer.pk, amount=Decimal("200.00"), value_date=today, actor=SYSTEM_ACTOR)
    fund_payment_record(fund_id=fund.pk, amount=Decimal("200.00"), value_date=today, actor=SYSTEM_ACTOR)
    # the third order of each is still open; then credit beyond what is owed
    payment_record(buyer_id=parties.buyer.pk, amount=Decimal("130.00"), value_date=today, actor=SYSTEM_ACTOR)
    fund_payment_record(fund_id=fund.pk, amount=Decimal("130.00"), value_date=today, actor=SYSTEM_ACTOR)
    received_order(buyer=parties.buyer, supplier=parties.supplier, gross="80.00")
    fund_paid_order(buyer=hospital, supplier=parties.supplier, fund=fund, gross="80.00")
    return parties.buyer, fund, actor_for_user(finance_admin_user)


def test_every_read_of_open_dues_and_live_credit_is_through_the_index_of_open_rows(parties, book):
    buyer, fund, staff = book
    buyer_actor = actor_for_user(parties.buyer_finance)
    today = timezone.localdate()
    calls = {
        "staff aging": lambda: selectors.receivables_aging(actor=staff),
        "a buyer's own aging": lambda: selectors.receivables_aging(actor=buyer_actor),
        "funds' aging": lambda: selectors.fund_receivables_aging(actor=staff),
        "credit holders": credit_holders,
        "a buyer's credit": lambda: buyer_credit(buyer_id=buyer.pk),
        "a buyer's credit applied": lambda: payment_apply_credit(buyer_id=buyer.pk),
        "a fund's credit applied": lambda: fund_apply_credit(fund_id=fund.pk),
        "a buyer's payment": lambda: payment_record(
            buyer_id=buyer.pk, amount=Decimal("60.00"), value_date=today, actor=SYSTEM_ACTOR
        ),
        "a fund's payment": lambda: fund_payment_record(
            fund_id=fund.pk, amount=Decimal("60.00"), value_date=today, actor=SYSTEM_ACTOR
        ),
        # the two payments paid the last open orders and left 10.00 of credit each
        "a buyer's refund": lambda: refund_record(
            buyer_id=buyer.pk, amount=Decimal("1.00"), paid_on=today, actor=staff
        ),
        "a fund's refund": lambda: refund_record(fund_id=fund.pk, amount=Decimal("1.00"), paid_on=today, actor=staff),
    }
    for name, call in calls.items():
        reads = open_row_reads(call)
        assert reads, name  # the call reads open rows at all: the marker still matches its SQL
        for table, how in reads:
            assert set(how.split("+")) <= OPEN_READS[table][1], (name, table, how)
    assert_ledger_invariants()


def test_the_open_indexes_hold_exactly_what_is_open(parties, book):
    # The reads are only as right as the indexes' conditions: a receivable paid or reversed, or a payment used up,
    # leaves them, while the aging report still adds up what is owed.
    buyer, fund, staff = book
    open_receivables = Receivable.objects.filter(paid_at__isnull=True, reversed_at__isnull=True)
    assert open_receivables.filter(buyer=buyer).count() == 1  # the 80.00 order; the 30.00 credit paid 30 of it
    assert open_receivables.filter(fund=fund).count() == 1
    (row,) = selectors.receivables_aging(actor=staff)
    assert (row["buyer_id"], row["total"], row["unapplied_credit"]) == (buyer.pk, Decimal("50.00"), Decimal("0.00"))
    (fund_row,) = selectors.fund_receivables_aging(actor=staff)
    assert (fund_row["total"], fund_row["unapplied_credit"]) == (Decimal("50.00"), Decimal("0.00"))
    assert buyer_credit(buyer_id=buyer.pk) == Decimal("0.00")
    payment_record(buyer_id=buyer.pk, amount=Decimal("60.00"), value_date=timezone.localdate(), actor=SYSTEM_ACTOR)
    assert open_receivables.filter(buyer=buyer).count() == 0
    assert buyer_credit(buyer_id=buyer.pk) == Decimal("10.00")
    assert credit_holders() == [("buyer", buyer.pk, buyer.legal_name, Decimal("10.00"))]
