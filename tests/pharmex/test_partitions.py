"""Monthly partitions of custody hops and order events (issue 19 item 2; pharmex/partitions.py, orders 0016).

Rows land in the partition of their month, or in the default partition until the job gives their month a
partition of its own; the job creates months ahead idempotently; a month is detached only once every record in it
is past its retention period; the retention guard still refuses deletes; the migration keeps every row both ways.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from orders.models import CustodyHop, Order, OrderEvent, Shipment, ShipmentLine, TraceCode
from orders.selectors import shipment_codes, shipment_list, trace_get
from pharmex import partitions
from pharmex.actor import SYSTEM_ACTOR
from pharmex.calendar import add_months
from pharmex.models import AuditEvent
from pharmex.partition_jobs import partition_detach, partitions_detach_past_retention, partitions_maintain
from tests.factories import UserFactory
from tests.migrations import latest, migrate
from tests.orders.shipping import code
from tests.orders.test_custody import chain, sell  # noqa: F401 (the fixture)
from tests.partitions import drop_history_partitions

pytestmark = pytest.mark.django_db

HOPS, EVENTS = "orders_custodyhop", "orders_orderevent"
TODAY = partitions.month_start(datetime.now(UTC))


def where(table: str, pk: int) -> str:
    """The partition a row is stored in."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def names(table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [name for name, _ in partitions.partitions(cursor, table)]


def relkind(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        return cursor.fetchone()[0]


def at(year: int, month: int, day: int = 10) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture
def sold(chain):  # noqa: F811
    """A manufacturer's shipment of two coded boxes to a distributor: real hops and order events, this month."""
    drug, manufacturer, distributor, _ = chain
    order, response = sell(distributor, manufacturer, drug, [code(1), code(2)])
    assert response.status_code == 200, response.json()
    return order, Shipment.objects.get(order=order)


def old_order(order: Order, year: int) -> Order:
    """The order as if its business ended in `year`, with lots long expired: its records' retention is over."""
    moment = at(year, 1)
    Order.objects.filter(pk=order.pk).update(placed_at=moment, received_at=moment, closed_at=moment)
    ShipmentLine.objects.filter(shipment__order=order).update(expiry_date=date(year, 6, 1))
    return Order.objects.get(pk=order.pk)


def hop(shipment: Shipment, n: int, shipped_at: datetime, order: Order | None = None) -> CustodyHop:
    existing = CustodyHop.objects.filter(shipment=shipment).first()
    trace = TraceCode.objects.create(
        code=code(n), kind="national", drug_id=existing.code.drug_id, holder_id=shipment.buyer_id
    )
    return CustodyHop.objects.create(
        code=trace,
        shipment=shipment,
        shipment_line_id=existing.shipment_line_id,
        order=order or shipment.order,
        from_organization_id=shipment.supplier_id,
        to_organization_id=shipment.buyer_id,
        outcome="accepted",
        shipped_at=shipped_at,
    )


def event(order: Order, created_at: datetime) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, action="note", to_status=order.status, actor="t", created_at=created_at
    )


def test_tables_are_monthly_partitions_from_this_month_on_with_a_default():
    for table in (HOPS, EVENTS):
        assert relkind(table) == "p"
        found = names(table)
        assert f"{table}_default" in found
        for ahead in range(4):  # this month and PARTITIONS_MONTHS_AHEAD (3) more
            assert partitions.partition_name(table, add_months(TODAY, ahead)) in found


def test_rows_land_in_their_month_and_ids_come_from_the_owned_sequence(sold):
    order, shipment = sold
    this_month = partitions.partition_name(HOPS, TODAY)
    hops = list(CustodyHop.objects.filter(shipment=shipment))
    assert len(hops) == 2 and {where(HOPS, h.pk) for h in hops} == {this_month}
    assert {where(EVENTS, e.pk) for e in order.events.all()} == {partitions.partition_name(EVENTS, TODAY)}
    later = event(order, at(TODAY.year + 1, TODAY.month))  # a year on: no partition yet
    assert where(EVENTS, later.pk) == f"{EVENTS}_default"
    assert later.pk > max(e.pk for e in order.events.exclude(pk=later.pk))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [EVENTS])
        assert cursor.fetchone()[0] == f"public.{EVENTS}_id_seq"


