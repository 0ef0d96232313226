"""Smoke check of bench/growth.py at a tiny size: the seeded history satisfies production's invariants, every
measurement runs, the report renders. No timing is asserted (the numbers of a tiny run mean nothing)."""

from __future__ import annotations

import pytest
from django.db import connection

from bench import growth
from pharmex.audit import verify_audit_chain
from tests.partitions import drop_history_partitions

pytestmark = pytest.mark.django_db(transaction=True)  # the bench commits, as production writes do


@pytest.fixture
def tiny(monkeypatch):
    for name, value in {
        "N_SUPPLIERS": 3,
        "N_BUYERS": 6,
        "OFFERS_PER_SUPPLIER": 4,
        "N_PLACE": 3,
        "N_READS": 2,
        "N_TRACE": 5,
        "SHIP_CODES": 20,
        "AUDIT_NEW": 30,
        "QUIET_LIMIT": 1.0,
    }.items():
        monkeypatch.setattr(growth, name, value)


@pytest.fixture
def history_partitions():
    yield
    drop_history_partitions()


def test_growth_bench_smoke(tiny, history_partitions, tmp_path):
    results = growth.run(base=72, sizes=[1, 4], codes_per_line=2, reps=1)  # 2 orders a month, 12 then 48 months

    assert sorted(results) == [1, 4]
    for by_name in results.values():
        assert all(result.service > 0 and result.floor > 0 for result in by_name.values())

    # What was seeded holds what production writes hold.
    assert verify_audit_chain(full=True).intact  # the chain, across both growth steps and the bench's own records
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT entry_id FROM settlements_posting GROUP BY entry_id "
            "HAVING sum(amount) <> 0) unbalanced"
        )
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT count(*) FROM orders_tracecode c JOIN orders_custodyhop h ON h.code_id = c.id "
            "WHERE h.outcome = 'accepted' AND c.holder_id <> h.to_organization_id"
        )
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(*) FROM orders_order WHERE placed_by = 'bench'")
        assert cursor.fetchone() == (48 * 2,)
        cursor.execute("SELECT count(*) FROM orders_custodyhop h JOIN orders_order o ON o.id = h.order_id "
                       "WHERE o.placed_by = 'bench'")  # fmt: skip
        assert cursor.fetchone() == (48 * 2 * growth.LINES_PER_ORDER * 2,)
        # COPY wrote each month's hops and events into that month's partition, none into the default ones.
        for table in ("orders_custodyhop", "orders_orderevent"):
            cursor.execute(f"SELECT count(*) FROM {table}_default")
            assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(DISTINCT tableoid) FROM orders_custodyhop")
        assert cursor.fetchone()[0] >= 48

    report = growth.table(results)
    assert "| placement |" in report and "flatness (4×S ÷ 1×S)" in report
    growth.chart(results, tmp_path / "growth.png", "smoke")
    assert (tmp_path / "growth.png").read_bytes().startswith(b"\x89PNG")
