from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from pharmex.schedules import SCHEDULES


class Command(BaseCommand):
    help = "Create the periodic jobs in django-celery-beat (existing ones, possibly edited by admins, are kept)."

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        for schedule in SCHEDULES:
            if PeriodicTask.objects.filter(name=schedule["name"]).exists():
                continue
            fields = {"name": schedule["name"], "task": schedule["task"]}
            if "every_seconds" in schedule:
                fields["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=schedule["every_seconds"], period=IntervalSchedule.SECONDS
                )
            else:
                fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    **schedule["crontab"], timezone=settings.TIME_ZONE
                )
            PeriodicTask.objects.create(**fields)
            created += 1
        self.stdout.write(f"{created} periodic jobs created, {len(SCHEDULES) - created} already present")
