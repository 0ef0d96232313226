"""An import job's file is forgotten once the job is finished, as a bank statement's is: nothing reads it again, and a
supplier importing its price list every day kept every day's file in the database. The files of jobs finished
before this are emptied here; their name, size, digest, counts and errors stay."""

from django.db import migrations, models

FINISHED = ["succeeded", "failed"]


def forget_finished_files(apps, schema_editor):
    ImportJob = apps.get_model("catalog", "ImportJob")
    ImportJob.objects.filter(status__in=FINISHED).exclude(content=b"").update(content=b"")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_foreign_keys_no_own_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="content",
            field=models.BinaryField(blank=True, default=b""),
        ),
        migrations.RunPython(forget_finished_files, migrations.RunPython.noop),
    ]
