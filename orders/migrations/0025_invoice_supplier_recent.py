"""A supplier's invoices newest first: with invoice_buyer_recent, a party's page of invoices is taken from each side's
index (ApiViewSet.party_fields) instead of the OR of buyer and supplier read along the primary key, through every
newer invoice of the platform. Built concurrently (a plain CREATE INDEX would hold off invoicing meanwhile)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orders", "0024_order_placed_at"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="invoice", index=models.Index(fields=["supplier", "-id"], name="invoice_supplier_recent")
        ),
    ]