def test_the_job_splits_rows_out_of_the_default_partition_and_creates_months_ahead_idempotently(sold):
    order, shipment = sold
    stray_month = add_months(TODAY, 14)
    stray = event(order, at(stray_month.year, stray_month.month))
    stray_hop = hop(shipment, 3, at(stray_month.year, stray_month.month))
    assert where(EVENTS, stray.pk) == f"{EVENTS}_default"
    before = OrderEvent.objects.count(), CustodyHop.objects.count()

    done = {result.table: result for result in partitions_maintain(months_ahead=6)}

    assert done[EVENTS].split == [stray_month] and done[HOPS].split == [stray_month]
    assert done[EVENTS].created == [add_months(TODAY, n) for n in (4, 5, 6)]
    assert where(EVENTS, stray.pk) == partitions.partition_name(EVENTS, stray_month)
    assert where(HOPS, stray_hop.pk) == partitions.partition_name(HOPS, stray_month)
    assert (OrderEvent.objects.count(), CustodyHop.objects.count()) == before  # moved, not copied or lost
    assert OrderEvent.objects.get(pk=stray.pk).created_at == stray.created_at
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {EVENTS}_default")
        assert cursor.fetchone()[0] == 0
    again = partitions_maintain(months_ahead=6)
    assert all(result.created == [] and result.split == [] for result in again)
    # The new default partition is a partition like the old one: the retention guard still refuses deletes there.
    late = event(order, at(TODAY.year + 3, 1))
    assert where(EVENTS, late.pk) == f"{EVENTS}_default"
    with pytest.raises(DatabaseError, match="records are retained"), transaction.atomic():
        OrderEvent.objects.filter(pk=late.pk).delete()


