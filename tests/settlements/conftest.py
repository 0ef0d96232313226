from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection

from accounts.choices import MemberRole, OrganizationKind
from accounts.models import Organization, User
from tests.conftest import client_for
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory


@dataclass
class Parties:
    supplier: Organization
    buyer: Organization
    supplier_finance: User
    buyer_finance: User
    offer: object

    def supplier_client(self):
        return client_for(self.supplier_finance)

    def buyer_client(self):
        return client_for(self.buyer_finance)


@pytest.fixture
def parties(db) -> Parties:
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="海南康泰医药有限公司")
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY, legal_name="海口康宁大药房")
    return Parties(
        supplier=supplier,
        buyer=buyer,
        supplier_finance=MembershipFactory(organization=supplier, role=MemberRole.FINANCE).user,
        buyer_finance=MembershipFactory(organization=buyer, role=MemberRole.FINANCE).user,
        offer=OfferFactory(supplier=supplier, unit_price=Decimal("100.00")),
    )


LEDGER_INVARIANTS = {
    # LED-1 every entry balances per currency
    "unbalanced_entries": "SELECT entry_id, currency FROM settlements_posting GROUP BY 1, 2 HAVING sum(amount) <> 0",
    # LED-2 the whole book balances
    "unbalanced_book": "SELECT currency FROM settlements_posting GROUP BY 1 HAVING sum(amount) <> 0",
    # LED-4 cached balances equal the postings: each checkpoint is the sum of its account's postings through it
    "checkpoint_balances": "SELECT c.account_id FROM settlements_balancecheckpoint c WHERE c.balance <> coalesce(("
    "SELECT sum(p.amount) FROM settlements_posting p WHERE p.account_id = c.account_id "
    "AND p.id <= c.through_posting), 0)",
    # LED-6 an entry is reversed at most once
    "double_reversals": "SELECT reverses_id FROM settlements_journalentry WHERE reverses_id IS NOT NULL "
    "GROUP BY 1 HAVING count(*) > 1",
    # LED-7 one business event, one entry of a kind
    "duplicate_events": "SELECT source_type, source_id, kind FROM settlements_journalentry GROUP BY 1, 2, 3 "
    "HAVING count(*) > 1",
    # receivable caches equal their allocations; payment caches too
    "receivable_cache": "SELECT r.id FROM settlements_receivable r LEFT JOIN (SELECT receivable_id, sum(amount) s "
    "FROM settlements_paymentallocation GROUP BY 1) a ON a.receivable_id = r.id WHERE r.allocated <> coalesce(a.s, 0)",
    "payment_cache": "SELECT p.id FROM settlements_payment p LEFT JOIN (SELECT payment_id, sum(amount) s "
    "FROM settlements_paymentallocation GROUP BY 1) a ON a.payment_id = p.id "
    "WHERE p.reversed_at IS NULL AND p.amount - coalesce(a.s, 0) - p.refunded <> p.unallocated",
    # each receivable's buyer account moved by exactly its gross (receipt) net of reversals
    "statement_totals": "SELECT s.id FROM settlements_statement s LEFT JOIN (SELECT statement_id, count(*) n, "
    "sum(gross) g, sum(commission) c FROM settlements_statementline GROUP BY 1) l ON l.statement_id = s.id "
    "WHERE (s.line_count <> coalesce(l.n, 0) OR s.gross <> coalesce(l.g, 0) "
    "OR s.commission <> coalesce(l.c, 0) "
    "OR s.net <> s.gross - s.commission + s.adjustments - s.credits + s.carried_in)",
    # receivable balance of each buyer = open receivables − unapplied credit
    "buyer_balances": "SELECT a.organization_id FROM settlements_ledgeraccount a "
    "LEFT JOIN (SELECT account_id, sum(amount) s FROM settlements_posting GROUP BY 1) p ON p.account_id = a.id "
    "LEFT JOIN (SELECT buyer_id, sum(gross - fund_gross - allocated) o FROM settlements_receivable "
    "WHERE reversed_at IS NULL "
    "GROUP BY 1) r ON r.buyer_id = a.organization_id "
    "LEFT JOIN (SELECT buyer_id, sum(unallocated) u FROM settlements_payment WHERE reversed_at IS NULL GROUP BY 1) c "
    "ON c.buyer_id = a.organization_id "
    "WHERE a.kind = 'buyer_receivable' AND coalesce(p.s, 0) <> coalesce(r.o, 0) - coalesce(c.u, 0)",
    # 医保基金直接结算: the fund's caches equal its allocations, and each fund's receivable balance is its open
    # part of orders less its unapplied payments (never a buyer's dues)
    "fund_receivable_cache": "SELECT r.id FROM settlements_receivable r LEFT JOIN (SELECT receivable_id, "
    "sum(amount) s FROM settlements_fundallocation GROUP BY 1) a ON a.receivable_id = r.id "
    "WHERE r.fund_allocated <> coalesce(a.s, 0)",
    "fund_payment_cache": "SELECT p.id FROM settlements_fundpayment p LEFT JOIN (SELECT payment_id, sum(amount) s "
    "FROM settlements_fundallocation GROUP BY 1) a ON a.payment_id = p.id "
    "WHERE p.reversed_at IS NULL AND p.amount - coalesce(a.s, 0) - p.refunded <> p.unallocated",
    "fund_balances": "SELECT a.fund_id FROM settlements_ledgeraccount a "
    "LEFT JOIN (SELECT account_id, sum(amount) s FROM settlements_posting GROUP BY 1) p ON p.account_id = a.id "
    "LEFT JOIN (SELECT fund_id, sum(fund_gross - fund_allocated) o FROM settlements_receivable "
    "WHERE reversed_at IS NULL AND fund_id IS NOT NULL GROUP BY 1) r ON r.fund_id = a.fund_id "
    "LEFT JOIN (SELECT fund_id, sum(unallocated) u FROM settlements_fundpayment WHERE reversed_at IS NULL "
    "GROUP BY 1) c ON c.fund_id = a.fund_id "
    "WHERE a.kind = 'fund_receivable' AND coalesce(p.s, 0) <> coalesce(r.o, 0) - coalesce(c.u, 0)",
}


def assert_ledger_invariants() -> None:
    """Every LED invariant as SQL (RELIABILITY §3): each query returns no rows."""
    violations = {}
    with connection.cursor() as cursor:
        for name, sql in LEDGER_INVARIANTS.items():
            cursor.execute(sql)
            rows = cursor.fetchall()
            if rows:
                violations[name] = rows
    assert violations == {}
