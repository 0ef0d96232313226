"""Five foreign keys and a document's series lose their single-column indexes: a composite index or unique constraint
leads with the same column and serves every lookup by it (document_owner_type, document_version_unique,
document_access_recent, share_unique_pair, share_recipient_status, review_one_per_subject), and every row written paid
an entry in both. Only the indexes go: Django's AlterField would also drop and re-add each foreign key, re-checking
every row of the table under lock."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_insurance_fund"),
        ("firstbusiness", "0002_immutable_documents"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="document",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="document",
                    name="series",
                    field=models.UUIDField(default=uuid.uuid4),
                ),
                migrations.AlterField(
                    model_name="documentaccess",
                    name="document",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="accesses",
                        to="firstbusiness.document",
                    ),
                ),
                migrations.AlterField(
                    model_name="documentshare",
                    name="provider",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="documentshare",
                    name="recipient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="firstbusinessreview",
                    name="buyer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "firstbusiness_document_organization_id_3c7c4de5"; '
                    'DROP INDEX IF EXISTS "firstbusiness_document_series_e708f680"; '
                    'DROP INDEX IF EXISTS "firstbusiness_documentaccess_document_id_3d66d46e"; '
                    'DROP INDEX IF EXISTS "firstbusiness_documentshare_provider_id_c9ad5e87"; '
                    'DROP INDEX IF EXISTS "firstbusiness_documentshare_recipient_id_abff552a"; '
                    'DROP INDEX IF EXISTS "firstbusiness_firstbusinessreview_buyer_id_eb5a73e0"',
                    'CREATE INDEX IF NOT EXISTS "firstbusiness_document_organization_id_3c7c4de5" ON "firstbusiness_document" ("organization_id"); '
                    'CREATE INDEX IF NOT EXISTS "firstbusiness_document_series_e708f680" ON "firstbusiness_document" ("series"); '
                    'CREATE INDEX IF NOT EXISTS "firstbusiness_documentaccess_document_id_3d66d46e" ON "firstbusiness_documentaccess" ("document_id"); '
                    'CREATE INDEX IF NOT EXISTS "firstbusiness_documentshare_provider_id_c9ad5e87" ON "firstbusiness_documentshare" ("provider_id"); '
                    'CREATE INDEX IF NOT EXISTS "firstbusiness_documentshare_recipient_id_abff552a" ON "firstbusiness_documentshare" ("recipient_id"); '
                    'CREATE INDEX IF NOT EXISTS "firstbusiness_firstbusinessreview_buyer_id_eb5a73e0" ON "firstbusiness_firstbusinessreview" ("buyer_id")',
                )
            ],
        )
    ]
