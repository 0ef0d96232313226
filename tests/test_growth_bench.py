"""Smoke check of bench/growth.py at a tiny size: the seeded history satisfies production's invariants, every
measurement runs, the report renders. No timing is asserted (the numbers of a tiny run mean nothing)."""

from __future__ import annotations

from decimal import Decimal

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

    # What was seeded holds what production writes hold, and the triggers seeding switched off are on again.
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone() == ("origin",)
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

    # Measured again without seeding (--measure-only), as after a code change on a full-size database.
    again = growth.measure_only(base=72, size=4, reps=1)
    assert list(again) == [4] and all(result.service > 0 for result in again[4].values())

    report = growth.table(results)
    assert "| placement |" in report and "flatness (4×S ÷ 1×S)" in report
    assert "service cost (4×S ÷ 1×S)" in report and "floor cost (4×S ÷ 1×S)" in report
    # a cost that doubled reads 2 whether it is a time that doubled or a rate that halved
    assert growth.cost_growth(10.0, 20.0, growth.Result(10.0, 1.0, "ms")) == 2
    assert growth.cost_growth(200.0, 100.0, growth.Result(200.0, 1.0, "orders/s", throughput=True)) == 2
    growth.chart(results, tmp_path / "growth.png", "smoke")
    assert (tmp_path / "growth.png").read_bytes().startswith(b"\x89PNG")
    # --report: one table and chart from several runs' files, a later file's sizes winning
    (tmp_path / "full.json").write_text(growth.results_json(results, base=72))
    (tmp_path / "again.json").write_text(growth.results_json(again, base=72))
    growth.report_files(72, [tmp_path / "full.json", tmp_path / "again.json"])
    assert (tmp_path / "growth-S72-report.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("breakage", ["dangling account", "unbalanced entry"])
def test_what_seeding_skips_per_row_is_checked_for_the_whole_step(breakage):
    """Seeding COPYs with the per-row triggers off (session_replication_role = replica); verify_seeded must then
    refuse a step with a foreign key that resolves nowhere or a journal entry that does not balance."""
    from settlements.models import JournalEntry, LedgerAccount, Posting

    bank = LedgerAccount.objects.create(kind="platform_bank", currency="CNY")
    revenue = LedgerAccount.objects.create(kind="commission_revenue", currency="CNY")
    before = growth.seeded_maxima()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        entry = JournalEntry.objects.create(kind="payment", source_type="bench", source_id="1", created_by="bench")
        other = revenue.pk if breakage == "unbalanced entry" else 987_654_321
        Posting.objects.create(entry=entry, account=bank, amount=Decimal("10.00"))
        Posting.objects.create(entry=entry, account_id=other, amount=Decimal("-9.99" if other == revenue.pk else "-10"))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = origin")

    expected = "do not balance" if breakage == "unbalanced entry" else "settlements_posting.account_id name no"
    with pytest.raises(AssertionError, match=expected):
        growth.verify_seeded(before)


def test_side_by_side_rounds_give_medians_and_each_rounds_flatness():
    """--side-by-side: each side's median over the rounds, and a flatness per round from that round's two sizes."""
    ms, rate = "ms", "orders/s"
    rounds = [
        {1: {"list": growth.Result(10.0, 1.0, ms), "placement": growth.Result(90.0, 100.0, rate, throughput=True)},
         16: {"list": growth.Result(22.0, 2.0, ms), "placement": growth.Result(80.0, 100.0, rate, throughput=True)}},
        {1: {"list": growth.Result(30.0, 2.0, ms), "placement": growth.Result(50.0, 100.0, rate, throughput=True)},
         16: {"list": growth.Result(30.0, 2.0, ms), "placement": growth.Result(50.0, 50.0, rate, throughput=True)}},
        {1: {"list": growth.Result(20.0, 1.0, ms), "placement": growth.Result(70.0, 70.0, rate, throughput=True)},
         16: {"list": growth.Result(40.0, 2.0, ms), "placement": growth.Result(70.0, 70.0, rate, throughput=True)}},
    ]  # fmt: skip

    medians, flatness = growth.combine_rounds(rounds)

    assert flatness == {"list": [1.1, 1.0, 1.0], "placement": [0.8 / 0.9, 2.0, 1.0]}
    assert (medians[1]["list"].service, medians[1]["list"].floor) == (20.0, 1.0)
    assert (medians[16]["list"].service, medians[16]["list"].floor) == (30.0, 2.0)
    assert medians[16]["placement"].throughput and medians[16]["placement"].unit == rate
    report = growth.flatness_table(flatness)
    assert "| operation | round 1 | round 2 | round 3 | median |" in report
    assert "| list | 1.10 | 1.00 | 1.00 | 1.00 |" in report and "| placement | 0.89 | 2.00 | 1.00 | 1.00 |" in report
