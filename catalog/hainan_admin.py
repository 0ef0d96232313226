"""Admin site pages of the Hainan Free Trade Port records (SPEC §4a): Lecheng approvals, customs history."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from catalog.models import CustomsStatusChange, LechengApproval, Offer
from pharmex.admin import AuditedAdmin, ReadOnlyInline

VALUE_ADDED_FIELDS = ("value_added_certificate_number", "value_added_valid_until")


def stamp_value_added_verification(offer: Offer, *, changed: list[str], by: str) -> None:
    """An admin entering (or clearing) the 30% value-added exemption certificate verifies it (or withdraws it);
    the stamped fields join `changed` so the edit's audit record names them."""
    if not any(name in changed for name in VALUE_ADDED_FIELDS):
        return
    present = bool(offer.value_added_certificate_number)
    offer.value_added_verified_at = timezone.now() if present else None
    offer.value_added_verified_by = by if present else ""
    changed += ["value_added_verified_at", "value_added_verified_by"]


class CustomsChangeInline(ReadOnlyInline):
    model = CustomsStatusChange
    fields = ["action", "from_status", "to_status", "data", "actor", "note", "created_at"]
    readonly_fields = fields


@admin.register(LechengApproval)
class LechengApprovalAdmin(AuditedAdmin):
    """Hainan approvals (批件) of special-licensed drugs per designated institution; `used` moves with orders."""

    audit_object_type = "lecheng_approval"
    list_display = ["number", "institution", "drug", "quantity", "used", "valid_from", "valid_until"]
    list_filter = ["valid_until"]
    search_fields = ["number", "institution__legal_name", "drug__generic_name"]
    raw_id_fields = ["institution", "drug"]
    readonly_fields = ["used", "created_at", "updated_at"]

    def audit_organization_id(self, obj: LechengApproval) -> int:
        return obj.institution_id
