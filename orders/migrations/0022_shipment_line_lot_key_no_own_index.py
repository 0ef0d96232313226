"""A shipment line's `lot_key` loses its own two indexes (a plain btree and Django's `varchar_pattern_ops` twin of
it): every query by lot names the drug too (recalls, returns, the recall report), which shipment_line_drug_lot
(drug, lot_key) serves, and every shipment line written paid an entry in both."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0021_number_and_code_unique_without_like_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="shipmentline", name="lot_key", field=models.CharField(max_length=40)),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "orders_shipmentline_lot_key_feea934f_like"; '
                    'DROP INDEX IF EXISTS "orders_shipmentline_lot_key_feea934f"',
                    'CREATE INDEX IF NOT EXISTS "orders_shipmentline_lot_key_feea934f" '
                    'ON "orders_shipmentline" ("lot_key"); '
                    'CREATE INDEX IF NOT EXISTS "orders_shipmentline_lot_key_feea934f_like" '
                    'ON "orders_shipmentline" ("lot_key" varchar_pattern_ops)',
                )
            ],
        )
    ]
