"""The entries touching an account, in entry order: a page of an organisation's ledger entries (or of one account's)
reads its first rows, where the list walked every newer entry of the platform until the page was full — all of them
for an organisation with few or old entries (0.6 s at one year of the growth bench, growing with it). Built
concurrently, so that receipts and payments go on meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("settlements", "0014_desk_search_by_part_of_text"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="posting",
            index=models.Index(fields=["account", "entry"], name="posting_account_entry"),
        ),
    ]
