from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.errors import ApiKeyRevoked
from accounts.models import OrganizationApiKey
from pharmex.actor import Actor
from pharmex.audit import audit_record


@transaction.atomic
def api_key_create(
    *, actor: Actor, name: str, role: str, expiry_date: datetime | None = None
) -> tuple[OrganizationApiKey, str]:
    """Create a key for the actor's organisation; the secret is returned once and only its hash is kept."""
    organization = actor.require_organization()
    api_key, secret = OrganizationApiKey.objects.create_key(
        name=name, role=role, expiry_date=expiry_date, organization=organization, created_by=actor.user
    )
    audit_record(
        actor=actor.audit,
        action="api_key.created",
        object_type="api_key",
        object_id=api_key.prefix,
        organization_id=organization.pk,
        changes={"name": name, "role": role, "prefix": api_key.prefix},
    )
    return api_key, secret


@transaction.atomic
def api_key_revoke(*, api_key: OrganizationApiKey, actor: Actor) -> OrganizationApiKey:
    """Raises: ApiKeyRevoked when already revoked (revocation cannot be undone)."""
    if OrganizationApiKey.objects.filter(pk=api_key.pk, revoked=False).update(revoked=True) != 1:
        raise ApiKeyRevoked()
    api_key.refresh_from_db()
    audit_record(
        actor=actor.audit,
        action="api_key.revoked",
        object_type="api_key",
        object_id=api_key.prefix,
        organization_id=api_key.organization_id,
        changes={"revoked": [False, True]},
    )
    return api_key
