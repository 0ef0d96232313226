from django.db import migrations


class Migration(migrations.Migration):
    """Keys are now claimed inside the request's transaction, so a stored key is always finished.

    Claims left in flight by the old two-transaction scheme hold no response: drop them first, or they
    would replay as empty answers.
    """

    dependencies = [
        ("pharmex", "0002_audit_append_only"),
    ]

    operations = [
        migrations.RunSQL(
            "DELETE FROM pharmex_idempotencykey WHERE status <> 'done'", reverse_sql=migrations.RunSQL.noop
        ),
        migrations.RemoveField(model_name="idempotencykey", name="locked_at"),
        migrations.RemoveField(model_name="idempotencykey", name="status"),
    ]
