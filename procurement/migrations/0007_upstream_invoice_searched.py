"""Indexes for the admin site's search of upstream invoices (by number, by either party's credit code), which matched
part of a text over every invoice recorded. Built concurrently, so that shipping goes on meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("procurement", "0006_national_agent_of_a_drug_held_abroad"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="upstreaminvoice",
            index=models.Index(fields=["number"], name="upstream_invoice_number"),
        ),
        AddIndexConcurrently(
            model_name="upstreaminvoice",
            index=models.Index(fields=["issuer_uscc"], name="upstream_invoice_issuer_uscc"),
        ),
        AddIndexConcurrently(
            model_name="upstreaminvoice",
            index=models.Index(fields=["recipient_uscc"], name="upstream_invoice_recipient"),
        ),
    ]
