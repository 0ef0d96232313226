"""Where an organisation stands in the Hainan Free Trade Port (SPEC §4a): the admin-verified statuses."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Organization

LECHENG_FIELDS = ("lecheng_designation_number", "lecheng_designation_valid_until")
ZERO_TARIFF_FIELDS = ("zero_tariff_registration",)
HAINAN_VERIFICATION_FIELDS = (
    "lecheng_verified_at",
    "lecheng_verified_by",
    "zero_tariff_verified_at",
    "zero_tariff_verified_by",
)


def stamp_hainan_verification(organization: Organization, *, changed: list[str], by: str) -> None:
    """An admin entering (or clearing) a designation verifies it (or withdraws the verification); the stamped
    fields join `changed` so the edit's audit record names them."""
    now = timezone.now()
    for prefix, fields, key in (
        ("lecheng", LECHENG_FIELDS, "lecheng_designation_number"),
        ("zero_tariff", ZERO_TARIFF_FIELDS, "zero_tariff_registration"),
    ):
        if not any(name in changed for name in fields):
            continue
        present = bool(getattr(organization, key))
        setattr(organization, f"{prefix}_verified_at", now if present else None)
        setattr(organization, f"{prefix}_verified_by", by if present else "")
        changed += [f"{prefix}_verified_at", f"{prefix}_verified_by"]
