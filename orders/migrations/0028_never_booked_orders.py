"""An index of the orders the ledger never booked, by placed_at: the records purge's candidates, instead of every
order ever placed (most of which the ledger keeps for ever). Built concurrently, so that placing orders goes on
meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0027_shipment_line_code_count"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                condition=models.Q(("accepted_gross__isnull", True), ("accepted_gross", 0), _connector="OR"),
                fields=["placed_at"],
                name="order_never_booked",
            ),
        ),
    ]
