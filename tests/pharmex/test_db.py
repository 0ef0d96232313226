"""pharmex.db: hand-written SQL must read and write model instances exactly as the ORM does."""

import gc
from decimal import Decimal

import pytest
from django.db import DataError, connection, connections, models, transaction
from django.db.models.functions import Now, Upper
from django.db.models.signals import post_save
from django.test.utils import isolate_apps
from django.utils import timezone

from catalog.models import Drug
from pharmex.checks import raw_inserts_skip_nothing
from pharmex.db import (
    InsertColumns,
    RawInsertRefused,
    advisory_xact_lock,
    any_of,
    insert_columns_refusals,
    lock_timeout,
    mark_saved,
    try_advisory_xact_lock,
)
from pharmex.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def _insert(key: IdempotencyKey) -> None:
    columns = InsertColumns(IdempotencyKey)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {columns.table} ({columns.columns}) VALUES ({columns.placeholders()}) RETURNING id",
            columns.values(key),
        )
        mark_saved(key, cursor.fetchone()[0])


def test_inserted_values_read_back_as_written():
    key = IdempotencyKey(
        scope="org:1",
        key="k",
        method="POST",
        path="/api/v1/orders/",
        fingerprint="f" * 64,
        response_status=201,
        response_body={"total": "12.35", "lines": [1, 2]},
        created_at=timezone.now(),
    )
    _insert(key)
    assert _fields(IdempotencyKey.objects.get(pk=key.pk)) == _fields(key)


def _insert_as_json(keys: list[IdempotencyKey]) -> None:
    columns = InsertColumns(IdempotencyKey)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {columns.table} ({columns.columns}) SELECT {columns.aliased_columns('row')} "
            f"FROM {columns.recordset('row')} RETURNING id",
            [columns.rows_json(keys)],
        )
        for key, (pk,) in zip(keys, sorted(cursor.fetchall()), strict=True):
            mark_saved(key, pk)


def test_rows_as_json_read_back_as_written_json_fields_and_order_included():
    keys = [
        IdempotencyKey(
            scope="org:1",
            key=f"k{n}",
            method="POST",
            path="/api/v1/orders/",
            fingerprint="f" * 64,
            response_status=201,
            response_body={"total": "12.35", "lines": [1, n], "nested": {"ünïcode": None, "float": 0.1}},
            response_headers={"ETag": f'"{n}"'},
            created_at=timezone.now(),
        )
        for n in range(3)
    ]
    _insert_as_json(keys)
    # the ids rise in the order of the rows: the parameter's array is read in order
    assert [key.key for key in IdempotencyKey.objects.order_by("pk")] == ["k0", "k1", "k2"]
    for key in keys:
        assert _fields(IdempotencyKey.objects.get(pk=key.pk)) == _fields(key)


def test_rows_as_json_refuse_what_the_json_field_itself_refuses():
    # A JSONField's value goes as the text its own encoder writes: what that encoder cannot encode is refused
    # loudly, never guessed at (here a Decimal, which Django's default encoder refuses too).
    key = IdempotencyKey(
        scope="org:1", key="k", method="POST", path="/", fingerprint="f", response_body={"a": Decimal("1.10")}
    )

    with pytest.raises(TypeError, match="Decimal is not JSON serializable"):
        InsertColumns(IdempotencyKey).rows_json([key])


def test_a_value_too_long_for_its_column_is_refused_not_truncated():
    key = IdempotencyKey(
        scope="org:1", key="k" * 256, method="POST", path="/", fingerprint="f", created_at=timezone.now()
    )
    with pytest.raises(DataError):
        _insert(key)


def test_a_model_with_its_own_save_is_refused():
    columns = InsertColumns(Drug)
    assert columns.refusal() == "catalog.Drug overrides save()"
    with pytest.raises(RawInsertRefused):
        columns.values(Drug(generic_name="x"))
    assert "catalog.Drug overrides save()" in " ".join(insert_columns_refusals())


