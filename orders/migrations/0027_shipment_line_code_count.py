"""How many codes each shipment line carried, kept on the line: a shipment list shows the count, and only a
shipment's detail reads its codes (a list page of 200 shipments of 10,000 codes each rendered two million). The
column's database default fills existing rows without rewriting the table; the counts of lines shipped before come
from their custody hops, whose shipment line names them (a return's hops name none)."""

from django.db import migrations, models

BACKFILL = """
UPDATE orders_shipmentline AS line SET code_count = carried.codes
FROM (
    SELECT shipment_line_id, count(*) AS codes FROM orders_custodyhop
    WHERE shipment_line_id IS NOT NULL GROUP BY shipment_line_id
) AS carried
WHERE line.id = carried.shipment_line_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0026_red_letter_sides"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipmentline",
            name="code_count",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
