"""A party's red-letter forms newest first from each side's index (ApiViewSet.party_fields), instead of the OR of
buyer and supplier read along the primary key through every newer form of the platform. The new indexes lead with
the parties, so the foreign keys' own indexes go once they are built. Built concurrently, so that invoicing goes on
meanwhile."""

import django.db.models.deletion
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0025_invoice_supplier_recent"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="redletterform",
            index=models.Index(fields=["buyer", "-id"], name="red_letter_buyer_recent"),
        ),
        AddIndexConcurrently(
            model_name="redletterform",
            index=models.Index(fields=["supplier", "-id"], name="red_letter_supplier_recent"),
        ),
        migrations.AlterField(
            model_name="redletterform",
            name="buyer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organization",
            ),
        ),
        migrations.AlterField(
            model_name="redletterform",
            name="supplier",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organization",
            ),
        ),
    ]
