"""Trigram indexes on what the bank and the payers wrote (references, counterparty names and accounts): the admin
site's search finds part of these texts through them instead of matching every payment and bank line ever
recorded. Built concurrently, so that payments and statement imports go on meanwhile."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0001_initial"),  # creates the pg_trgm extension
        ("settlements", "0013_open_dues_and_credits"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="bankline",
            index=GinIndex(OpClass("reference", "gin_trgm_ops"), name="bank_line_reference_trgm"),
        ),
        AddIndexConcurrently(
            model_name="bankline",
            index=GinIndex(OpClass("counterparty_name", "gin_trgm_ops"), name="bank_line_counterparty_trgm"),
        ),
        AddIndexConcurrently(
            model_name="bankline",
            index=GinIndex(OpClass("counterparty_account", "gin_trgm_ops"), name="bank_line_account_trgm"),
        ),
        AddIndexConcurrently(
            model_name="fundpayment",
            index=GinIndex(OpClass("reference", "gin_trgm_ops"), name="fund_payment_reference_trgm"),
        ),
        AddIndexConcurrently(
            model_name="payment",
            index=GinIndex(OpClass("reference", "gin_trgm_ops"), name="payment_reference_trgm"),
        ),
    ]
