"""Partial indexes of what is still open: receivables not yet paid (a buyer's, a fund's) and payments holding
credit. Allocation, the aging reports, the dashboard and refunds read these few rows instead of every receivable and
payment a payer ever had. Built concurrently, so that receipts and payments go on meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("settlements", "0012_balance_checkpoints"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="receivable",
            index=models.Index(
                condition=models.Q(("paid_at__isnull", True), ("reversed_at__isnull", True)),
                fields=["buyer", "due_date"],
                name="receivable_open_buyer_due",
            ),
        ),
        AddIndexConcurrently(
            model_name="receivable",
            index=models.Index(
                condition=models.Q(("fund__isnull", False), ("paid_at__isnull", True), ("reversed_at__isnull", True)),
                fields=["fund", "fund_due_date"],
                name="receivable_open_fund_due",
            ),
        ),
        AddIndexConcurrently(
            model_name="payment",
            index=models.Index(
                condition=models.Q(("reversed_at__isnull", True), ("unallocated__gt", 0)),
                fields=["buyer", "id"],
                name="payment_buyer_credit",
            ),
        ),
        AddIndexConcurrently(
            model_name="fundpayment",
            index=models.Index(
                condition=models.Q(("reversed_at__isnull", True), ("unallocated__gt", 0)),
                fields=["fund", "id"],
                name="fund_payment_fund_credit",
            ),
        ),
    ]
