"""Balance checkpoints: an account's balance through a posting id, so that a balance read sums the postings after
it instead of every posting the account ever had (settlements.services.ledger.balances_checkpoint)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("settlements", "0011_fund_refunds"),
    ]

    operations = [
        migrations.CreateModel(
            name="BalanceCheckpoint",
            fields=[
                (
                    "account",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="checkpoint",
                        serialize=False,
                        to="settlements.ledgeraccount",
                    ),
                ),
                ("through_posting", models.BigIntegerField()),
                ("balance", models.DecimalField(decimal_places=2, max_digits=18)),
                ("taken_at", models.DateTimeField()),
            ],
        ),
    ]
