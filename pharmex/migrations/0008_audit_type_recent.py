"""The audit records about one kind of object, newest first: `GET audit-events/?object_type=…` without an
`object_id` read a page of them along the primary key, through every record ever written when the kind is rare (a
bank line's, a partition's) or has none, as the `action` filter did before pharmex 0007. Built concurrently, as
that one: a plain CREATE INDEX on a platform's audit table would hold off every audited write meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("pharmex", "0007_audit_action_recent"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="auditevent", index=models.Index(fields=["object_type", "-id"], name="audit_type_recent")
        ),
    ]
