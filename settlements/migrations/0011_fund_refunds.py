"""A medical insurance fund's credit is refunded as a buyer's is: a refund names one payer (buyer or fund), each of its
sources one credit (a buyer's payment or a fund's), and a fund payment keeps what refunds paid back of it. Existing
refunds are all buyers' and keep their rows as they are; the new columns are nullable or default to zero."""

import django.db.models.deletion
import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_foreign_keys_no_own_index"),
        ("settlements", "0010_foreign_keys_no_own_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="fundpayment",
            name="refunded",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=18),
        ),
        migrations.AddField(
            model_name="refund",
            name="fund",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="refunds",
                to="accounts.insurancefund",
            ),
        ),
        migrations.AddField(
            model_name="refundsource",
            name="fund_payment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="refunds",
                to="settlements.fundpayment",
            ),
        ),
        migrations.AlterField(
            model_name="journalentry",
            name="kind",
            field=models.CharField(
                choices=[
                    ("receipt", "Order received"),
                    ("payment", "Buyer payment"),
                    ("payout", "Supplier payout"),
                    ("adjustment", "Statement adjustment"),
                    ("reversal", "Reversal"),
                    ("credit_note", "Credit note"),
                    ("refund", "Refund of a buyer's or a fund's credit"),
                    ("fund_payment", "Medical insurance fund payment"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="refund",
            name="buyer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organization",
            ),
        ),
        migrations.AlterField(
            model_name="refundsource",
            name="payment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="refunds",
                to="settlements.payment",
            ),
        ),
        migrations.AddConstraint(
            model_name="fundpayment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("refunded__gte", 0),
                    (
                        "refunded__lte",
                        django.db.models.expressions.CombinedExpression(
                            models.F("amount"), "-", models.F("unallocated")
                        ),
                    ),
                ),
                name="fund_payment_refunded_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("buyer__isnull", False), ("fund__isnull", True)),
                    models.Q(("buyer__isnull", True), ("fund__isnull", False)),
                    _connector="OR",
                ),
                name="refund_one_payer",
            ),
        ),
        migrations.AddConstraint(
            model_name="refundsource",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("fund_payment__isnull", True), ("payment__isnull", False)),
                    models.Q(("fund_payment__isnull", False), ("payment__isnull", True)),
                    _connector="OR",
                ),
                name="refund_source_one_credit",
            ),
        ),
    ]
