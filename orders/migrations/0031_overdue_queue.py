"""An index of the orders flagged overdue and still to ship: the desk's queue, counted on every page of the admin
site, instead of every order confirmed or partly shipped. Built concurrently, so that placing and confirming orders
goes on meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0030_in_flight_lists"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="order",
            index=models.Index(
                condition=models.Q(("overdue_at__isnull", False), ("status__in", ["confirmed", "partially_shipped"])),
                fields=["overdue_at"],
                name="order_overdue_unshipped",
            ),
        ),
    ]