def test_a_model_with_save_receivers_is_refused_and_the_system_check_says_so():

    gc.collect()  # InsertColumns of earlier tests, held by their tracebacks' reference cycles
    columns = InsertColumns(IdempotencyKey)

    def receiver(**kwargs):  # pragma: no cover - never called: the insert is refused first
        raise AssertionError

    post_save.connect(receiver, sender=IdempotencyKey, weak=False)
    try:
        assert columns.refusal() == "pharmex.IdempotencyKey has post_save receivers"
        assert [e.id for e in raw_inserts_skip_nothing() if "IdempotencyKey" in e.msg] == ["pharmex.E001"]
    finally:
        post_save.disconnect(receiver, sender=IdempotencyKey)
    assert columns.refusal() is None
    assert [e for e in raw_inserts_skip_nothing() if "IdempotencyKey" in e.msg] == []


@isolate_apps("pharmex")
def test_generated_and_database_default_columns_are_left_to_the_database():
    class Row(models.Model):
        name = models.CharField(max_length=10)
        stamped = models.DateTimeField(db_default=Now())
        upper = models.GeneratedField(
            expression=Upper("name"), output_field=models.CharField(max_length=10), db_persist=True
        )

        class Meta:
            app_label = "pharmex"

        def __str__(self) -> str:
            return self.name

    assert [field.name for field in InsertColumns(Row).fields] == ["name"]


def test_lock_timeout_applies_inside_and_is_restored_after():
    with transaction.atomic():
        before = connection.cursor().execute("SELECT current_setting('lock_timeout')").fetchone()[0]
        with lock_timeout("1500ms"):
            inside = connection.cursor().execute("SELECT current_setting('lock_timeout')").fetchone()[0]
        after = connection.cursor().execute("SELECT current_setting('lock_timeout')").fetchone()[0]
    assert (inside, after) == ("1500ms", before)


def test_connections_run_without_jit_compilation():
    # A query whose estimate passes jit_above_cost is compiled first: 420 ms for a page of ledger balances that runs
    # in 2 (BENCHMARKS.md); every connection the platform opens turns it off.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('statement_timeout')")
        jit, timeout = cursor.fetchone()
    assert jit == "off" and timeout != "0"


def _plans(statement: str) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = %s", [statement]
        )
        ((generic, custom),) = cursor.fetchall()
    return generic, custom


@pytest.mark.django_db(transaction=True)
def test_any_of_is_planned_once_where_a_plain_any_is_planned_for_each_array():
    connection.close()  # prepared statements live as long as the connection: start without any
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.numbers")
        cursor.execute("CREATE TEMPORARY TABLE numbers AS SELECT n AS id FROM generate_series(1, 10000) AS n")
        cursor.execute("ALTER TABLE numbers ADD PRIMARY KEY (id)")
        cursor.execute("ANALYZE numbers")
    carts = [[n, n + 5, n + 9] for n in range(1, 17)]  # 16 runs: psycopg prepares after the fifth
    plain = "SELECT id FROM numbers WHERE id = ANY(%s)"
    hidden = f"SELECT id FROM numbers WHERE id = {any_of('%s::bigint[]')}"
    for ids in carts:
        for statement in (plain, hidden):
            with connection.cursor() as cursor:
                cursor.execute(statement, [ids])
                assert sorted(row[0] for row in cursor.fetchall()) == ids
    # Prepared from the sixth run: 11 executions. PostgreSQL tries five custom plans, then keeps the generic one
    # only when it costs no more than they did, which a plain ANY's never does.
    assert _plans(hidden.replace("%s", "$1")) == (6, 5)
    assert _plans(plain.replace("%s", "$1")) == (0, 11)


# An index whose columns begin another btree's, or are another's, with the same operator classes, serves no lookup
# the other cannot, and costs an index entry on every row written: a single-column foreign-key index beside
# `(column, id DESC)` or a unique `(column, other)`. Partitions are left out: their indexes are their parent's.
# Exempt: Django's own tables and the many-to-many tables it creates, whose foreign-key index beside the unique
# pair is Django's to define (changing it takes a custom through model).
DJANGO_TABLES = ["auth_permission", "auth_group_permissions", "accounts_user_groups", "accounts_user_user_permissions",
                 "firstbusiness_document_scope_drugs", "procurement_deliverydesignation_buyers",
                 "procurement_upstreaminvoice_lines"]  # fmt: skip
