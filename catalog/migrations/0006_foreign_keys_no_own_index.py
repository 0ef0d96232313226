"""Eight foreign keys lose their single-column indexes: a composite index or unique constraint leads with the same
column and serves every lookup by it (ceiling_price_one_start_per_drug, offer_customs_change_recent,
drug_change_recent, lecheng_approval_holder, offer_market, offer_unique_supplier_drug, offer_price_change_offer,
offer_change_recent), and every row written paid an entry in both. Only the indexes go: Django's AlterField would also
drop and re-add each foreign key, re-checking every row of the table under lock."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_insurance_fund"),
        ("catalog", "0005_hainan_customs_and_lecheng"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ceilingprice",
                    name="drug",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="ceiling_prices",
                        to="catalog.drug",
                    ),
                ),
                migrations.AlterField(
                    model_name="customsstatuschange",
                    name="offer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="customs_changes",
                        to="catalog.offer",
                    ),
                ),
                migrations.AlterField(
                    model_name="drugstatuschange",
                    name="drug",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
                        to="catalog.drug",
                    ),
                ),
                migrations.AlterField(
                    model_name="lechengapproval",
                    name="institution",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lecheng_approvals",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="offer",
                    name="drug",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="offers",
                        to="catalog.drug",
                    ),
                ),
                migrations.AlterField(
                    model_name="offer",
                    name="supplier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="offers",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="offerpricechange",
                    name="offer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="price_changes",
                        to="catalog.offer",
                    ),
                ),
                migrations.AlterField(
                    model_name="offerstatuschange",
                    name="offer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
                        to="catalog.offer",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "catalog_ceilingprice_drug_id_f6c02ed7"; '
                    'DROP INDEX IF EXISTS "catalog_customsstatuschange_offer_id_7eba6bcb"; '
                    'DROP INDEX IF EXISTS "catalog_drugstatuschange_drug_id_975c3894"; '
                    'DROP INDEX IF EXISTS "catalog_lechengapproval_institution_id_9f1b8067"; '
                    'DROP INDEX IF EXISTS "catalog_offer_drug_id_06a772bb"; '
                    'DROP INDEX IF EXISTS "catalog_offer_supplier_id_5f99186c"; '
                    'DROP INDEX IF EXISTS "catalog_offerpricechange_offer_id_3865d87c"; '
                    'DROP INDEX IF EXISTS "catalog_offerstatuschange_offer_id_75497798"',
                    'CREATE INDEX IF NOT EXISTS "catalog_ceilingprice_drug_id_f6c02ed7" ON "catalog_ceilingprice" ("drug_id"); '
                    'CREATE INDEX IF NOT EXISTS "catalog_customsstatuschange_offer_id_7eba6bcb" ON "catalog_customsstatuschange" ("offer_id"); '
                    'CREATE INDEX IF NOT EXISTS "catalog_drugstatuschange_drug_id_975c3894" ON "catalog_drugstatuschange" ("drug_id"); '
                    'CREATE INDEX IF NOT EXISTS "catalog_lechengapproval_institution_id_9f1b8067" ON "catalog_lechengapproval" ("institution_id"); '
                    'CREATE INDEX IF NOT EXISTS "catalog_offer_drug_id_06a772bb" ON "catalog_offer" ("drug_id"); '
                    'CREATE INDEX IF NOT EXISTS "catalog_offer_supplier_id_5f99186c" ON "catalog_offer" ("supplier_id"); '
                    'CREATE INDEX IF NOT EXISTS "catalog_offerpricechange_offer_id_3865d87c" ON "catalog_offerpricechange" ("offer_id"); '
                    'CREATE INDEX IF NOT EXISTS "catalog_offerstatuschange_offer_id_75497798" ON "catalog_offerstatuschange" ("offer_id")',
                )
            ],
        )
    ]
