"""Bank statements are parsed by a worker (issue 10): the upload is stored with a status; statements imported
before this were imported in their request, so they are `imported`."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("settlements", "0005_statement_settles_function"),
    ]

    operations = [
        migrations.AddField(
            model_name="bankstatement",
            name="status",
            field=models.CharField(
                choices=[("queued", "Queued"), ("running", "Running"), ("imported", "Imported"), ("failed", "Failed")],
                db_index=True,
                default="imported",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="bankstatement",
            name="status",
            field=models.CharField(
                choices=[("queued", "Queued"), ("running", "Running"), ("imported", "Imported"), ("failed", "Failed")],
                db_index=True,
                default="queued",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="bankstatement",
            name="file_size",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="bankstatement",
            name="content",
            field=models.BinaryField(blank=True, default=b"", editable=False),
        ),
        migrations.AddField(
            model_name="bankstatement",
            name="message",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="bankstatement",
            name="errors",
            field=models.JSONField(blank=True, default=list, help_text="[{field, code, message}], at most 100 kept."),
        ),
        migrations.AddField(
            model_name="bankstatement",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="bankstatement",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
