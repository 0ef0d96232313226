"""Direct settlement by the medical insurance fund (医保基金直接结算, SPEC §5a, §6): the whole path over HTTP, from the
集采 contract naming the fund to the fund's payment, its bank line, a credit note and the aging report."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone

from accounts.choices import MemberRole
from accounts.models import InsuranceFund
from orders.models import Order, Return
from pharmex.actor import SYSTEM_ACTOR
from pharmex.choices import StaffRole
from pharmex.models import AuditEvent
from settlements.choices import AccountKind, BankLineStatus, PaymentSource
from settlements.models import (
    BankLine,
    CreditNote,
    FundPayment,
    LedgerAccount,
    Payment,
    Posting,
    Receivable,
    Refund,
    StatementLine,
)
from settlements.references import fund_payment_code
from settlements.services import statement_generate
from settlements.tasks import bank_statement_import_task
from tests.conftest import client_for
from tests.factories import DrugFactory, OfferFactory, UserFactory
from tests.orders.conftest import place
from tests.orders.returns import receive_back, step
from tests.orders.shipping import receipt, receive, ship, shipment_body
from tests.procurement.conftest import days
from tests.settlements.conftest import assert_ledger_invariants
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db

CONTRACTS = "/api/v1/procurement-contracts/"
FUND_PAYMENTS = "/api/v1/fund-payments/"
AGING = "/api/v1/reports/receivables-aging/"
REFUNDS = "/api/v1/refunds/"


def admin_client():
    return client_for(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True))


def finance_client():
    return client_for(UserFactory(staff_role=StaffRole.FINANCE_ADMIN, is_staff=True))


@pytest.fixture
def fund(db) -> InsuranceFund:
    return InsuranceFund.objects.create(
        name="海南省基本医疗保险基金",
        province_code="460000",
        bank_account_number="4600001234567890",
        settlement_days=90,
    )


def load(public, fund: InsuranceFund | None, price: str = "8.33") -> dict:
    body = {
        "programme": "第九批国家组织药品集中采购",
        "drug_id": public.drug.pk,
        "supplier_id": public.mah.pk,
        "agreed_price": price,
        "valid_from": str(days(-1)),
        "valid_until": str(days(364)),
        "volumes": [{"institution_id": public.hospital.pk, "annual_volume": 1000}],
    }
    if fund is not None:
        body["settlement_fund_id"] = fund.pk
    response = admin_client().post(CONTRACTS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def received(public, *lines: tuple[object, int], rejected: dict | None = None) -> Order:
    """The hospital orders `lines` from the MAH; confirmed, shipped in full, received (`rejected`: {offer: units})."""
    hospital, supplier = public.client(public.hospital), public.client(public.mah)
    response = place(hospital, *((offer.pk, quantity) for offer, quantity in lines))
    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    assert supplier.post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json").status_code == 200
    assert ship(supplier, order, shipment_body(order)).status_code == 200
    shipment = order.shipments.get()
    refused = {
        line.pk: (rejected[line.order_line.offer], [])
        for line in shipment.lines.select_related("order_line__offer")
        if line.order_line.offer in (rejected or {})
    }
    response = receive(hospital, shipment, receipt(shipment, rejected=refused))
    assert response.status_code == 200, response.json()
    return Order.objects.get(pk=order.pk)


def balance(kind: str, *, organization=None, fund=None) -> Decimal:
    postings = Posting.objects.filter(account__kind=kind, account__organization=organization, account__fund=fund)
    return postings.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def other_offer(public):
    """A drug of the same MAH under no contract: the hospital pays for it itself."""
    drug = DrugFactory(mah_organization=public.mah, generic_name="二甲双胍缓释片")
    return OfferFactory(supplier=public.mah, drug=drug, unit_price=Decimal("12.35"))


def test_an_order_under_a_direct_settlement_contract_is_owed_by_the_fund_not_the_hospital(public, fund):
    contract = load(public, fund)
    assert contract["settlement_fund"] == fund.pk
    order = received(public, (public.mah_offer, 6))

    assert order.lines.get().payer_fund_id == fund.pk  # recorded at placement, like the agreed price
    shown = public.client(public.hospital).get(f"/api/v1/orders/{order.pk}/").json()
    assert shown["lines"][0]["payer_fund"] == fund.pk
    receivable = Receivable.objects.get(order=order)
    assert (receivable.gross, receivable.fund_gross, receivable.buyer_gross) == (
        Decimal("49.98"),
        Decimal("49.98"),
        Decimal("0.00"),
    )
    assert receivable.fund_due_date == timezone.localdate() + timedelta(days=90)  # the fund's own terms
    assert balance(AccountKind.FUND_RECEIVABLE, fund=fund) == Decimal("49.98")
    assert balance(AccountKind.BUYER_RECEIVABLE, organization=public.hospital) == Decimal("0.00")
    assert balance(AccountKind.SUPPLIER_PAYABLE, organization=public.mah) == Decimal("-48.48")  # less 3% commission
    # the parties learn who owes what; the fund's record is in the audit log
    events = OutboxEvent.objects.filter(event_type="order.fund_receivable_posted", object_id=str(order.pk))
    assert sorted(events.values_list("organization_id", flat=True)) == sorted([public.hospital.pk, public.mah.pk])
    assert events.first().payload["fund_gross"] == "49.98"
    assert AuditEvent.objects.filter(action="ledger.fund_receivable_posted", object_id=str(order.pk)).exists()
    assert_ledger_invariants()


def test_a_mixed_order_is_split_exactly_between_the_fund_and_the_hospital(public, fund):
    load(public, fund)
    own = other_offer(public)
    # 3 × 8.33 under the contract (1 rejected at receipt) and 7 × 12.35 the hospital pays itself
    order = received(public, (public.mah_offer, 3), (own, 7), rejected={public.mah_offer: 1})

    lines = {line.offer_id: line for line in order.lines.all()}
    assert (lines[public.mah_offer.pk].payer_fund_id, lines[own.pk].payer_fund_id) == (fund.pk, None)
    receivable = Receivable.objects.get(order=order)
    assert order.accepted_gross == Decimal("103.11")
    assert (receivable.fund_gross, receivable.buyer_gross) == (Decimal("16.66"), Decimal("86.45"))
    assert receivable.fund_gross + receivable.buyer_gross == order.accepted_gross
    assert isinstance(receivable.fund_gross, Decimal)
    # each payer's part on its own ledger account; the receipt entry balances
    assert balance(AccountKind.FUND_RECEIVABLE, fund=fund) == Decimal("16.66")
    assert balance(AccountKind.BUYER_RECEIVABLE, organization=public.hospital) == Decimal("86.45")
    assert sum(p.amount for p in Posting.objects.filter(entry=receivable.entry)) == Decimal("0.00")
    assert_ledger_invariants()


def test_a_contract_without_a_fund_is_settled_by_the_hospital_as_before(public, fund):
    load(public, None)
    order = received(public, (public.mah_offer, 6))
    assert order.lines.get().payer_fund_id is None
    receivable = Receivable.objects.get(order=order)
    assert (receivable.fund_id, receivable.fund_gross, receivable.fund_due_date) == (None, Decimal("0.00"), None)
    assert balance(AccountKind.BUYER_RECEIVABLE, organization=public.hospital) == Decimal("49.98")
    assert not LedgerAccount.objects.filter(kind=AccountKind.FUND_RECEIVABLE).exists()
    assert not OutboxEvent.objects.filter(event_type="order.fund_receivable_posted").exists()
    assert_ledger_invariants()


def test_the_order_is_paid_only_when_the_hospital_and_the_fund_paid_their_parts(public, fund):
    load(public, fund)
    own = other_offer(public)
    order = received(public, (public.mah_offer, 3), (own, 7), rejected={public.mah_offer: 1})
    finance = finance_client()

    # the hospital pays more than its part: the rest stays its credit, it never pays the fund's part
    paid = finance.post(
        "/api/v1/payments/",
        {"buyer_id": public.hospital.pk, "amount": "100.00", "value_date": str(days(0)), "reference": order.number},
        format="json",
    )
    assert paid.status_code == 201, paid.json()
    assert paid.json()["unallocated"] == "13.55"
    receivable = Receivable.objects.get(order=order)
    assert (receivable.allocated, receivable.fund_allocated, receivable.paid_at) == (
        Decimal("86.45"),
        Decimal("0.00"),
        None,
    )

    # the fund pays in two parts: the order is paid with the second
    first = finance.post(
        FUND_PAYMENTS,
        {"fund_id": fund.pk, "amount": "10.00", "value_date": str(days(0)), "reference": f"医保 {order.number}"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="fund-1",
    )
    assert first.status_code == 201, first.json()
    assert first.json()["allocations"] == [{"order": order.pk, "order_number": order.number, "amount": "10.00"}]
    assert Receivable.objects.get(order=order).paid_at is None
    second = finance.post(
        FUND_PAYMENTS,
        {"fund_id": fund.pk, "amount": "20.00", "value_date": str(days(0))},
        format="json",
        HTTP_IDEMPOTENCY_KEY="fund-2",
    )
    assert second.status_code == 201, second.json()
    assert (second.json()["allocations"][0]["amount"], second.json()["unallocated"]) == ("6.66", "13.34")
    receivable = Receivable.objects.get(order=order)
    assert receivable.fund_allocated == receivable.fund_gross and receivable.paid_at is not None
    assert balance(AccountKind.FUND_RECEIVABLE, fund=fund) == Decimal("-13.34")  # the fund's credit
    assert OutboxEvent.objects.filter(event_type="order.fund_paid", object_id=str(order.pk)).count() == 4
    # a list leaves out the orders each paid; the detail lists them, as the answer to recording it did
    page = finance.get(FUND_PAYMENTS).json()["results"]
    assert [(row["id"], "allocations" in row) for row in page] == [
        (second.json()["id"], False),
        (first.json()["id"], False),
    ]
    assert finance.get(f"{FUND_PAYMENTS}{first.json()['id']}/").json() == first.json()
    assert_ledger_invariants()

    # the supplier's statement lists the order, once every payer paid: gross as the order's
    statement = statement_generate(
        period_kind="month", day=timezone.localdate(), actor=SYSTEM_ACTOR, today=timezone.localdate() + timedelta(40)
    )[0]
    line = StatementLine.objects.get(order=order)
    assert (line.statement_id, line.gross) == (statement.pk, Decimal("103.11"))
    assert_ledger_invariants()


def test_a_fund_payment_recorded_in_error_is_reversed_through_the_api(public, fund):
    load(public, fund)
    order = received(public, (public.mah_offer, 6))
    finance = finance_client()
    paid = finance.post(
        FUND_PAYMENTS,
        {"fund_id": fund.pk, "amount": "49.98", "value_date": str(days(0)), "reference": order.number},
        format="json",
    )
    assert paid.status_code == 201, paid.json()
    assert Receivable.objects.get(order=order).fund_allocated == Decimal("49.98")
    url = f"{FUND_PAYMENTS}{paid.json()['id']}/reverse/"
    assert admin_client().post(url, {"reason": "录错"}, format="json").status_code == 403  # finance admins only

    reversed_ = finance.post(url, {"reason": "录错"}, format="json", HTTP_IDEMPOTENCY_KEY="fund-reverse-1")

    assert reversed_.status_code == 200, reversed_.json()
    assert reversed_.json()["reversed_at"] is not None and reversed_.json()["allocations"] == []
    receivable = Receivable.objects.get(order=order)
    assert (receivable.fund_allocated, receivable.paid_at) == (Decimal("0.00"), None)
    assert balance(AccountKind.FUND_RECEIVABLE, fund=fund) == Decimal("49.98")  # owed again
    assert AuditEvent.objects.filter(action="fund_payment.reversed", object_id=str(paid.json()["id"])).exists()
    assert_ledger_invariants()


def test_a_fund_payment_naming_an_unknown_fund_is_refused(public, fund):
    response = finance_client().post(
        FUND_PAYMENTS, {"fund_id": fund.pk + 99, "amount": "1.00", "value_date": str(days(0))}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_a_fund"
    assert not FundPayment.objects.exists()


def test_bank_reconciliation_turns_the_fund_s_credits_into_fund_payments(
    public, fund, django_capture_on_commit_callbacks
):
    load(public, fund)
    order = received(public, (public.mah_offer, 6))
    later = received(public, (public.mah_offer, 2))
    csv_text = (
        "transaction_id,booked_on,amount,counterparty_account,counterparty_name,reference\n"
        # the fund's code and an order number: that order first; the rest pays the fund's next dues
        f"F001,{days(0)},60.00,,海南省医疗保障局,{fund_payment_code(fund.pk)} 结算 {order.number}\n"
        # the fund's registered account, no code: the fund's payment all the same
        f"F002,{days(0)},5.00,4600001234567890,海南省医疗保障局,结算款\n"
    )
    finance = finance_client()
    with django_capture_on_commit_callbacks():
        uploaded = finance.post(
            "/api/v1/bank-statements/", {"file": SimpleUploadedFile("fund.csv", csv_text.encode())}, format="multipart"
        )
    assert uploaded.status_code == 202, uploaded.json()
    bank_statement_import_task.run(uploaded.json()["id"])

    first, second = BankLine.objects.order_by("transaction_id")
    assert (first.status, second.status) == (BankLineStatus.MATCHED, BankLineStatus.MATCHED)
    assert (first.fund_payment.fund_id, first.fund_payment.source, first.payment) == (fund.pk, PaymentSource.BANK, None)
    assert second.fund_payment.fund_id == fund.pk
    assert not Payment.objects.exists()  # never the hospital's payment
    paid, next_one = Receivable.objects.get(order=order), Receivable.objects.get(order=later)
    assert (paid.fund_allocated, paid.paid_at is not None) == (Decimal("49.98"), True)
    assert next_one.fund_allocated == Decimal("15.02")  # 10.02 of F001 and 5.00 of F002
    line = finance.get(f"/api/v1/bank-statements/lines/{first.pk}/").json()
    assert line["fund_payment"] == first.fund_payment_id
    assert_ledger_invariants()

    # a fund payment a bank line is matched to is undone by unmatching the line, not on its own
    refused = finance.post(f"{FUND_PAYMENTS}{second.fund_payment_id}/reverse/", {"reason": "错配"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "payment_from_bank_line")
    # unmatching the second line reverses its fund payment; the order's fund part is open again
    undone = finance.post(f"/api/v1/bank-statements/lines/{second.pk}/unmatch/", {"reason": "错配"}, format="json")
    assert undone.status_code == 200, undone.json()
    assert FundPayment.objects.get(pk=second.fund_payment_id).reversed_at is not None
    assert Receivable.objects.get(order=later).fund_allocated == Decimal("10.02")
    # and a finance admin matches it by hand to the fund
    matched = finance.post(f"/api/v1/bank-statements/lines/{second.pk}/match/", {"fund_id": fund.pk}, format="json")
    assert matched.status_code == 200, matched.json()
    assert Receivable.objects.get(order=later).fund_allocated == Decimal("15.02")
    assert_ledger_invariants()


def import_bank_lines(finance, rows: list[str], capture) -> None:
    csv_text = "transaction_id,booked_on,amount,counterparty_account,counterparty_name,reference\n" + "".join(
        f"{row}\n" for row in rows
    )
    with capture():
        uploaded = finance.post(
            "/api/v1/bank-statements/", {"file": SimpleUploadedFile("bank.csv", csv_text.encode())}, format="multipart"
        )
    assert uploaded.status_code == 202, uploaded.json()
    bank_statement_import_task.run(uploaded.json()["id"])


def test_a_transfer_naming_only_orders_is_the_fund_s_when_only_the_fund_still_owes_them(
    public, fund, django_capture_on_commit_callbacks
):
    load(public, fund)
    fund_only = received(public, (public.mah_offer, 6))  # the fund owes 49.98, the hospital nothing
    mixed = received(public, (public.mah_offer, 3), (other_offer(public), 7))  # the fund 24.99, the hospital 86.45
    finance = finance_client()

    # no fund code, no known account: the order numbers alone say who still owes
    import_bank_lines(
        finance,
        [f"N001,{days(0)},49.98,,海南省医疗保障局,结算 {fund_only.number}", f"N002,{days(0)},24.99,,,{mixed.number}"],
        django_capture_on_commit_callbacks,
    )

    first, second = BankLine.objects.order_by("transaction_id")
    assert (first.status, first.fund_payment.fund_id, first.payment) == (BankLineStatus.MATCHED, fund.pk, None)
    assert Receivable.objects.get(order=fund_only).paid_at is not None
    # both the hospital and the fund still owe the mixed order: the amount cannot tell whose money it is
    assert (second.status, second.candidates) == (BankLineStatus.AMBIGUOUS, [public.hospital.pk])
    assert "fund" in second.note and second.payment is None and second.fund_payment is None
    assert not Payment.objects.exists()  # never the hospital's credit

    # once the hospital has paid its own part, a transfer naming the order is the fund's
    paid = finance.post(
        "/api/v1/payments/",
        {"buyer_id": public.hospital.pk, "amount": "86.45", "value_date": str(days(0)), "reference": mixed.number},
        format="json",
    )
    assert paid.status_code == 201, paid.json()
    import_bank_lines(finance, [f"N003,{days(0)},24.99,,,{mixed.number}"], django_capture_on_commit_callbacks)
    third = BankLine.objects.get(transaction_id="N003")
    assert (third.status, third.fund_payment.fund_id) == (BankLineStatus.MATCHED, fund.pk)
    receivable = Receivable.objects.get(order=mixed)
    assert (receivable.fund_allocated, receivable.allocated, receivable.paid_at is not None) == (
        Decimal("24.99"),
        Decimal("86.45"),
        True,
    )
    # once no fund's part of it is open, a transfer naming it is its buyer's, as ever (its credit)
    import_bank_lines(finance, [f"N004,{days(0)},5.00,,,{mixed.number}"], django_capture_on_commit_callbacks)
    assert BankLine.objects.get(transaction_id="N004").payment.buyer_id == public.hospital.pk
    assert_ledger_invariants()


def test_a_fund_s_leftover_credit_is_refunded_and_its_bank_debit_matched(
    public, fund, client, django_capture_on_commit_callbacks
):
    load(public, fund)
    order = received(public, (public.mah_offer, 6))  # the fund owes 49.98
    finance = finance_client()
    paid = finance.post(
        FUND_PAYMENTS, {"fund_id": fund.pk, "amount": "80.00", "value_date": str(days(0))}, format="json"
    )
    assert (paid.status_code, paid.json()["unallocated"]) == (201, "30.02")
    assert [(row["fund_id"], row["total"], row["unapplied_credit"]) for row in finance.get(AGING).json()["funds"]] == [
        (fund.pk, "0.00", "30.02")
    ]
    body = {"fund_id": fund.pk, "amount": "30.02", "paid_on": str(days(0)), "bank_account": fund.bank_account_number}

    too_much = finance.post(REFUNDS, {**body, "amount": "30.03"}, format="json")
    assert (too_much.status_code, too_much.json()["code"]) == (409, "refund_exceeds_credit")
    assert "30.02" in too_much.json()["detail"]
    for payer in ({}, {"fund_id": fund.pk, "buyer_id": public.hospital.pk}):
        unnamed = finance.post(REFUNDS, {**{k: v for k, v in body.items() if k != "fund_id"}, **payer}, format="json")
        assert unnamed.status_code == 400, unnamed.json()
        assert {(e["field"], e["code"]) for e in unnamed.json()["errors"]} == {
            ("buyer_id", "one_payer"),
            ("fund_id", "one_payer"),
        }
    unknown = finance.post(REFUNDS, {**body, "fund_id": fund.pk + 99}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "not_a_fund")
    assert admin_client().post(REFUNDS, body, format="json").status_code == 403  # finance admins only
    assert public.client(public.hospital, MemberRole.FINANCE).post(REFUNDS, body, format="json").status_code == 403

    refunded = finance.post(REFUNDS, body, format="json", HTTP_IDEMPOTENCY_KEY="fund-refund-1")
    again = finance.post(REFUNDS, body, format="json", HTTP_IDEMPOTENCY_KEY="fund-refund-1")

    assert refunded.status_code == 201, refunded.json()
    assert again.json() == refunded.json()  # one refund, whatever the retries
    refund = refunded.json()
    assert (refund["fund"], refund["buyer"], refund["amount"]) == (fund.pk, None, "30.02")
    assert refund["sources"] == [{"payment": None, "fund_payment": paid.json()["id"], "amount": "30.02"}]
    payment = FundPayment.objects.get(pk=paid.json()["id"])
    assert (payment.unallocated, payment.refunded) == (Decimal("0.00"), Decimal("30.02"))
    assert finance.get(f"{FUND_PAYMENTS}{payment.pk}/").json()["refunded"] == "30.02"
    assert balance(AccountKind.FUND_RECEIVABLE, fund=fund) == Decimal("0.00")  # neither owes nor is owed
    assert not Posting.objects.filter(entry_id=refund["entry"], account__organization=public.hospital).exists()
    recorded = AuditEvent.objects.get(action="refund.recorded", object_id=str(refund["id"]))
    assert (recorded.changes["fund"], recorded.changes["from"], recorded.organization_id) == (
        fund.pk,
        [payment.pk],
        None,
    )
    assert finance.get(AGING).json()["funds"] == []  # nothing owed, no credit left
    # the hospital never sees the fund's refund; a payment partly refunded is not reversed
    assert public.client(public.hospital, MemberRole.FINANCE).get(REFUNDS).json()["results"] == []
    refused = finance.post(f"{FUND_PAYMENTS}{payment.pk}/reverse/", {"reason": "录错"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "payment_in_use")
    assert Receivable.objects.get(order=order).fund_allocated == Decimal("49.98")

    # the transfer's debit line names the refund: reconciliation matches it to the fund's refund
    transfer = f"R001,{days(0)},-30.02,{fund.bank_account_number},海南省医疗保障局,退还多付 {refund['number']}"
    import_bank_lines(finance, [transfer], django_capture_on_commit_callbacks)
    line = BankLine.objects.get(transaction_id="R001")
    assert (line.status, line.refund.number) == (BankLineStatus.MATCHED, refund["number"])
    assert_ledger_invariants()

    # the admin site lists the refund with its payer, its sources and the bank line that carried it out
    client.force_login(UserFactory(email="root@platform.test", is_staff=True, is_superuser=True))
    listed = client.get("/admin/settlements/refund/", {"fund__id__exact": fund.pk}).content.decode()
    assert refund["number"] in listed and fund.name in listed
    page = client.get(f"/admin/settlements/refund/{refund['id']}/change/")
    assert page.status_code == 200 and "30.02" in page.content.decode()


def test_finance_admins_refund_credit_in_the_admin_site(public, fund, client):
    load(public, fund)
    received(public, (public.mah_offer, 6))  # the fund owes 49.98
    finance = finance_client()
    for body in (
        {"fund_id": fund.pk, "amount": "60.00", "value_date": str(days(0))},  # 10.02 beyond its dues
        {"buyer_id": public.hospital.pk, "amount": "5.00", "value_date": str(days(0))},  # the hospital owes nothing
    ):
        url = FUND_PAYMENTS if "fund_id" in body else "/api/v1/payments/"
        assert finance.post(url, body, format="json").status_code == 201

    # an admin without the finance role sees refunds, but neither the link nor the form
    client.force_login(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True, is_superuser=False))
    assert "/admin/settlements/refund/record/" not in client.get("/admin/settlements/refund/").content.decode()
    assert client.get("/admin/settlements/refund/record/")["Location"] == "/admin/"

    client.force_login(UserFactory(email="finance@platform.test", is_staff=True, is_superuser=True))
    listed = client.get("/admin/settlements/refund/").content.decode()
    assert 'href="/admin/settlements/refund/record/"' in listed
    assert (
        'href="/admin/settlements/fundpayment/record/"'
        in client.get("/admin/settlements/fundpayment/").content.decode()
    )
    form = client.get("/admin/settlements/refund/record/").context["form"]
    assert [label for _value, label in form.fields["payer"].choices] == [
        f"{public.hospital.legal_name} (5.00)",
        f"{fund.name} (10.02)",
    ]
    too_much = client.post(
        "/admin/settlements/refund/record/", {"payer": f"fund:{fund.pk}", "amount": "10.03", "paid_on": str(days(0))}
    )
    assert too_much.status_code == 200 and "10.02" in str(too_much.context["form"].non_field_errors())
    recorded = client.post(
        "/admin/settlements/refund/record/",
        {"payer": f"fund:{fund.pk}", "amount": "10.02", "paid_on": str(days(0)), "bank_account": "4600001234567890"},
    )
    assert (recorded.status_code, recorded["Location"]) == (302, "/admin/settlements/refund/")
    refund = Refund.objects.get()
    assert (refund.fund_id, refund.buyer_id, refund.amount, refund.recorded_by) == (
        fund.pk,
        None,
        Decimal("10.02"),
        "finance@platform.test",
    )
    assert AuditEvent.objects.filter(action="refund.recorded", object_id=str(refund.pk)).exists()
    # the fund's credit is gone from the choices; the hospital's stays until it is refunded too
    choices = client.get("/admin/settlements/refund/record/").context["form"].fields["payer"].choices
    assert choices == [(f"buyer:{public.hospital.pk}", f"{public.hospital.legal_name} (5.00)")]
    assert_ledger_invariants()


def test_a_return_of_fund_paid_lines_is_credited_to_the_fund(public, fund):
    load(public, fund)
    own = other_offer(public)
    order = received(public, (public.mah_offer, 6), (own, 2))
    receivable = Receivable.objects.get(order=order)
    assert (receivable.fund_gross, receivable.buyer_gross) == (Decimal("49.98"), Decimal("24.70"))
    hospital, supplier = public.client(public.hospital), public.client(public.mah)
    shipment = order.shipments.get()
    fund_line = shipment.lines.get(order_line__offer=public.mah_offer)
    asked = hospital.post(
        "/api/v1/returns/",
        {
            "order_id": order.pk,
            "reason": "quality",
            "note": "批号外观异常",
            "lines": [{"shipment_line_id": fund_line.pk, "quantity": 2, "codes": []}],
        },
        format="json",
    )
    assert asked.status_code == 201, asked.json()
    ret_id = asked.json()["id"]
    assert step(supplier, ret_id, "approve").status_code == 200
    assert step(hospital, ret_id, "ship-back", {"carrier": "顺丰速运", "tracking_number": "SF7"}).status_code == 200
    done = receive_back(supplier, Return.objects.get(pk=ret_id))
    assert (done.status_code, done.json()["status"]) == (200, "credited"), done.json()

    note = CreditNote.objects.get(return_request_id=ret_id)
    assert (note.gross, note.credit, note.fund_credit.amount) == (Decimal("16.66"), None, Decimal("16.66"))
    # off the fund's receivable (its credit pays the fund's part of the returned order), never the hospital's
    assert balance(AccountKind.FUND_RECEIVABLE, fund=fund) == Decimal("33.32")
    assert balance(AccountKind.BUYER_RECEIVABLE, organization=public.hospital) == Decimal("24.70")
    receivable.refresh_from_db()
    assert (receivable.fund_allocated, receivable.allocated) == (Decimal("16.66"), Decimal("0.00"))
    listed = public.client(public.hospital, MemberRole.FINANCE).get(f"/api/v1/credit-notes/{note.pk}/")
    assert listed.status_code == 200, listed.json()
    assert (listed.json()["unapplied"], listed.json()["fund_credit"]) == (None, note.fund_credit_id)
    assert_ledger_invariants()


def test_aging_shows_the_fund_apart_and_the_hospital_never_sees_the_fund_s_dues(public, fund):
    load(public, fund)
    own = other_offer(public)
    received(public, (public.mah_offer, 6), (own, 2))

    hospital = public.client(public.hospital, MemberRole.FINANCE).get(AGING).json()
    assert [(row["buyer_id"], row["total"]) for row in hospital["buyers"]] == [(public.hospital.pk, "24.70")]
    assert (hospital["funds"], hospital["fund_totals"]["total"]) == ([], "0.00")

    staff = finance_client().get(AGING).json()
    assert [(row["buyer_id"], row["total"]) for row in staff["buyers"]] == [(public.hospital.pk, "24.70")]
    assert [(row["fund_id"], row["fund_name"], row["current"], row["total"]) for row in staff["funds"]] == [
        (fund.pk, fund.name, "49.98", "49.98")
    ]
    # 100 days on: the hospital's part (30 days' terms) is 61–90 days overdue; the fund's (90 days') 1–30
    later = finance_client().get(AGING, {"as_of": str(days(100))}).json()
    assert (later["buyers"][0]["days_61_90"], later["funds"][0]["days_1_30"]) == ("24.70", "49.98")


def test_a_hospital_can_neither_record_nor_see_fund_payments(public, fund):
    load(public, fund)
    order = received(public, (public.mah_offer, 6))
    payment = finance_client().post(
        FUND_PAYMENTS, {"fund_id": fund.pk, "amount": "49.98", "value_date": str(days(0))}, format="json"
    )
    assert payment.status_code == 201, payment.json()
    for role in (MemberRole.OWNER, MemberRole.FINANCE):
        client = public.client(public.hospital, role)
        assert client.get(FUND_PAYMENTS).status_code == 403
        assert client.get(f"{FUND_PAYMENTS}{payment.json()['id']}/").status_code == 403
        refused = client.post(FUND_PAYMENTS, {"fund_id": fund.pk, "amount": "1.00", "value_date": str(days(0))})
        assert refused.status_code == 403
        assert client.get("/api/v1/insurance-funds/").status_code == 403
        # its ledger: its own accounts and legs only, never the fund's
        accounts = client.get("/api/v1/ledger/accounts/").json()["results"]
        assert all(account["fund"] is None for account in accounts)
        entries = client.get("/api/v1/ledger/entries/").json()["results"]
        assert all(p["account_kind"] != AccountKind.FUND_RECEIVABLE for e in entries for p in e["postings"])
    assert FundPayment.objects.count() == 1
    assert Receivable.objects.get(order=order).paid_at is not None
    # staff read the fund and its payment code
    funds = admin_client().get("/api/v1/insurance-funds/").json()["results"]
    assert [(row["id"], row["payment_code"]) for row in funds] == [(fund.pk, fund_payment_code(fund.pk))]


def test_lines_of_two_funds_are_placed_as_separate_orders(public, fund):
    load(public, fund)
    own = other_offer(public)
    other_fund = InsuranceFund.objects.create(name="三亚市医疗保险基金", province_code="460000")
    response = admin_client().post(
        CONTRACTS,
        {
            "programme": "海南省药品集中带量采购",
            "drug_id": own.drug_id,
            "supplier_id": public.mah.pk,
            "agreed_price": "11.00",
            "valid_from": str(days(-1)),
            "valid_until": str(days(364)),
            "volumes": [{"institution_id": public.hospital.pk, "annual_volume": 10}],
            "settlement_fund_id": other_fund.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    refused = place(public.client(public.hospital), (public.mah_offer.pk, 1), (own.pk, 1))
    assert refused.status_code == 409, refused.json()
    assert [e["code"] for e in refused.json()["errors"]] == ["several_payer_funds"]


def test_a_contract_may_name_only_an_active_fund(public, fund):
    InsuranceFund.objects.filter(pk=fund.pk).update(active=False)
    body = {
        "programme": "第九批国家组织药品集中采购",
        "drug_id": public.drug.pk,
        "supplier_id": public.mah.pk,
        "agreed_price": "8.00",
        "valid_from": str(days(-1)),
        "valid_until": str(days(364)),
        "volumes": [{"institution_id": public.hospital.pk, "annual_volume": 10}],
        "settlement_fund_id": fund.pk,
    }
    response = admin_client().post(CONTRACTS, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "not_an_active_fund"


def test_platform_staff_manage_funds_and_record_fund_payments_in_the_admin_site(public, fund, client):
    load(public, fund)
    order = received(public, (public.mah_offer, 6))
    client.force_login(UserFactory(email="root@platform.test", is_staff=True, is_superuser=True))

    created = client.post(
        "/admin/accounts/insurancefund/add/",
        {"name": "三亚市医疗保险基金", "province_code": "460000", "bank_account_number": "", "active": "on"},
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    sanya = InsuranceFund.objects.get(name="三亚市医疗保险基金")
    assert AuditEvent.objects.filter(action="insurance_fund.created", object_id=str(sanya.pk)).exists()
    assert client.get("/admin/accounts/insurancefund/").status_code == 200

    assert client.get("/admin/settlements/fundpayment/record/").status_code == 200
    recorded = client.post(
        "/admin/settlements/fundpayment/record/",
        {"fund": fund.pk, "amount": "49.98", "value_date": str(days(0)), "reference": order.number},
    )
    assert (recorded.status_code, recorded["Location"]) == (302, "/admin/settlements/fundpayment/")
    payment = FundPayment.objects.get()
    assert (payment.fund_id, payment.recorded_by) == (fund.pk, "root@platform.test")
    assert Receivable.objects.get(order=order).paid_at is not None
    assert client.get(f"/admin/settlements/fundpayment/{payment.pk}/change/").status_code == 200
    assert fund.name in client.get("/admin/settlements/fundpayment/").content.decode()

    # a payment recorded in error is reversed with a reason (audited): the order's fund part is open again
    selection = {"action": "reverse", "_selected_action": [payment.pk]}
    asked = client.post("/admin/settlements/fundpayment/", selection)
    assert asked.status_code == 200 and "reason" in asked.context["form"].fields
    client.post("/admin/settlements/fundpayment/", {**selection, "apply": "1", "reason": "重复录入"})
    payment.refresh_from_db()
    assert payment.reversed_at is not None
    assert (Receivable.objects.get(order=order).fund_allocated, Receivable.objects.get(order=order).paid_at) == (
        Decimal("0.00"),
        None,
    )
    assert AuditEvent.objects.filter(action="fund_payment.reversed", object_id=str(payment.pk)).exists()
    assert_ledger_invariants()

    # the aging page shows the fund apart, the dashboard its figure
    aging = client.get("/admin/settlements/receivable/aging/")
    assert aging.status_code == 200 and 'id="fund-aging"' in aging.content.decode()
    assert fund.name in aging.content.decode()
    assert 'id="figure-fund-aging"' in client.get("/admin/").content.decode()