REDUNDANT_INDEXES = """
    WITH index AS (
        SELECT index_class.relname AS name, table_class.relname AS table_name, pg_index.indisunique AS is_unique,
               pg_index.indpred IS NOT NULL AS partial, string_to_array(pg_index.indkey::text, ' ')::int[] AS columns,
               string_to_array(pg_index.indclass::text, ' ')::oid[] AS classes,
               EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = table_class.oid) AS is_partition
        FROM pg_index
        JOIN pg_class AS table_class ON table_class.oid = pg_index.indrelid
        JOIN pg_class AS index_class ON index_class.oid = pg_index.indexrelid
        JOIN pg_namespace ON pg_namespace.oid = table_class.relnamespace AND pg_namespace.nspname = 'public'
        JOIN pg_am ON pg_am.oid = index_class.relam AND pg_am.amname = 'btree'
        WHERE table_class.relname <> ALL(%s)
    )
    SELECT covered.name, covering.name FROM index AS covered
    JOIN index AS covering ON covering.table_name = covered.table_name AND covering.name <> covered.name
    WHERE NOT covered.is_unique AND NOT covered.partial AND NOT covering.partial AND NOT covered.is_partition
      AND 0 <> ALL(covered.columns)  -- no expression
      AND covered.columns = covering.columns[1:cardinality(covered.columns)]
      AND covered.classes = covering.classes[1:cardinality(covered.columns)]
      AND (cardinality(covered.columns) < cardinality(covering.columns)
           OR covering.is_unique OR covering.name < covered.name)  -- the same columns twice: report one
    ORDER BY 1, 2
"""


def test_no_table_keeps_an_index_another_already_covers():
    with connection.cursor() as cursor:
        cursor.execute(REDUNDANT_INDEXES, [DJANGO_TABLES])
        assert cursor.fetchall() == []
        # the check sees one made for the test, and a twin of a unique index (not a `_like` one of the same column)
        cursor.execute("CREATE INDEX redundant_for_the_test ON orders_order (buyer_id)")
        cursor.execute("CREATE INDEX redundant_twin_for_the_test ON orders_order (number)")
        cursor.execute("CREATE INDEX prefix_search_for_the_test ON orders_order (number varchar_pattern_ops)")
        cursor.execute(REDUNDANT_INDEXES, [DJANGO_TABLES])
        assert cursor.fetchall() == [
            ("redundant_for_the_test", "order_buyer_recent"),
            ("redundant_twin_for_the_test", "order_number_unique"),
        ]


# Django gives a unique or indexed text column a second btree with `varchar_pattern_ops`, for `LIKE 'x%'`. Nothing
# searches these columns by prefix, and each is written on every order placed, code shipped or shipment line.
UNIQUE_WITHOUT_PREFIX_SEARCH = {"orders_order": "number", "orders_tracecode": "code"}


def test_order_numbers_trace_codes_and_lots_carry_no_prefix_search_index():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT index_class.relname FROM pg_index
            JOIN pg_class AS index_class ON index_class.oid = pg_index.indexrelid
            JOIN pg_opclass ON pg_opclass.oid = ANY(string_to_array(pg_index.indclass::text, ' ')::oid[])
            WHERE pg_index.indrelid = ANY(%s::regclass[]) AND pg_opclass.opcname LIKE '%%pattern_ops'
            """,
            [[*UNIQUE_WITHOUT_PREFIX_SEARCH, "orders_shipmentline"]],
        )
        assert cursor.fetchall() == []
        for table, column in UNIQUE_WITHOUT_PREFIX_SEARCH.items():  # still unique
            cursor.execute(
                "SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass AND indisunique AND indnatts = 1 "
                "AND indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s)",
                [table, table, column],
            )
            assert cursor.fetchone() == (1,), table


@pytest.mark.django_db(transaction=True)
def test_a_named_advisory_lock_is_held_until_the_transaction_ends():
    other = connections.create_connection("default")
    try:
        with transaction.atomic():
            advisory_xact_lock("test-lock")
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", ["test-lock"])
                assert cursor.fetchone()[0] is False
        assert try_advisory_xact_lock("unrelated") is True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", ["test-lock"])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()
