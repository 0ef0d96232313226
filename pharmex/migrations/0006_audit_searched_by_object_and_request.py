"""The operations desk finds an object's audit history by its id, and what one request did by the request id the
caller was answered with (`X-Request-ID`): two btree indexes, so that neither search reads every record ever written.
Built concurrently: on a platform's audit table a plain CREATE INDEX would hold off every audited write meanwhile."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("pharmex", "0005_audit_organization_no_own_index"),
    ]

    operations = [
        AddIndexConcurrently(model_name="auditevent", index=models.Index(fields=["object_id"], name="audit_object_id")),
        AddIndexConcurrently(
            model_name="auditevent", index=models.Index(fields=["request_id"], name="audit_request_id")
        ),
    ]
