"""Eight foreign keys lose their single-column indexes: a composite index or unique constraint leads with the same
column and serves every lookup by it (credit_note_supplier, fund_allocation_unique, fund_payment_fund_recent,
payment_buyer_recent, allocation_unique, posting_account_id, receivable_buyer_due, statement_one_per_period), and every
row written paid an entry in both. Only the indexes go: Django's AlterField would also drop and re-add each foreign
key, re-checking every row of the table under lock."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_insurance_fund"),
        ("settlements", "0009_fund_direct_settlement"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="creditnote",
                    name="supplier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="fundallocation",
                    name="payment",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="allocations",
                        to="settlements.fundpayment",
                    ),
                ),
                migrations.AlterField(
                    model_name="fundpayment",
                    name="fund",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="accounts.insurancefund",
                    ),
                ),
                migrations.AlterField(
                    model_name="payment",
                    name="buyer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="paymentallocation",
                    name="payment",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="allocations",
                        to="settlements.payment",
                    ),
                ),
                migrations.AlterField(
                    model_name="posting",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="postings",
                        to="settlements.ledgeraccount",
                    ),
                ),
                migrations.AlterField(
                    model_name="receivable",
                    name="buyer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="statement",
                    name="supplier",
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
                    'DROP INDEX IF EXISTS "settlements_creditnote_supplier_id_149cf68d"; '
                    'DROP INDEX IF EXISTS "settlements_fundallocation_payment_id_b3672909"; '
                    'DROP INDEX IF EXISTS "settlements_fundpayment_fund_id_797cba56"; '
                    'DROP INDEX IF EXISTS "settlements_payment_buyer_id_99f07836"; '
                    'DROP INDEX IF EXISTS "settlements_paymentallocation_payment_id_d0674064"; '
                    'DROP INDEX IF EXISTS "settlements_posting_account_id_477e820d"; '
                    'DROP INDEX IF EXISTS "settlements_receivable_buyer_id_fad38e41"; '
                    'DROP INDEX IF EXISTS "settlements_statement_supplier_id_67cc0393"',
                    'CREATE INDEX IF NOT EXISTS "settlements_creditnote_supplier_id_149cf68d" ON "settlements_creditnote" ("supplier_id"); '
                    'CREATE INDEX IF NOT EXISTS "settlements_fundallocation_payment_id_b3672909" ON "settlements_fundallocation" ("payment_id"); '
                    'CREATE INDEX IF NOT EXISTS "settlements_fundpayment_fund_id_797cba56" ON "settlements_fundpayment" ("fund_id"); '
                    'CREATE INDEX IF NOT EXISTS "settlements_payment_buyer_id_99f07836" ON "settlements_payment" ("buyer_id"); '
                    'CREATE INDEX IF NOT EXISTS "settlements_paymentallocation_payment_id_d0674064" ON "settlements_paymentallocation" ("payment_id"); '
                    'CREATE INDEX IF NOT EXISTS "settlements_posting_account_id_477e820d" ON "settlements_posting" ("account_id"); '
                    'CREATE INDEX IF NOT EXISTS "settlements_receivable_buyer_id_fad38e41" ON "settlements_receivable" ("buyer_id"); '
                    'CREATE INDEX IF NOT EXISTS "settlements_statement_supplier_id_67cc0393" ON "settlements_statement" ("supplier_id")',
                )
            ],
        )
    ]
