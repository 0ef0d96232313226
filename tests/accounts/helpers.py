"""Expected bodies of the accounts API, built from the database so tests compare whole values (STYLE G24)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from accounts.models import Invitation, License, Membership, Organization, OrganizationApiKey, User
from pharmex.models import AuditEvent

AUTH_REQUIRED_DETAIL = "Authentication credentials were not provided."
DRF_FORBIDDEN_DETAIL = "You do not have permission to perform this action."
OWNER_ONLY_MEMBERS_DETAIL = "Only an owner of this organisation manages its members."


def problem(slug: str, status: int, title: str, detail: str, *, errors: list | None = None, code: str | None = None):
    body: dict = {"type": f"{settings.PROBLEM_TYPE_BASE}{slug}", "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    if code is not None:
        body["code"] = code
    return body


def not_authenticated(detail: str = AUTH_REQUIRED_DETAIL) -> dict:
    return problem("not-authenticated", 401, "Authentication is required", detail)


def authentication_failed(detail: str) -> dict:
    return problem("authentication-failed", 401, "The credentials are not valid", detail)


def permission_denied(detail: str = DRF_FORBIDDEN_DETAIL) -> dict:
    return problem("permission-denied", 403, "You may not perform this action", detail)


def not_found() -> dict:
    return problem("not-found", 404, "Not found", "Not found.")


def validation_error(errors: list[dict]) -> dict:
    detail = errors[0]["message"] if len(errors) == 1 else "The request is not valid"
    return problem("validation-error", 400, "The request is not valid", detail, errors=errors)


def not_writable(*fields: str) -> dict:
    return validation_error(
        [{"field": field, "code": "not_writable", "message": "This field cannot be set."} for field in sorted(fields)]
    )


def iso(moment: datetime | None) -> str | None:
    """A timestamp as the API writes it: ISO 8601 in UTC with a `Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def organization_body(organization: Organization, *, may_trade: bool) -> dict:
    organization.refresh_from_db()
    return {
        "id": organization.pk,
        "legal_name": organization.legal_name,
        "uscc": organization.uscc,
        "kind": organization.kind,
        "ownership": organization.ownership,
        "province_code": organization.province_code,
        "credit_terms_days": organization.credit_terms_days,
        "min_shelf_life_days": organization.min_shelf_life_days,
        "simplified_vat": organization.simplified_vat,
        "first_business_review_required": organization.requires_first_business_review,
        "contact_phone": organization.contact_phone,
        "address": organization.address,
        "city_county": organization.city_county,
        "lecheng_institution": organization.is_lecheng_institution(timezone.localdate()),
        "lecheng_designation_number": organization.lecheng_designation_number,
        "lecheng_designation_valid_until": (
            organization.lecheng_designation_valid_until and organization.lecheng_designation_valid_until.isoformat()
        ),
        "zero_tariff_beneficiary": organization.is_zero_tariff_beneficiary,
        "zero_tariff_registration": organization.zero_tariff_registration,
        "status": organization.status,
        "status_reason": organization.status_reason,
        "last_verified_at": iso(organization.last_verified_at),
        "may_trade": may_trade,
        "created_at": iso(organization.created_at),
        "updated_at": iso(organization.updated_at),
    }


def me_body(user: User, *, may_trade: dict[int, bool] | None = None) -> dict:
    """GET /me/ for a user; `may_trade` gives the expected flag per organisation id."""
    may_trade = may_trade or {}
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "staff_roles": sorted(user.staff_roles),
        "memberships": [
            {
                "id": membership.pk,
                "role": membership.role,
                "organization": organization_body(
                    membership.organization, may_trade=may_trade.get(membership.organization_id, False)
                ),
            }
            for membership in Membership.objects.filter(user=user).select_related("organization").order_by("id")
        ],
    }


def member_body(membership: Membership) -> dict:
    membership.refresh_from_db()
    return {
        "id": membership.pk,
        "user_id": membership.user_id,
        "email": membership.user.email,
        "full_name": membership.user.full_name,
        "role": membership.role,
        "created_at": iso(membership.created_at),
    }


def membership_brief_body(membership: Membership, *, may_trade: bool) -> dict:
    """A membership as `/me/` lists it and accepting an invitation answers it."""
    return {
        "id": membership.pk,
        "role": membership.role,
        "organization": organization_body(membership.organization, may_trade=may_trade),
    }


def invitation_body(invitation: Invitation, *, status: str | None = None) -> dict:
    """`status` overrides the stored one where the API shows a pending invitation past its expiry as expired."""
    invitation.refresh_from_db()
    return {
        "id": invitation.pk,
        "organization": {"id": invitation.organization_id, "legal_name": invitation.organization.legal_name},
        "email": invitation.email,
        "role": invitation.role,
        "status": status or invitation.status,
        "expires_at": iso(invitation.expires_at),
        "accepted_at": iso(invitation.accepted_at),
        "created_at": iso(invitation.created_at),
    }


def license_body(license: License) -> dict:
    license.refresh_from_db()
    return {
        "id": license.pk,
        "organization": license.organization_id,
        "type": license.type,
        "number": license.number,
        "scope_tags": license.scope_tags,
        "valid_from": license.valid_from.isoformat(),
        "valid_until": license.valid_until.isoformat(),
        "status": license.status,
        "review_note": license.review_note,
        "reviewed_at": iso(license.reviewed_at),
        "created_at": iso(license.created_at),
        "updated_at": iso(license.updated_at),
    }


def api_key_body(api_key: OrganizationApiKey) -> dict:
    api_key.refresh_from_db()
    return {
        "id": api_key.prefix,
        "name": api_key.name,
        "prefix": api_key.prefix,
        "role": api_key.role,
        "created": iso(api_key.created),
        "expiry_date": iso(api_key.expiry_date),
        "revoked": api_key.revoked,
        "last_used_at": iso(api_key.last_used_at),
    }


def audit_rows(**filters) -> list[tuple]:
    """The audit log as comparable tuples: (action, actor type, actor user, organisation, object type, object id)."""
    return list(
        AuditEvent.objects.filter(**filters)
        .order_by("id")
        .values_list("action", "actor_type", "actor_user_id", "organization_id", "object_type", "object_id")
    )
