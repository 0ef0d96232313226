"""A trace code's `created_at` is no later than its first custody hop, so a trace lookup can bound the hops it reads
by it (the partition key, orders 0016). Codes backfilled from first shipments (orders 0005) were stamped with the
migration's time instead: they take their first hop's time. Nothing to undo: the earlier time is as true."""

from django.db import migrations

FIRST_HOP = """
UPDATE orders_tracecode AS code SET created_at = hop.first
FROM (SELECT code_id, min(shipped_at) AS first FROM orders_custodyhop GROUP BY code_id) AS hop
WHERE hop.code_id = code.id AND hop.first < code.created_at
"""


class Migration(migrations.Migration):
    dependencies = [("orders", "0016_partition_custody_hops_and_order_events")]
    operations = [migrations.RunSQL(FIRST_HOP, migrations.RunSQL.noop)]
