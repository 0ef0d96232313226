"""An outbox event's organisation loses its single-column index: outbox_event_org_recent leads with the same column.
Only the index goes, not the foreign key (AlterField would drop and re-add it, re-checking every row)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_insurance_fund"),
        ("webhooks", "0002_periodic_task_names"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="outboxevent",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "webhooks_outboxevent_organization_id_618fe543"',
                    'CREATE INDEX IF NOT EXISTS "webhooks_outboxevent_organization_id_618fe543" ON "webhooks_outboxevent" ("organization_id")',
                )
            ],
        )
    ]
