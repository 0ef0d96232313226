"""Indexes of each party's orders on their way and shipments in transit, newest first. A list filtered to one of
those states (a supplier's orders to confirm, a buyer's shipments to receive) read either the party's whole
history, along its index of all its rows, or every row of the platform in that state. Built concurrently, so that
placing and shipping orders goes on meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0029_ship_due_orders"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                condition=models.Q(("status__in", ["confirmed", "partially_shipped", "placed", "shipped"])),
                fields=["buyer", "-id"],
                name="order_buyer_in_flight",
            ),
        ),
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                condition=models.Q(("status__in", ["confirmed", "partially_shipped", "placed", "shipped"])),
                fields=["supplier", "-id"],
                name="order_supplier_in_flight",
            ),
        ),
        AddIndexConcurrently(
            model_name="shipment",
            index=models.Index(
                condition=models.Q(("status", "in_transit")), fields=["buyer", "-id"], name="shipment_buyer_in_transit"
            ),
        ),
        AddIndexConcurrently(
            model_name="shipment",
            index=models.Index(
                condition=models.Q(("status", "in_transit")),
                fields=["supplier", "-id"],
                name="shipment_supplier_in_transit",
            ),
        ),
    ]
