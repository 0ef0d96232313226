"""The audit records of one action, newest first: `GET audit-events/?action=…` and the desk's filter by action read a
page of them, where a rare action was looked for along the primary key through every record ever written (104 ms
for one that never happened, at one year of the growth bench; sixteen times that at sixteen). Built concurrently:
on a platform's audit table a plain CREATE INDEX would hold off every audited write meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("pharmex", "0006_audit_searched_by_object_and_request"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="auditevent", index=models.Index(fields=["action", "-id"], name="audit_action_recent")
        ),
    ]
