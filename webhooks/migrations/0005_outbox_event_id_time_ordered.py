"""New webhook event ids are time-ordered (UUIDv7): the default only, which Django applies in Python, so no SQL.
Existing ids stay as they are; receivers dedupe on them unchanged."""

import uuid6
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0004_foreign_keys_no_own_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboxevent",
            name="event_id",
            field=models.UUIDField(default=uuid6.uuid7, editable=False, unique=True),
        ),
    ]
