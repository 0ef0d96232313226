"""Eighteen foreign keys lose their single-column indexes: a composite index or unique constraint leads with the same
column and serves every lookup by it (code_format_unique, custody_hop_once_per_shipment and _per_return,
invoice_buyer_recent, invoice_number_unique_per_issuer, invoice_file_once_per_format, invoice_shipment_once,
order_event_order, recall_acknowledged_once, return_buyer_recent, return_supplier_recent, return_event_return,
return_line_once_per_lot, shipment_buyer_recent, shipment_unique_sequence, shipment_supplier_recent,
shipment_event_shipment, shipment_line_drug_lot, trace_code_holder_drug), and every row written paid an entry in both.
Only the indexes go: Django's AlterField would also drop and re-add each foreign key, re-checking every row of the
table under lock. On the partitioned custody hops and order events, dropping the parent's index drops every
partition's, and the reverse creates it on every partition again.

Custody hops also lose custody_hop_line and custody_hop_return_line, the same btrees as the foreign-key indexes of
shipment_line and return_line: two entries for every hop written, one of them serving nothing."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_insurance_fund"),
        ("catalog", "0005_hainan_customs_and_lecheng"),
        ("orders", "0019_parties_and_line_order_no_own_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="codeformat",
                    name="drug",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.drug"
                    ),
                ),
                migrations.AlterField(
                    model_name="custodyhop",
                    name="code",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="hops",
                        to="orders.tracecode",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="buyer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="supplier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoicefile",
                    name="invoice",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="files",
                        to="orders.invoice",
                    ),
                ),
                migrations.AlterField(
                    model_name="invoiceshipment",
                    name="invoice",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="covers",
                        to="orders.invoice",
                    ),
                ),
                migrations.AlterField(
                    model_name="orderevent",
                    name="order",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="orders.order",
                    ),
                ),
                migrations.AlterField(
                    model_name="recallacknowledgement",
                    name="recall",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="acknowledgements",
                        to="orders.recall",
                    ),
                ),
                migrations.AlterField(
                    model_name="return",
                    name="buyer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="return",
                    name="supplier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="returnevent",
                    name="return_request",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="orders.return",
                    ),
                ),
                migrations.AlterField(
                    model_name="returnline",
                    name="return_request",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="orders.return",
                    ),
                ),
                migrations.AlterField(
                    model_name="shipment",
                    name="buyer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="shipment",
                    name="order",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="shipments",
                        to="orders.order",
                    ),
                ),
                migrations.AlterField(
                    model_name="shipment",
                    name="supplier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="shipmentevent",
                    name="shipment",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="orders.shipment",
                    ),
                ),
                migrations.AlterField(
                    model_name="shipmentline",
                    name="drug",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.drug"
                    ),
                ),
                migrations.AlterField(
                    model_name="tracecode",
                    name="holder",
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
                    'DROP INDEX IF EXISTS "orders_codeformat_drug_id_a505ce22"; '
                    'DROP INDEX IF EXISTS "orders_custodyhop_code_id_7040d18e"; '
                    'DROP INDEX IF EXISTS "orders_invoice_buyer_id_39f62fc1"; '
                    'DROP INDEX IF EXISTS "orders_invoice_supplier_id_ca075263"; '
                    'DROP INDEX IF EXISTS "orders_invoicefile_invoice_id_94c5f582"; '
                    'DROP INDEX IF EXISTS "orders_invoiceshipment_invoice_id_7836d8bd"; '
                    'DROP INDEX IF EXISTS "orders_orderevent_order_id_b26297f3"; '
                    'DROP INDEX IF EXISTS "orders_recallacknowledgement_recall_id_7b134e74"; '
                    'DROP INDEX IF EXISTS "orders_return_buyer_id_51a5a3b8"; '
                    'DROP INDEX IF EXISTS "orders_return_supplier_id_f4f559b2"; '
                    'DROP INDEX IF EXISTS "orders_returnevent_return_request_id_82d489af"; '
                    'DROP INDEX IF EXISTS "orders_returnline_return_request_id_ecfe5cb9"; '
                    'DROP INDEX IF EXISTS "orders_shipment_buyer_id_cbfc3a94"; '
                    'DROP INDEX IF EXISTS "orders_shipment_order_id_661ed8ed"; '
                    'DROP INDEX IF EXISTS "orders_shipment_supplier_id_9e13a21d"; '
                    'DROP INDEX IF EXISTS "orders_shipmentevent_shipment_id_6c5f7e74"; '
                    'DROP INDEX IF EXISTS "orders_shipmentline_drug_id_eac16b95"; '
                    'DROP INDEX IF EXISTS "orders_tracecode_holder_id_c0b92e78"',
                    'CREATE INDEX IF NOT EXISTS "orders_codeformat_drug_id_a505ce22" ON "orders_codeformat" ("drug_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_custodyhop_code_id_7040d18e" ON "orders_custodyhop" ("code_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_invoice_buyer_id_39f62fc1" ON "orders_invoice" ("buyer_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_invoice_supplier_id_ca075263" ON "orders_invoice" ("supplier_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_invoicefile_invoice_id_94c5f582" ON "orders_invoicefile" ("invoice_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_invoiceshipment_invoice_id_7836d8bd" ON "orders_invoiceshipment" ("invoice_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_orderevent_order_id_b26297f3" ON "orders_orderevent" ("order_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_recallacknowledgement_recall_id_7b134e74" ON "orders_recallacknowledgement" ("recall_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_return_buyer_id_51a5a3b8" ON "orders_return" ("buyer_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_return_supplier_id_f4f559b2" ON "orders_return" ("supplier_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_returnevent_return_request_id_82d489af" ON "orders_returnevent" ("return_request_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_returnline_return_request_id_ecfe5cb9" ON "orders_returnline" ("return_request_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_shipment_buyer_id_cbfc3a94" ON "orders_shipment" ("buyer_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_shipment_order_id_661ed8ed" ON "orders_shipment" ("order_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_shipment_supplier_id_9e13a21d" ON "orders_shipment" ("supplier_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_shipmentevent_shipment_id_6c5f7e74" ON "orders_shipmentevent" ("shipment_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_shipmentline_drug_id_eac16b95" ON "orders_shipmentline" ("drug_id"); '
                    'CREATE INDEX IF NOT EXISTS "orders_tracecode_holder_id_c0b92e78" ON "orders_tracecode" ("holder_id")',
                )
            ],
        ),
        migrations.RemoveIndex(model_name="custodyhop", name="custody_hop_line"),
        migrations.RemoveIndex(model_name="custodyhop", name="custody_hop_return_line"),
    ]
