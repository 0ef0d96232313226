"""A party's credit notes newest first from each side's index (ApiViewSet.party_fields), instead of the OR of buyer
and supplier read along the primary key through every newer credit note of the platform. The buyer's index leads
with the buyer, so the foreign key's own index goes once it is built. Built concurrently, so that returns are
credited meanwhile."""

import django.db.models.deletion
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("settlements", "0015_posting_account_entry"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="creditnote",
            index=models.Index(fields=["buyer", "-id"], name="credit_note_buyer_recent"),
        ),
        AddIndexConcurrently(
            model_name="creditnote",
            index=models.Index(fields=["supplier", "-id"], name="credit_note_supplier_recent"),
        ),
        migrations.AlterField(
            model_name="creditnote",
            name="buyer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organization",
            ),
        ),
    ]
