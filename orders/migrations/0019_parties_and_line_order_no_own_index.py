"""The order's parties and a line's order lose their single-column indexes: order_buyer_recent, order_supplier_recent
and order_line_unique_no lead with the same column and serve every lookup by it, and every placement wrote all of
them. Only the indexes go: Django's AlterField would also drop and re-add each foreign key, re-checking every
order and line of the platform under lock."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_insurance_fund"),
        ("orders", "0018_trace_code_last_hop"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="buyer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="orders_placed",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="supplier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="orders_received",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="orderline",
                    name="order",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="orders.order",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "orders_order_buyer_id_26195532"; DROP INDEX IF EXISTS "orders_order_supplier_id_767ee7f9"; DROP INDEX IF EXISTS "orders_orderline_order_id_17f8f3ef"',
                    'CREATE INDEX IF NOT EXISTS "orders_order_buyer_id_26195532" ON "orders_order" ("buyer_id"); CREATE INDEX IF NOT EXISTS "orders_order_supplier_id_767ee7f9" ON "orders_order" ("supplier_id"); CREATE INDEX IF NOT EXISTS "orders_orderline_order_id_17f8f3ef" ON "orders_orderline" ("order_id")',
                )
            ],
        )
    ]
