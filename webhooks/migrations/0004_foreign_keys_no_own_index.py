"""A delivery's event and endpoint and an attempt's delivery lose their single-column indexes:
webhook_delivery_once_per_endpoint, webhook_delivery_endpoint and webhook_attempt_delivery lead with the same columns
and serve every lookup by them, and every delivery and attempt written paid an entry in both. Only the indexes go:
Django's AlterField would also drop and re-add each foreign key, re-checking every row of the table under lock."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0003_outbox_organization_no_own_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="webhookattempt",
                    name="delivery",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attempt_log",
                        to="webhooks.webhookdelivery",
                    ),
                ),
                migrations.AlterField(
                    model_name="webhookdelivery",
                    name="endpoint",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="webhooks.webhookendpoint",
                    ),
                ),
                migrations.AlterField(
                    model_name="webhookdelivery",
                    name="event",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="webhooks.outboxevent",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "webhooks_webhookattempt_delivery_id_c57db657"; '
                    'DROP INDEX IF EXISTS "webhooks_webhookdelivery_endpoint_id_d5bfb5c8"; '
                    'DROP INDEX IF EXISTS "webhooks_webhookdelivery_event_id_48da21e7"',
                    'CREATE INDEX IF NOT EXISTS "webhooks_webhookattempt_delivery_id_c57db657" ON "webhooks_webhookattempt" ("delivery_id"); '
                    'CREATE INDEX IF NOT EXISTS "webhooks_webhookdelivery_endpoint_id_d5bfb5c8" ON "webhooks_webhookdelivery" ("endpoint_id"); '
                    'CREATE INDEX IF NOT EXISTS "webhooks_webhookdelivery_event_id_48da21e7" ON "webhooks_webhookdelivery" ("event_id")',
                )
            ],
        )
    ]
