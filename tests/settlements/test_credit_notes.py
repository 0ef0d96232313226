"""Credit notes and refunds (SPEC §6): the whole path over HTTP, from the sale to the refund's bank line."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone

from accounts.choices import MemberRole
from catalog.models import Offer
from orders.models import Return
from pharmex.actor import SYSTEM_ACTOR
from settlements.choices import AccountKind, EntryKind
from settlements.errors import PaymentInUse, PayoutAmountMismatch
from settlements.models import CreditNote, JournalEntry, Payment, Posting, Receivable, Refund, Statement
from settlements.services import (
    payment_record,
    payment_reverse,
    statement_approve,
    statement_generate,
    statement_issue,
    statement_pay,
)
from settlements.services.exports import export_rows
from settlements.tasks import bank_statement_import_task
from tests.conftest import client_for
from tests.factories import MembershipFactory
from tests.factories.settlements import received_order
from tests.orders.conftest import market  # noqa: F401  (the fixture)
from tests.orders.returns import receive_back, received, request_return, step
from tests.orders.shipping import code, invoice_number
from tests.orders.test_invoices import record
from tests.settlements.conftest import assert_ledger_invariants

pytestmark = pytest.mark.django_db


def balance(kind: str, organization_id: int | None = None) -> Decimal:
    postings = Posting.objects.filter(account__kind=kind, account__organization_id=organization_id)
    return postings.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def returned(market, order, shipment, quantity, codes=()):  # noqa: F811
    buyer, supplier = market.buyer_client(), market.supplier_client()
    asked = request_return(buyer, order, shipment, quantity, codes=codes)
    assert asked.status_code == 201, asked.json()
    ret_id = asked.json()["id"]
    assert step(supplier, ret_id, "approve").status_code == 200
    assert step(buyer, ret_id, "ship-back", {"carrier": "顺丰速运", "tracking_number": "SF7"}).status_code == 200
    done = receive_back(supplier, Return.objects.get(pk=ret_id))
    assert (done.status_code, done.json()["status"]) == (200, "credited"), done.json()
    return CreditNote.objects.get(return_request_id=ret_id)


def test_sale_rejection_payment_return_credit_refund_and_bank_line(market, as_client, finance_admin_user):  # noqa: F811
    Offer.objects.filter(pk=market.offer.pk).update(unit_price=Decimal("100.00"))
    codes = [code(501), code(502), code(503)]
    # sale 1,000.00, 100.00 rejected at receipt: the receipt entry covers 900.00 only
    order, shipment = received(market, 10, codes=codes, rejected=1)
    assert order.accepted_gross == Decimal("900.00")
    assert JournalEntry.objects.filter(kind=EntryKind.RECEIPT).count() == 1
    assert balance(AccountKind.BUYER_RECEIVABLE, market.buyer.pk) == Decimal("900.00")
    assert_ledger_invariants()

    # the supplier's blue invoice covers all it shipped; the rejection is red-lettered: form raised, confirmed by
    # the buyer (it deducted the invoice), red invoice recorded. The ledger does not move: it never held the 100.00.
    supplier, buyer = market.supplier_client(), market.buyer_client()
    entries = JournalEntry.objects.count()
    blue = record(supplier, [(shipment, "1000.00")], tax="115.04")
    assert blue.status_code == 201, blue.json()
    deduction = buyer.post(f"/api/v1/invoices/{blue.json()['id']}/deduction/", {"deducted": True}, format="json")
    assert deduction.status_code == 200, deduction.json()
    assert invoice_position(buyer, order)["open_items"] == [
        {"kind": "rejection_to_red_letter", "shipment": shipment.pk, "return_request": None, "amount": "100.00"}
    ]
    form = red_letter(supplier, buyer, blue.json()["id"], shipment, reason="rejection", confirm=True)
    assert (form["amount"], form["status"]) == ("100.00", "red_issued")
    position = invoice_position(buyer, order)
    assert (position["net_invoiced"], position["accepted_gross"], position["difference"]) == (
        "900.00",
        "900.00",
        "0.00",
    )
    assert JournalEntry.objects.count() == entries
    assert_ledger_invariants()

    finance = as_client(finance_admin_user)
    paid = finance.post(
        "/api/v1/payments/",
        {
            "buyer_id": market.buyer.pk,
            "amount": "900.00",
            "value_date": str(timezone.localdate()),
            "reference": order.number,
        },
        format="json",
    )
    assert paid.status_code == 201, paid.json()
    assert Receivable.objects.get(order=order).paid_at is not None
    assert balance(AccountKind.BUYER_RECEIVABLE, market.buyer.pk) == Decimal("0.00")
    assert_ledger_invariants()

    # return 200.00 after payment: one balanced entry reversing it at the sale's 3 % commission
    note = returned(market, order, shipment, 2, codes=codes[:2])
    assert (note.gross, note.commission, note.net) == (Decimal("200.00"), Decimal("6.00"), Decimal("194.00"))
    legs = sorted(
        (p.account.kind, p.amount) for p in Posting.objects.filter(entry=note.entry).select_related("account")
    )
    assert legs == [
        (AccountKind.BUYER_RECEIVABLE, Decimal("-200.00")),
        (AccountKind.COMMISSION_REVENUE, Decimal("6.00")),
        (AccountKind.SUPPLIER_PAYABLE, Decimal("-6.00")),
        (AccountKind.SUPPLIER_PAYABLE, Decimal("200.00")),
    ]
    # the buyer had paid: the credit is unapplied, visible to the buyer and in the aging report
    assert balance(AccountKind.BUYER_RECEIVABLE, market.buyer.pk) == Decimal("-200.00")
    aging = finance.get("/api/v1/reports/receivables-aging/").json()
    assert [(row["total"], row["unapplied_credit"]) for row in aging["buyers"]] == [("0.00", "200.00")]
    buyer_finance = client_for(MembershipFactory(organization=market.buyer, role=MemberRole.FINANCE).user)
    credit_notes = client_get(buyer_finance, "/api/v1/credit-notes/")
    assert [(c["number"], c["gross"], c["unapplied"]) for c in credit_notes] == [(note.number, "200.00", "200.00")]
    supplier_finance = client_for(MembershipFactory(organization=market.supplier, role=MemberRole.FINANCE).user)
    assert [c["number"] for c in client_get(supplier_finance, "/api/v1/credit-notes/")] == [note.number]
    with pytest.raises(PaymentInUse):
        payment_reverse(payment=note.credit, actor=SYSTEM_ACTOR, reason="no")
    assert_ledger_invariants()

    # the credited return is red-lettered too: the order's invoice position nets out at accepted − returned
    assert invoice_position(buyer, order)["difference"] == "200.00"
    entries = JournalEntry.objects.count()
    ret_id = note.return_request_id
    form = red_letter(supplier, buyer, blue.json()["id"], shipment, reason="return", return_id=ret_id, confirm=True)
    assert (form["amount"], form["status"]) == ("200.00", "red_issued")
    position = invoice_position(buyer, order)
    assert (position["invoiced"], position["red_lettered"], position["net_invoiced"]) == (
        "1000.00",
        "300.00",
        "700.00",
    )
    assert (position["expected"], position["difference"], position["open_items"]) == ("700.00", "0.00", [])
    assert JournalEntry.objects.count() == entries
    assert_ledger_invariants()

    too_much = finance.post(
        "/api/v1/refunds/",
        {"buyer_id": market.buyer.pk, "amount": "200.01", "paid_on": str(timezone.localdate())},
        format="json",
    )
    assert (too_much.status_code, too_much.json()["code"]) == (409, "refund_exceeds_credit")
    refunded = finance.post(
        "/api/v1/refunds/",
        {"buyer_id": market.buyer.pk, "amount": "200.00", "paid_on": str(timezone.localdate())},
        format="json",
    )
    assert refunded.status_code == 201, refunded.json()
    number = refunded.json()["number"]
    assert balance(AccountKind.BUYER_RECEIVABLE, market.buyer.pk) == Decimal("0.00")
    assert Payment.objects.get(pk=note.credit_id).unallocated == Decimal("0.00")
    assert_ledger_invariants()

    csv = (
        "transaction_id,booked_on,amount,counterparty_account,counterparty_name,reference\n"
        f"T-REFUND-1,{timezone.localdate()},-200.00,6222021001001234567,海口康宁大药房,退款 {number}\n"
    )
    upload = finance.post(
        "/api/v1/bank-statements/", {"file": SimpleUploadedFile("refunds.csv", csv.encode())}, format="multipart"
    )
    assert upload.status_code == 202, upload.json()
    bank_statement_import_task.run(upload.json()["id"])
    refund = Refund.objects.get(number=number)
    assert (refund.bank_line.status, refund.bank_line.transaction_id) == ("matched", "T-REFUND-1")
    # the end: goods, ledger and money agree; the buyer owes nothing and is owed nothing
    assert balance(AccountKind.BUYER_RECEIVABLE, market.buyer.pk) == Decimal("0.00")
    assert balance(AccountKind.SUPPLIER_PAYABLE, market.supplier.pk) == Decimal("-679.00")  # 700 − 21 commission
    assert balance(AccountKind.COMMISSION_REVENUE) == Decimal("-21.00")
    assert_ledger_invariants()


def invoice_position(client, order) -> dict:
    response = client.get(f"/api/v1/orders/{order.pk}/invoice-position/")
    assert response.status_code == 200, response.json()
    return response.json()


def red_letter(supplier, buyer, blue_id: int, shipment, *, reason: str, return_id=None, confirm: bool) -> dict:
    """Raise a red-letter form for all still due, have the buyer confirm it, record the red invoice."""
    body = {"blue_invoice_id": blue_id, "shipment_id": shipment.pk, "reason": reason}
    raised = supplier.post("/api/v1/red-letter-forms/", {**body, "return_id": return_id}, format="json")
    assert (raised.status_code, raised.json()["status"]) == (201, "raised"), raised.json()
    form_id = raised.json()["id"]
    if confirm:
        confirmed = buyer.post(f"/api/v1/red-letter-forms/{form_id}/confirm/", {}, format="json")
        assert confirmed.json()["status"] == "confirmed", confirmed.json()
    issued = supplier.post(
        f"/api/v1/red-letter-forms/{form_id}/issue-red/",
        {"number": invoice_number(), "issue_date": str(timezone.localdate())},
        format="json",
    )
    assert issued.status_code == 200, issued.json()
    return issued.json()


def client_get(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_a_credit_on_an_unpaid_order_lowers_what_the_buyer_owes(market):  # noqa: F811
    Offer.objects.filter(pk=market.offer.pk).update(unit_price=Decimal("10.00"))
    order, shipment = received(market, 5)
    note = returned(market, order, shipment, 2)
    receivable = Receivable.objects.get(order=order)
    assert (receivable.gross, receivable.allocated, receivable.paid_at) == (Decimal("50.00"), Decimal("20.00"), None)
    assert balance(AccountKind.BUYER_RECEIVABLE, market.buyer.pk) == Decimal("30.00")
    assert Payment.objects.get(pk=note.credit_id).unallocated == Decimal("0.00")
    assert_ledger_invariants()


def test_a_credit_note_is_posted_once(market):  # noqa: F811
    from settlements.services.credits import credit_note_post

    Offer.objects.filter(pk=market.offer.pk).update(unit_price=Decimal("10.00"))
    order, shipment = received(market, 3)
    note = returned(market, order, shipment, 1)
    assert credit_note_post(return_id=note.return_request_id) == note  # a replayed event
    assert JournalEntry.objects.filter(kind=EntryKind.CREDIT_NOTE).count() == 1


SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=SHANGHAI)


def pay(buyer, order, gross: str, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        payment_record(
            buyer_id=buyer.pk, amount=Decimal(gross), value_date=when.date(), actor=SYSTEM_ACTOR, reference=order.number
        )


def close(month: int, today: date, amount: str) -> Statement:
    statement = statement_generate(period_kind="month", day=date(2026, month, 1), actor=SYSTEM_ACTOR, today=today)[0]
    statement_issue(statement=statement, actor=SYSTEM_ACTOR)
    statement_approve(statement=statement, actor=SYSTEM_ACTOR)
    return statement_pay(
        statement=statement, actor=SYSTEM_ACTOR, amount=Decimal(amount), bank_reference="B", paid_on=today
    )


def test_a_credit_after_the_paid_statement_is_a_negative_line_next_and_a_negative_net_is_carried(market):  # noqa: F811
    Offer.objects.filter(pk=market.offer.pk).update(unit_price=Decimal("100.00"))
    with time_machine.travel(at(10, 10), tick=False):
        order, shipment = received(market, 1)
    pay(market.buyer, order, "100.00", at(10, 12))
    october = close(10, date(2026, 11, 3), "97.00")
    assert (october.net, october.status) == (Decimal("97.00"), "paid")

    with time_machine.travel(at(11, 5), tick=False):
        note = returned(market, order, shipment, 1)
    assert (note.net, note.after_paid_statement_id) == (Decimal("97.00"), october.pk)
    # the buyer had paid: its 100.00 credit pays its next dues, oldest first
    with time_machine.travel(at(11, 6), tick=False):
        november_sale = received_order(buyer=market.buyer, supplier=market.supplier, gross="50.00")
    assert Receivable.objects.get(order=november_sale).paid_at == at(11, 6)
    november = statement_generate(
        period_kind="month", day=date(2026, 11, 1), actor=SYSTEM_ACTOR, today=date(2026, 12, 2)
    )[0]
    # 50.00 − 1.50 commission − 97.00 credited: negative, so it is paid out as nothing and carried forward
    assert (november.gross, november.credits, november.net) == (Decimal("50.00"), Decimal("97.00"), Decimal("-48.50"))
    assert list(november.credit_notes.all()) == [note]
    rows = list(export_rows(statements=Statement.objects.filter(pk=november.pk)))
    assert [(row[6], row[7], row[11]) for row in rows if row[6] == "CREDIT"] == [
        ("CREDIT", note.number, Decimal("-97.00"))
    ]
    assert rows[-1][9:12] == ["adjustments 0.00, credits -97.00, carried in 0.00", 1, Decimal("-48.50")]
    statement_issue(statement=november, actor=SYSTEM_ACTOR)
    statement_approve(statement=november, actor=SYSTEM_ACTOR)
    with pytest.raises(PayoutAmountMismatch):
        statement_pay(
            statement=november,
            actor=SYSTEM_ACTOR,
            amount=Decimal("-48.50"),
            bank_reference="B",
            paid_on=date(2026, 12, 2),
        )
    november = statement_pay(
        statement=november, actor=SYSTEM_ACTOR, amount=Decimal("0.00"), bank_reference="-", paid_on=date(2026, 12, 2)
    )
    assert (november.status, november.payout.amount, november.payout.entry) == ("paid", Decimal("0.00"), None)

    with time_machine.travel(at(12, 8), tick=False):
        december_sale = received_order(buyer=market.buyer, supplier=market.supplier, gross="200.00")
    assert Receivable.objects.get(order=december_sale).allocated == Decimal("50.00")  # the rest of the credit
    pay(market.buyer, december_sale, "150.00", at(12, 10))
    december = statement_generate(
        period_kind="month", day=date(2026, 12, 1), actor=SYSTEM_ACTOR, today=date(2027, 1, 3)
    )[0]
    assert (december.carried_in, december.net) == (Decimal("-48.50"), Decimal("145.50"))
    assert Statement.objects.get(pk=november.pk).carried_to_id == december.pk
    statement_issue(statement=december, actor=SYSTEM_ACTOR)
    statement_approve(statement=december, actor=SYSTEM_ACTOR)
    statement_pay(
        statement=december, actor=SYSTEM_ACTOR, amount=Decimal("145.50"), bank_reference="B3", paid_on=date(2027, 1, 3)
    )
    # everything the supplier earned (100 + 50 + 200, less 3 % and less the 100 returned) is paid: payable zero
    assert balance(AccountKind.SUPPLIER_PAYABLE, market.supplier.pk) == Decimal("0.00")
    assert_ledger_invariants()


def test_a_finance_admin_closes_a_supplier_s_period_early_and_the_next_statement_starts_at_the_cut_off(
    parties, as_client, finance_admin_user
):
    before = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="100.00", received_at=at(12, 2))
    pay(parties.buyer, before, "100.00", at(12, 3))
    after = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="40.00", received_at=at(12, 2))
    pay(parties.buyer, after, "40.00", at(12, 20))
    cut_off = at(12, 10)
    with time_machine.travel(at(12, 21), tick=False):
        finance = as_client(finance_admin_user)
        future = finance.post(
            "/api/v1/settlements/close-early/",
            {"supplier_id": parties.supplier.pk, "cut_off": at(12, 25).isoformat()},
            format="json",
        )
        assert (future.status_code, future.json()["code"]) == (400, "cut_off_invalid")
        closed = finance.post(
            "/api/v1/settlements/close-early/",
            {"supplier_id": parties.supplier.pk, "cut_off": cut_off.isoformat()},
            format="json",
        )
        assert closed.status_code == 201, closed.json()
        assert (closed.json()["number"], closed.json()["line_count"], closed.json()["gross"]) == (
            f"ST20261210-{parties.supplier.pk:06d}",
            1,
            "100.00",
        )
        again = finance.post(
            "/api/v1/settlements/close-early/",
            {"supplier_id": parties.supplier.pk, "cut_off": cut_off.isoformat()},
            format="json",
        )
        assert again.status_code == 400
    december = statement_generate(
        period_kind="month", day=date(2026, 12, 1), actor=SYSTEM_ACTOR, today=date(2027, 1, 2)
    )
    regular = [s for s in december if s.supplier_id == parties.supplier.pk and s.pk != closed.json()["id"]]
    assert [(s.paid_from, s.line_count, s.gross) for s in regular] == [(cut_off, 1, Decimal("40.00"))]
    assert_ledger_invariants()
