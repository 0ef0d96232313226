"""Rate-limit counters in PostgreSQL for deployments without Redis (pharmex.api.ratelimit).

UNLOGGED: a counter is worth nothing after a crash, and skipping the WAL keeps the per-request upsert cheap.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pharmex", "0003_idempotency_claimed_in_transaction"),
    ]

    operations = [
        migrations.CreateModel(
            name="RateCounter",
            fields=[
                ("key", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("count", models.PositiveIntegerField()),
                ("expires_at", models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.RunSQL(
            "ALTER TABLE pharmex_ratecounter SET UNLOGGED", reverse_sql="ALTER TABLE pharmex_ratecounter SET LOGGED"
        ),
    ]
