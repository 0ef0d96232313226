from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from orders.choices import RecallLevel


class Recall(models.Model):
    """A drug recall (药品召回) of some lots; those lots can no longer be shipped."""

    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="recalls")
    lots = ArrayField(models.CharField(max_length=40))
    level = models.CharField(max_length=3, choices=RecallLevel.choices)
    reason = models.CharField(max_length=1000)
    issued_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"recall {self.level} of {self.drug_id} lots {', '.join(self.lots)}"
