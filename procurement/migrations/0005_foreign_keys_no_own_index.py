"""Four foreign keys lose their single-column indexes: a unique constraint leads with the same column and serves every
lookup by it (contract_volume_once, plan_line_row_once, quote_once_per_supplier, upstream_invoice_once), and every row
written paid an entry in both. Only the indexes go: Django's AlterField would also drop and re-add each foreign key,
re-checking every row of the table under lock."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0019_parties_and_line_order_no_own_index"),
        ("procurement", "0004_two_invoice_chain"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contractvolume",
                    name="contract",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="volumes",
                        to="procurement.procurementcontract",
                    ),
                ),
                migrations.AlterField(
                    model_name="procurementplanline",
                    name="plan",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="procurement.procurementplan",
                    ),
                ),
                migrations.AlterField(
                    model_name="quote",
                    name="request",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="quotes",
                        to="procurement.quoterequest",
                    ),
                ),
                migrations.AlterField(
                    model_name="upstreaminvoice",
                    name="shipment",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="upstream_invoices",
                        to="orders.shipment",
                        verbose_name="shipment",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "procurement_contractvolume_contract_id_d3b0ac91"; '
                    'DROP INDEX IF EXISTS "procurement_procurementplanline_plan_id_e8c1e376"; '
                    'DROP INDEX IF EXISTS "procurement_quote_request_id_09c3a710"; '
                    'DROP INDEX IF EXISTS "procurement_upstreaminvoice_shipment_id_27a6ef22"',
                    'CREATE INDEX IF NOT EXISTS "procurement_contractvolume_contract_id_d3b0ac91" ON "procurement_contractvolume" ("contract_id"); '
                    'CREATE INDEX IF NOT EXISTS "procurement_procurementplanline_plan_id_e8c1e376" ON "procurement_procurementplanline" ("plan_id"); '
                    'CREATE INDEX IF NOT EXISTS "procurement_quote_request_id_09c3a710" ON "procurement_quote" ("request_id"); '
                    'CREATE INDEX IF NOT EXISTS "procurement_upstreaminvoice_shipment_id_27a6ef22" ON "procurement_upstreaminvoice" ("shipment_id")',
                )
            ],
        )
    ]
