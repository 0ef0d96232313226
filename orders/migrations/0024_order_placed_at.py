"""An index on orders' placed_at: the dashboard reads the last 30 days' orders through it instead of every order
ever placed. Built concurrently, so that placing orders goes on meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0023_shipment_searched_by_tracking_number"),
    ]

    operations = [
        AddIndexConcurrently(model_name="order", index=models.Index(fields=["placed_at"], name="order_placed_at")),
    ]
