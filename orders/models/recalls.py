from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.choices import RecallLevel


class Recall(models.Model):
    """A drug recall (药品召回) of some lots; those lots can no longer be shipped."""

    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="recalls")
    lots = ArrayField(models.CharField(max_length=40))
    lot_keys = ArrayField(models.CharField(max_length=40), default=list)  # the lots normalised
    level = models.CharField(max_length=3, choices=RecallLevel.choices)
    reason = models.CharField(max_length=1000)
    issued_by = models.CharField(max_length=255)
    issuing_organization = models.ForeignKey(  # the MAH that recalls its own drug; null: platform staff
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"recall {self.level} of {self.drug_id} lots {', '.join(self.lots)}"


class RecallAcknowledgement(models.Model):
    """An affected buyer's answer to a recall: seen, and how many units it still holds."""

    # Indexed by recall_acknowledged_once (recall, organization), which leads with it: no index of its own.
    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="acknowledgements", db_index=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    quantity_held = models.PositiveIntegerField()
    note = models.CharField(max_length=500, blank=True)
    acknowledged_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recall_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "organization"], name="recall_acknowledged_once"),
            models.CheckConstraint(condition=Q(quantity_held__gte=0), name="recall_quantity_held_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} acknowledged recall {self.recall_id}"
