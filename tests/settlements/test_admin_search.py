"""The admin site's searches of payments, fund payments and bank lines read indexes (issue 19): part of what the
bank or a payer wrote (a reference, a counterparty's name or account) through trigram indexes, a bank's transaction
id by its unique index, a buyer or fund by part of its name among the organisations and funds first. A term too
short for a trigram index finds nothing in those texts, and the page says from how many characters it would."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import InsuranceFund
from pharmex.actor import SYSTEM_ACTOR
from settlements.models import BankLine, BankStatement, FundPayment, Payment
from settlements.services import payment_record
from settlements.services.funds import fund_payment_record
from tests import plans
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Read by part of a name (`__icontains`): tables of participants, not of history.
SMALL_TABLES = {"accounts_organization", "accounts_insurancefund"}


@pytest.fixture
def staff_client(client):
    client.force_login(
        UserFactory(email="finance-desk@platform.test", staff_role="admin", is_staff=True, is_superuser=True)
    )
    return client


@pytest.fixture
def money(parties):
    today = timezone.localdate()
    fund = InsuranceFund.objects.create(name="海南省基本医疗保险基金", province_code="460000")
    paid = payment_record(
        buyer_id=parties.buyer.pk,
        amount=Decimal("100.00"),
        value_date=today,
        actor=SYSTEM_ACTOR,
        reference="货款 PX2026120100000042 十二月",
    )
    payment_record(
        buyer_id=parties.buyer.pk, amount=Decimal("7.00"), value_date=today, actor=SYSTEM_ACTOR, reference="100%"
    )
    fund_paid = fund_payment_record(
        fund_id=fund.pk,
        amount=Decimal("50.00"),
        value_date=today,
        actor=SYSTEM_ACTOR,
        reference="医保结算 2026-11 批次",
    )
    upload = BankStatement.objects.create(
        file_name="bank.csv", file_sha256="0" * 64, imported_by="test", status="imported"
    )
    line = BankLine.objects.create(
        statement=upload,
        transaction_id="BOC20261201000123",
        booked_on=today,
        amount=Decimal("100.00"),
        counterparty_name="海口市人民医院",
        counterparty_account="6217000012345678",
        reference="付 PX2026120100000042",
    )
    return paid, fund_paid, line


def search(staff_client, page: str, term: str):
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(f"/admin/settlements/{page}/", {"q": term})
    assert response.status_code == 200
    sqls = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    hints = [str(message) for message in get_messages(response.wsgi_request)]
    return list(response.context["cl"].result_list), sqls, hints


def test_every_search_of_payments_and_bank_lines_is_answered_by_indexes(parties, money, staff_client):
    paid, fund_paid, line = money
    cases = [
        ("payment", "px2026120100000042", [paid]),  # part of the reference, in any case
        ("payment", "康宁大药房", list(Payment.objects.all())),  # part of the buyer's name
        ("payment", "100%", [Payment.objects.get(reference="100%")]),  # a % is a character, not "anything"
        ("fundpayment", "2026-11", [fund_paid]),
        ("fundpayment", "医疗保险", list(FundPayment.objects.all())),
        ("bankline", "BOC20261201000123", [line]),
        ("bankline", "人民医院", [line]),
        ("bankline", "5678", [line]),  # the account's last digits
        ("bankline", "PX2026120100000042", [line]),
        ("bankline", "不存在的医院", []),
    ]
    for page, term, expected in cases:
        rows, sqls, hints = search(staff_client, page, term)
        assert sorted(row.pk for row in rows) == sorted(row.pk for row in expected), (page, term)
        assert hints == [], (page, term)
        for sql, plan in zip(sqls, map(plans.plan, sqls), strict=True):
            assert 'UPPER("settlements' not in sql, (page, term, sql)  # Django's icontains: no index serves it
            full_reads = [line for line in plan.splitlines() if "Seq Scan on" in line]
            assert all(any(table in line for table in SMALL_TABLES) for line in full_reads), (page, term, sql, plan)


def test_a_term_too_short_for_the_trigram_indexes_says_so_and_finds_no_part_of_a_text(parties, money, staff_client):
    _paid, _fund_paid, line = money
    rows, _sqls, hints = search(staff_client, "bankline", "医院")
    assert rows == []
    assert hints == ["Part of reference, counterparty name, counterparty account is found from 3 characters on."]
    # a buyer's name is read among the organisations, where two characters are enough: the hint names only the
    # texts that need three
    rows, _sqls, hints = search(staff_client, "payment", "康宁")
    assert len(rows) == 2
    assert hints == ["Part of reference is found from 3 characters on."]
    # a whole transaction id is found whatever its length; nothing a search takes is written
    BankLine.objects.filter(pk=line.pk).update(transaction_id="T1")
    assert [row.pk for row in search(staff_client, "bankline", "T1")[0]] == [line.pk]
    for term in ["x" * 500, "'; DROP TABLE settlements_payment; --", "%", "_"]:
        assert search(staff_client, "payment", term)[0] == [], term
    assert Payment.objects.count() == 2
