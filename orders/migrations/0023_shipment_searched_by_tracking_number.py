"""The operations desk finds a shipment by its carrier's tracking number: a btree index, built concurrently (a plain
CREATE INDEX would hold off shipping meanwhile)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0022_shipment_line_lot_key_no_own_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="shipment", index=models.Index(fields=["tracking_number"], name="shipment_tracking_number")
        ),
    ]
