"""An order's number and a trace code stay unique, by constraints instead of `unique=True`: for a unique text column
Django also builds a second index with `varchar_pattern_ops`, for `LIKE 'x%'` searches, and nothing searches order
numbers or trace codes by prefix. Every order placed and every code shipped (the platform's largest table but for
custody hops) paid an entry in it. The unique indexes stay, renamed to the constraints' names; only the `_like`
indexes go."""

from django.db import migrations, models

DROP = """
    DROP INDEX IF EXISTS "orders_order_number_abc9e0f2_like";
    ALTER TABLE "orders_order" RENAME CONSTRAINT "orders_order_number_key" TO "order_number_unique";
    DROP INDEX IF EXISTS "orders_tracecode_code_72a759f0_like";
    ALTER TABLE "orders_tracecode" RENAME CONSTRAINT "orders_tracecode_code_key" TO "trace_code_unique";
"""
RESTORE = """
    ALTER TABLE "orders_tracecode" RENAME CONSTRAINT "trace_code_unique" TO "orders_tracecode_code_key";
    CREATE INDEX IF NOT EXISTS "orders_tracecode_code_72a759f0_like" ON "orders_tracecode" ("code" varchar_pattern_ops);
    ALTER TABLE "orders_order" RENAME CONSTRAINT "order_number_unique" TO "orders_order_number_key";
    CREATE INDEX IF NOT EXISTS "orders_order_number_abc9e0f2_like" ON "orders_order" ("number" varchar_pattern_ops);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0020_foreign_keys_no_own_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="order", name="number", field=models.CharField(max_length=24)),
                migrations.AddConstraint(
                    model_name="order",
                    constraint=models.UniqueConstraint(fields=("number",), name="order_number_unique"),
                ),
                migrations.AlterField(model_name="tracecode", name="code", field=models.CharField(max_length=80)),
                migrations.AddConstraint(
                    model_name="tracecode",
                    constraint=models.UniqueConstraint(fields=("code",), name="trace_code_unique"),
                ),
            ],
            database_operations=[migrations.RunSQL(DROP, RESTORE)],
        )
    ]
