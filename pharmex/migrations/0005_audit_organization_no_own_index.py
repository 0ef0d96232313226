"""An audit record's organisation loses its single-column index: audit_org_recent leads with the same column."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pharmex", "0004_rate_counter"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="organization_id",
                    field=models.BigIntegerField(null=True),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "pharmex_auditevent_organization_id_6136cbb3"',
                    'CREATE INDEX IF NOT EXISTS "pharmex_auditevent_organization_id_6136cbb3" ON "pharmex_auditevent" ("organization_id")',
                )
            ],
        )
    ]
