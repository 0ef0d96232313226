from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

MONEY = {"max_digits": 18, "decimal_places": 2}


class SecondLineDeclaration(models.Model):
    """The import declaration of an order's zero-tariff goods leaving the island for the mainland (二线申报, SPEC
    §4a): its number and the duty paid (zero with the 30% value-added exemption). Without it such an order does not
    ship."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="second_line_declaration")
    declaration_number = models.CharField(max_length=64)
    duty_amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="CNY", editable=False)
    declared_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(duty_amount__gte=0), name="second_line_duty_not_negative"),
        ]

    def __str__(self) -> str:
        return f"二线 {self.declaration_number} for order {self.order_id}: duty {self.duty_amount}"