def test_the_retention_guard_refuses_deletes_through_the_parent_and_on_a_partition(sold):
    order, shipment = sold
    hop_id = CustodyHop.objects.filter(shipment=shipment).values_list("pk", flat=True).first()
    with pytest.raises(DatabaseError, match="records are retained"), transaction.atomic():
        CustodyHop.objects.filter(pk=hop_id).delete()
    with (
        pytest.raises(DatabaseError, match="records are retained"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {partitions.partition_name(EVENTS, TODAY)} WHERE order_id = %s", [order.pk])
    # Moving a retained row to another month is a delete from its partition: refused as well.
    with pytest.raises(DatabaseError, match="records are retained"), transaction.atomic():
        CustodyHop.objects.filter(pk=hop_id).update(shipped_at=at(2020, 1))
    assert CustodyHop.objects.filter(pk=hop_id).exists()


def test_a_month_is_detached_only_when_all_its_records_are_past_retention(chain, settings):  # noqa: F811
    drug, manufacturer, distributor, hospital = chain
    settings.PARTITIONS_DETACH_ENABLED = True
    gone, _ = sell(distributor, manufacturer, drug, [code(1)])
    gone = old_order(gone, 2018)
    current, _ = sell(hospital, distributor, drug, [code(1)])  # within retention
    # March 2019: records of the old order only. April 2019: also an event of the order still within retention.
    march = [event(gone, at(2019, 3)), event(gone, at(2019, 3, 20))]
    april = [event(gone, at(2019, 4)), event(current, at(2019, 4))]
    hop(Shipment.objects.get(order=gone), 7, at(2019, 3))
    partitions_maintain()  # gives 2019-03 and 2019-04 their partitions
    assert where(EVENTS, march[0].pk) == f"{EVENTS}_p2019_03"

    with pytest.raises(partitions.PartitionRetained, match="within the 5-year retention"):
        partition_detach(table=EVENTS, month=TODAY)
    with pytest.raises(partitions.PartitionRetained, match="records of 1 orders still within"):
        partition_detach(table=EVENTS, month=date(2019, 4, 1))
    with pytest.raises(CommandError, match="refused"):
        call_command("partitions", "detach", table=EVENTS, month=TODAY.strftime("%Y-%m"))

    result = partitions_detach_past_retention()

    assert result.enabled
    assert set(result.detached) == {f"{EVENTS}_p2019_03", f"{HOPS}_p2019_03"}
    assert f"{EVENTS}_p2019_04" in result.kept
    assert f"{EVENTS}_p2019_03" not in names(EVENTS) and relkind(f"{EVENTS}_p2019_03") == "r"  # kept, to archive
    assert not OrderEvent.objects.filter(pk__in=[e.pk for e in march]).exists()
    assert OrderEvent.objects.filter(pk__in=[e.pk for e in april]).count() == 2
    assert AuditEvent.objects.filter(action="partition.detached", object_id=f"{EVENTS}_p2019_03").exists()

    settings.PARTITIONS_DETACH_ENABLED = False
    assert not partitions_detach_past_retention().enabled
    with pytest.raises(partitions.PartitionRetained, match="off"):
        partition_detach(table=EVENTS, month=date(2019, 4, 1))


def test_queries_carry_the_partition_key(sold, client):
    order, shipment = sold
    with transaction.atomic():
        partitions_maintain(
            history=(date(2025, 1, 1), datetime.now(UTC))
        )  # older months exist, as on a platform with history
    assert CustodyHop.objects.of_shipment(shipment).count() == CustodyHop.objects.filter(shipment=shipment).count() == 2
    this_month = partitions.partition_name(HOPS, TODAY)
    plan = CustodyHop.objects.of_shipment(shipment).explain()
    assert this_month in plan and f"{HOPS}_p2025_01" not in plan and f"{HOPS}_default" not in plan

    # A trace lookup reads the partitions between the code's first hop and its last only: not the older months,
    # nor the months after (created ahead here; on a platform with years of history, every later month).
    with CaptureQueriesContext(connection) as queries:
        trace = trace_get(actor=SYSTEM_ACTOR, code=code(1))
    assert len(trace.hops) == 1 and trace.code.last_hop_at == trace.hops[0].shipped_at
    (hop_query,) = [q["sql"] for q in queries.captured_queries if f'FROM "{HOPS}"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {hop_query}")
        bounded = "\n".join(row[0] for row in cursor.fetchall())
    next_month = partitions.partition_name(HOPS, add_months(TODAY, 1))
    assert next_month in names(HOPS)
    assert this_month in bounded and f"{HOPS}_p2025_01" not in bounded and next_month not in bounded
    assert f"{HOPS}_default" not in bounded

    events = OrderEvent.objects.filter(order=order, created_at__gte=order.placed_at)
    assert f"{EVENTS}_p2025_01" not in events.explain() and events.count() == order.events.count()

    # The admin site's page of a code lists its hops read the same way.
    client.force_login(UserFactory(staff_role="admin", is_staff=True, is_superuser=True))
    trace_code = TraceCode.objects.get(code=code(1))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/admin/orders/tracecode/{trace_code.pk}/change/")
    assert page.status_code == 200 and page.context["inline_admin_formsets"][0].formset.queryset.count() == 1
    (hop_query,) = [q["sql"] for q in queries.captured_queries if f'FROM "{HOPS}"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {hop_query}")
        bounded = "\n".join(row[0] for row in cursor.fetchall())
    assert this_month in bounded and f"{HOPS}_p2025_01" not in bounded and next_month not in bounded

    # The codes export of a shipment or of a range of received ones (a subquery of shipments): its months only.
    exported = shipment_codes(shipments=Shipment.objects.filter(pk=shipment.pk))
    assert sorted(hop.code.code for hop in exported) == sorted([code(1), code(2)])
    plan = exported.explain()
    assert this_month in plan and f"{HOPS}_p2025_01" not in plan and f"{HOPS}_default" not in plan
    assert next_month not in plan
    assert list(shipment_codes(shipments=Shipment.objects.none())) == []


def rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")
        return cursor.fetchall()


def shape(table: str) -> dict:
    """Indexes, constraints and triggers by name (what the conversion must carry over)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass", [table])
        indexes = sorted(name for (name,) in cursor.fetchall())
        cursor.execute("SELECT conname, contype FROM pg_constraint WHERE conrelid = %s::regclass", [table])
        constraints = sorted(cursor.fetchall())
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table])
        triggers = sorted(name for (name,) in cursor.fetchall())
    return {"indexes": indexes, "constraints": constraints, "triggers": triggers}


@pytest.fixture
def history_partitions():
    yield
    drop_history_partitions()


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_seeded_tables_both_ways_keeping_every_row(sold, history_partitions):
    order, shipment = sold
    event(order, at(2024, 2))  # history older than the months the migration created
    hop(shipment, 5, at(2024, 2))
    event(order, at(TODAY.year + 2, 1))  # beyond them: in the default partition
    newest = latest()
    seeded = {table: rows(table) for table in (HOPS, EVENTS)}
    partitioned_shape = {table: shape(table) for table in (HOPS, EVENTS)}

    migrate([("orders", "0015_order_line_payer_fund")])

    for table in (HOPS, EVENTS):
        assert relkind(table) == "r" and rows(table) == seeded[table]
        assert f"{table}_pkey" in shape(table)["indexes"]
    plain = event(order, at(2024, 3))  # the identity goes on after the copied ids
    assert plain.pk > max(row[0] for row in seeded[EVENTS])
    seeded[EVENTS] = rows(EVENTS)
    with pytest.raises(DatabaseError, match="records are retained"), transaction.atomic():
        OrderEvent.objects.filter(pk=plain.pk).delete()

    migrate(newest)

    for table in (HOPS, EVENTS):
        assert relkind(table) == "p" and rows(table) == seeded[table]
        assert shape(table) == partitioned_shape[table]  # same names: Django's later migrations find them
    assert where(EVENTS, plain.pk) == f"{EVENTS}_p2024_03"
    assert where(HOPS, CustodyHop.objects.get(code__code=code(5)).pk) == f"{HOPS}_p2024_02"
    assert "orders_orderevent_p2024_02" in names(EVENTS)  # every month from the oldest row on
    assert TraceCode.objects.get(code=code(5)).last_hop_at == at(2024, 2)  # orders 0018: from its newest hop
    newest = event(order, datetime.now(UTC))
    assert newest.pk > plain.pk
    with pytest.raises(DatabaseError, match="records are retained"), transaction.atomic():
        OrderEvent.objects.filter(pk=plain.pk).delete()


def test_the_beat_jobs_are_scheduled_and_run_idempotently():
    from pharmex.schedules import SCHEDULES
    from pharmex.tasks import partitions_detach_task, partitions_maintain_task

    scheduled = {schedule["task"] for schedule in SCHEDULES}
    assert {"pharmex.tasks.partitions_maintain_task", "pharmex.tasks.partitions_detach_task"} <= scheduled
    first = partitions_maintain_task()
    assert partitions_maintain_task() == {table: {"created": 0, "split": 0} for table in (HOPS, EVENTS)}
    assert set(first) == {HOPS, EVENTS}
    assert partitions_detach_task() == {"enabled": False, "detached": [], "kept": 0}  # off by default
    call_command("partitions", "maintain")


def test_the_job_gives_up_rather_than_queue_inserts_behind_a_long_reader(settings):
    """A transaction still reading the table (an export, say) holds a lock the DDL must wait for; while the DDL
    waited, every insert would queue behind it. The job gives up after PARTITIONS_LOCK_TIMEOUT and changes nothing;
    the next run succeeds."""
    settings.PARTITIONS_LOCK_TIMEOUT = "200ms"
    params = connection.get_connection_params()
    reader = psycopg.connect(**{key: params[key] for key in ("host", "port", "user", "dbname") if key in params})
    try:
        reader.execute(f"SELECT count(*) FROM {EVENTS}")  # its transaction stays open, holding the read lock
        before = names(EVENTS)
        with pytest.raises(OperationalError, match="lock timeout"):
            partitions_maintain(months_ahead=8)
        assert names(EVENTS) == before
    finally:
        reader.close()
    assert [result.created for result in partitions_maintain(months_ahead=8)][1] != []


def test_shipments_with_their_hops_read_them_by_the_partition_key_in_one_query(sold, django_assert_num_queries):
    _, shipment = sold
    with CaptureQueriesContext(connection) as queries:
        (listed,) = list(shipment_list(actor=SYSTEM_ACTOR).with_hops().filter(pk=shipment.pk))
    assert len(queries) == 3  # shipments, their lines, the lines' hops
    assert '"orders_custodyhop"."shipped_at" IN' in queries[2]["sql"]
    codes = [hop.code.code for line in listed.lines.all() for hop in line.hops.all()]
    assert codes == [code(1), code(2)]
    with django_assert_num_queries(0):
        assert [hop.code.code for line in listed.lines.all() for hop in line.hops.all()] == codes
    assert shipment_list(actor=SYSTEM_ACTOR).with_hops().filter(pk=shipment.pk).values_list("pk", flat=True)[0] == (
        shipment.pk
    )
