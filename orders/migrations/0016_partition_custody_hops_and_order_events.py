"""Custody hops and order events become monthly RANGE partitions (issue 19 item 2; docs/scaling.md,
"Partitioning"): custody hops on `shipped_at`, order events on `created_at`.

The model state does not change (Django has no partitions); the database side is pharmex/partitions.py, which
keeps every row and id, recreates the indexes, foreign keys and triggers (the records retention guard included)
on the parent, and widens the primary key and the unique keys with the partition column. The custody hop's
unique keys stay as strict as before: every hop of a shipment carries the shipment's `created_at` as `shipped_at`
(orders/services/custody.py), every hop of a return the one moment it was shipped back, which happens once, in
the transition to shipped back (orders/services/returns.py).
"""

from django.db import migrations

from pharmex.partitions import convert_to_partitioned, convert_to_plain

TABLES = [("orders_custodyhop", "shipped_at"), ("orders_orderevent", "created_at")]


def partition(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table, column in TABLES:
            convert_to_partitioned(cursor, table, column)


def unpartition(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for table, column in TABLES:
            convert_to_plain(cursor, table, column)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0015_order_line_payer_fund"),
        ("records", "0002_lines_of_placed_orders"),  # its retention guard triggers move to the parents
    ]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(partition, unpartition)], state_operations=[]
        )
    ]
