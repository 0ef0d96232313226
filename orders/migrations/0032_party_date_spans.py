"""Indexes of each party's orders by the time they were placed: a party's list for a span of time reads that span,
not every newer order of the party before it. Built concurrently, so that placing and confirming orders goes on
meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0031_overdue_queue"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["buyer", "placed_at"], name="order_buyer_placed"),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(fields=["supplier", "placed_at"], name="order_supplier_placed"),
        ),
    ]
