"""Order numbers come from a database sequence: no row lock on a counter, so placements never queue on it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE orders_order_number_seq START 1",
            "DROP SEQUENCE IF EXISTS orders_order_number_seq",
        )
    ]
