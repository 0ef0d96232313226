"""Indexes for the desk's statements by state and its queue of disputed statements: the statements still being
worked on (a partial index by status) and statements by the start of their period, so that neither reads every
statement ever generated. Built concurrently, so that generating and paying statements goes on meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0012_user_email_unique_any_case"),
        ("settlements", "0016_credit_note_sides"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="statement",
            index=models.Index(
                condition=models.Q(("status__in", ("draft", "issued", "disputed", "approved"))),
                fields=["status"],
                name="statement_open",
            ),
        ),
        AddIndexConcurrently(
            model_name="statement",
            index=models.Index(fields=["period_start"], name="statement_period_start"),
        ),
    ]
