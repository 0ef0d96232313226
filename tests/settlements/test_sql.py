"""settlements/sql.py and the rule it shares: which receivables a statement settles, written once.

The generator's totals, the StatementLine view and the guard trigger all call settlements_statement_settles;
each is compared here with the same rule written with the ORM.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum

from pharmex.actor import SYSTEM_ACTOR
from settlements import sql
from settlements.models import Receivable, Statement, StatementEvent, StatementLine
from settlements.services import statement_generate
from tests import plans
from tests.factories import OrganizationFactory
from tests.factories.settlements import receivable_of, received_order

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
FROM, TO = datetime(2026, 10, 1, tzinfo=SHANGHAI), datetime(2026, 11, 1, tzinfo=SHANGHAI)


def _settles(statement_supplier: int, statement_currency: str, paid_from: datetime, paid_to: datetime) -> Q:
    """The rule in the ORM: the supplier's receivables in the currency, paid in [from, to), not reversed."""
    return Q(
        supplier_id=statement_supplier,
        currency=statement_currency,
        paid_at__gte=paid_from,
        paid_at__lt=paid_to,
        reversed_at__isnull=True,
    )


def _receivable(parties, supplier, gross: str, paid_at: datetime | None, *, currency="CNY", reversed_=False):
    order = received_order(
        buyer=parties.buyer, supplier=supplier, gross=gross, received_at=datetime(2026, 9, 1, tzinfo=SHANGHAI)
    )
    receivable = receivable_of(order)
    Receivable.objects.filter(pk=receivable.pk).update(  # straight in: these rows test the rule, not payments
        paid_at=paid_at,
        allocated=receivable.gross if paid_at else Decimal("0.00"),
        currency=currency,
        reversed_at=paid_at if reversed_ else None,
    )
    return receivable


@pytest.fixture
def october_receivables(parties):
    other = OrganizationFactory(legal_name="海南第二供应商")
    day = lambda d, h=12: datetime(2026, 10, d, h, tzinfo=SHANGHAI)  # noqa: E731
    for gross, paid_at, kwargs in [
        ("100.00", day(1, 0), {}),
        ("250.55", day(31, 23), {}),
        ("33.00", day(6), {"reversed_": True}),
        ("999.00", datetime(2026, 9, 30, 23, tzinfo=SHANGHAI), {}),
        ("77.00", TO, {}),
        ("55.00", None, {}),
    ]:
        _receivable(parties, parties.supplier, gross, paid_at, **kwargs)
    _receivable(parties, other, "40.00", day(2))
    return other


def test_generation_totals_are_the_orm_group_by(parties, october_receivables):
    created = sql.statements_generate(
        period_kind="month",
        start=date(2026, 10, 1),
        end=date(2026, 11, 1),
        label="202610",
        paid_from=FROM,
        paid_to=TO,
        actor_label="system",
    )

    by_orm = (
        Receivable.objects.filter(paid_at__gte=FROM, paid_at__lt=TO, reversed_at__isnull=True)
        .values("supplier_id", "currency")
        .annotate(n=Count("id"), gross=Sum("gross"), commission=Sum("commission"))
        .order_by("supplier_id", "currency")
    )
    statements = Statement.objects.filter(pk__in=created).order_by("supplier_id", "currency")
    assert [(s.supplier_id, s.currency, s.line_count, s.gross, s.commission, s.net) for s in statements] == [
        (r["supplier_id"], r["currency"], r["n"], r["gross"], r["commission"], r["gross"] - r["commission"])
        for r in by_orm
    ]
    assert [s.number for s in statements] == [f"ST202610-{s.supplier_id:06d}" for s in statements]
    assert list(StatementEvent.objects.filter(statement__in=statements).values_list("action", "to_status")) == [
        ("generate", "draft")
    ] * len(statements)


def test_the_statement_lines_view_lists_what_the_orm_rule_selects(parties, october_receivables):
    statement_generate(period_kind="month", day=date(2026, 10, 1), actor=SYSTEM_ACTOR, today=date(2026, 11, 3))

    for statement in Statement.objects.all():
        by_view = set(StatementLine.objects.filter(statement=statement).values_list("order_id", "gross"))
        by_orm = set(
            Receivable.objects.filter(
                _settles(statement.supplier_id, statement.currency, statement.paid_from, statement.paid_to)
            ).values_list("order_id", "gross")
        )
        assert by_view == by_orm and by_view


def test_the_guard_freezes_exactly_what_a_statement_settles(parties, october_receivables):
    statement_generate(period_kind="month", day=date(2026, 10, 1), actor=SYSTEM_ACTOR, today=date(2026, 11, 3))
    cny = Statement.objects.get(supplier=parties.supplier, currency="CNY")
    settled = Receivable.objects.filter(_settles(parties.supplier.pk, "CNY", cny.paid_from, cny.paid_to))
    unsettled = Receivable.objects.filter(supplier=parties.supplier, currency="CNY", paid_at__isnull=True)

    # a settled receivable cannot change …
    with pytest.raises(IntegrityError), transaction.atomic():
        Receivable.objects.filter(pk=settled.first().pk).update(gross=Decimal("1.00"))
    # … nor can a CNY receivable be paid into the range …
    with pytest.raises(IntegrityError), transaction.atomic():
        unsettled.update(paid_at=cny.paid_from + timedelta(days=3), allocated=F("gross"))
    # … while one in another currency is not a CNY statement's (the guard used to ignore the currency): the
    # other supplier has a CNY statement for October and no USD one
    other = october_receivables
    usd_unpaid = _receivable(parties, other, "8.00", None, currency="USD")
    Receivable.objects.filter(pk=usd_unpaid.pk).update(
        paid_at=cny.paid_from + timedelta(days=3), allocated=usd_unpaid.gross
    )
    assert Receivable.objects.get(pk=usd_unpaid.pk).paid_at == cny.paid_from + timedelta(days=3)


def test_the_generator_reads_the_period_s_receivables_only_whatever_the_history():
    """The index scan over receivables is bounded on both sides by the period (bench/growth.py found it bounded
    above only, reading every receivable paid before the period's end: a month's statements grew with history)."""
    params = {
        "prefix": "ST2026-10-",
        "kind": "monthly",
        "start": date(2026, 10, 1),
        "end": date(2026, 11, 1),
        "from": FROM,
        "to": TO,
        "draft": "draft",
        "action": "generate",
        "actor": "test",
        "tz": "Asia/Shanghai",
    }
    plan = plans.plan(sql.GENERATE, params)  # the plan a large table gets, on this small one

    scan = plan[plan.index("on settlements_receivable r") :]
    condition = scan[scan.index("Index Cond:") :].split("\n", 1)[0]
    assert "paid_at >=" in condition and "paid_at <" in condition, plan
