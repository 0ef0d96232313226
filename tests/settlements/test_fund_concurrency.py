"""Fund payments (医保基金直接结算) allocating at once, on real concurrent connections, beside the hospital's own
payments: nothing is allocated twice, no part is over-paid, a buyer's money never pays a fund's part; and refunds
of a fund's credit at once never pay back more than the credit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import OrganizationKind
from accounts.models import InsuranceFund
from pharmex.actor import SYSTEM_ACTOR
from settlements.errors import RefundExceedsCredit
from settlements.models import FundPayment, Payment, Receivable, RefundSource
from settlements.services import payment_record
from settlements.services.credits import refund_record
from settlements.services.funds import fund_payment_record
from tests.concurrency import run_concurrently
from tests.factories import OrganizationFactory
from tests.factories.settlements import fund_paid_order, received_order
from tests.settlements.conftest import assert_ledger_invariants


@pytest.mark.django_db(transaction=True)
def test_concurrent_fund_and_hospital_payments_never_over_allocate():
    supplier = OrganizationFactory(kind=OrganizationKind.MANUFACTURER)
    hospital = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public")
    fund = InsuranceFund.objects.create(name="海南省基本医疗保险基金", province_code="460000")
    fund_orders = [fund_paid_order(buyer=hospital, supplier=supplier, fund=fund, gross="100.00") for _ in range(3)]
    own_orders = [received_order(buyer=hospital, supplier=supplier, gross="75.00") for _ in range(2)]
    today = timezone.localdate()

    def pay(index: int) -> None:
        if index < 6:  # six fund payments of 50.00: exactly the fund's 300.00
            fund_payment_record(fund_id=fund.pk, amount=Decimal("50.00"), value_date=today, actor=SYSTEM_ACTOR)
        else:  # two hospital payments of 100.00: 150.00 of its own dues, 50.00 left as its credit
            payment_record(buyer_id=hospital.pk, amount=Decimal("100.00"), value_date=today, actor=SYSTEM_ACTOR)

    assert run_concurrently(8, pay) == [None] * 8  # nothing raised
    for order in fund_orders:
        receivable = Receivable.objects.get(order=order)
        # the fund sets no terms of its own: FUND_SETTLEMENT_DAYS (60) from receipt
        assert receivable.fund_due_date == timezone.localdate(order.received_at) + timedelta(days=60)
        assert (receivable.fund_allocated, receivable.allocated) == (Decimal("100.00"), Decimal("0.00"))
        assert receivable.paid_at is not None
    for order in own_orders:
        receivable = Receivable.objects.get(order=order)
        assert (receivable.allocated, receivable.fund_allocated) == (Decimal("75.00"), Decimal("0.00"))
    assert [p.unallocated for p in FundPayment.objects.all()] == [Decimal("0.00")] * 6
    assert sum(p.unallocated for p in Payment.objects.all()) == Decimal("50.00")
    assert_ledger_invariants()


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_of_a_fund_s_credit_never_pay_back_more_than_it():
    supplier = OrganizationFactory(kind=OrganizationKind.MANUFACTURER)
    hospital = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public")
    fund = InsuranceFund.objects.create(name="海南省基本医疗保险基金", province_code="460000")
    fund_paid_order(buyer=hospital, supplier=supplier, fund=fund, gross="100.00")
    today = timezone.localdate()
    for amount in ("120.00", "30.00"):  # 100.00 pays the order: 50.00 of credit, 20.00 + 30.00
        fund_payment_record(fund_id=fund.pk, amount=Decimal(amount), value_date=today, actor=SYSTEM_ACTOR)

    def refund(_index: int):
        return refund_record(fund_id=fund.pk, amount=Decimal("30.00"), paid_on=today, actor=SYSTEM_ACTOR)

    outcomes = run_concurrently(4, refund)
    done = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, RefundExceedsCredit)]
    assert (len(done), len(refused)) == (1, 3)  # 50.00 of credit pays back one refund of 30.00, not two
    assert sorted((p.unallocated, p.refunded) for p in FundPayment.objects.all()) == [
        (Decimal("0.00"), Decimal("20.00")),
        (Decimal("20.00"), Decimal("10.00")),
    ]
    assert RefundSource.objects.filter(refund=done[0]).count() == 2  # the oldest credit first, then the next
    assert_ledger_invariants()
