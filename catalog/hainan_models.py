"""Hainan Free Trade Port records of the catalogue (SPEC §4a): customs status history, Lecheng approvals."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pharmex.models import TransitionRecord


class CustomsStatusChange(TransitionRecord):
    """One customs status of an offer: set at listing, or moved forward with its customs declaration number
    (`data["declaration_number"]`) (catalog.customs)."""

    # Indexed by offer_customs_change_recent, which leads with it: no index of its own.
    offer = models.ForeignKey("catalog.Offer", on_delete=models.CASCADE, related_name="customs_changes", db_index=False)

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["offer", "id"], name="offer_customs_change_recent")]


class LechengApprovalQuerySet(models.QuerySet):
    def valid_on(self, on: date) -> LechengApprovalQuerySet:
        return self.filter(valid_from__lte=on, valid_until__gte=on)


class LechengApproval(models.Model):
    """A Hainan approval (批件) for a designated Lecheng institution to use a special-licensed drug, up to a
    quantity within a validity; placement consumes the quantity, ending an order gives it back (catalog.customs)."""

    number = models.CharField("approval number", max_length=64, unique=True)
    # Indexed by lecheng_approval_holder, which leads with it: no index of its own.
    institution = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="lecheng_approvals", db_index=False
    )
    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="lecheng_approvals")
    quantity = models.PositiveIntegerField(help_text="Approved quantity in the drug's sale units.")
    used = models.PositiveIntegerField(default=0, editable=False, help_text="Taken by open and completed orders.")
    valid_from = models.DateField()
    valid_until = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LechengApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            # Placement takes with a conditional F() update; the database refuses to go past the approval.
            models.CheckConstraint(condition=Q(used__lte=F("quantity")), name="lecheng_approval_within_quantity"),
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="lecheng_approval_valid_range"),
        ]
        indexes = [models.Index(fields=["institution", "drug"], name="lecheng_approval_holder")]

    def __str__(self) -> str:
        return f"批件 {self.number}: drug {self.drug_id} for {self.institution_id}"

    def clean(self) -> None:
        errors = {}
        if self.drug_id and not self.drug.special_licensed:
            errors["drug"] = _("Approvals are for special-licensed drugs (特许药品) only.")
        if self.institution_id and not self.institution.is_lecheng_institution(timezone.localdate()):
            errors["institution"] = _("Only designated Lecheng institutions hold approvals.")
        if errors:
            raise ValidationError(errors)

    @property
    def remaining(self) -> int:
        return self.quantity - self.used
