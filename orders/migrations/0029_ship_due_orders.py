"""An index of the confirmed orders not yet flagged overdue, by ship_by: the overdue job's candidates every 15
minutes, instead of every confirmed order (those that never ship stay confirmed, flagged, for good). Built
concurrently, so that placing and confirming orders goes on meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0028_never_booked_orders"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                condition=models.Q(("overdue_at__isnull", True), ("status", "confirmed")),
                fields=["ship_by"],
                name="order_ship_due",
            ),
        ),
    ]
