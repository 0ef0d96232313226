"""The webhooks app moved from `orders/webhooks/` to the top level (it serves every app, not orders alone).

Its tables keep their names (the app label was `webhooks` before and after), so no row moves. What does
change is the import path of its Celery tasks, which django-celery-beat stores by name: the periodic jobs
an earlier `setup_schedules` wrote are renamed here, keeping any schedule an admin changed. Messages
already queued under an old name are refused by the worker; nothing is lost, because a delivery's state
is in the database and the outbox sweeper queues it again.
"""

from django.db import migrations
from django.utils import timezone

OLD, NEW = "orders.webhooks.tasks.", "webhooks.tasks."


def rename(apps, schema_editor, old: str = OLD, new: str = NEW) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    renamed = 0
    for task in PeriodicTask.objects.filter(task__startswith=old):
        task.task = new + task.task.removeprefix(old)
        task.save(update_fields=["task"])
        renamed += 1
    if renamed:  # a running beat reloads its schedule when this stamp moves (historical models send no signal)
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def rename_back(apps, schema_editor) -> None:
    rename(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
