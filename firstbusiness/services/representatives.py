"""Sales representatives (销售人员) and the one thing their power of attorney controls on the platform: how long
their own account may act for the supplier (Membership.acts_until, read on every request)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.services import member_mandate_set
from firstbusiness.choices import CURRENT_STATUSES, DocumentType, RepresentativeStatus
from firstbusiness.models import Document, SalesRepresentative
from firstbusiness.transitions import REPRESENTATIVE
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.audit import audit_record, diff
from pharmex.errors import InvalidInput, NotAParty
from pharmex.transitions import transition

NEVER = date.min  # an account linked to a representative without a valid power of attorney may only read


def _require_member(*, organization_id: int, user_id: int | None, field: str = "user_id") -> None:
    """Raises: InvalidInput unless the account is a member of the organisation."""
    if user_id is not None and not Membership.objects.filter(organization_id=organization_id, user_id=user_id).exists():
        raise InvalidInput(
            [
                {
                    "field": field,
                    "code": "not_a_member",
                    "message": _("The account is not a member of your organisation."),
                }
            ]
        )


@transaction.atomic
def representative_create(*, actor: Actor, data: dict) -> SalesRepresentative:
    """Register a sales representative; upload their power of attorney next (until then a linked account may only
    read). Raises: InvalidInput (duplicate ID number, an account that is not a member or already a representative).
    """
    organization = actor.require_organization()
    data = dict(data)
    user_id = data.pop("user_id", None)
    _require_member(organization_id=organization.pk, user_id=user_id)
    taken = SalesRepresentative.objects.filter(organization=organization, status=RepresentativeStatus.ACTIVE)
    if taken.filter(id_number=data["id_number"]).exists():
        raise InvalidInput(
            [{"field": "id_number", "code": "unique", "message": _("This person is already registered.")}]
        )
    if user_id is not None and taken.filter(user_id=user_id).exists():
        raise InvalidInput(
            [{"field": "user_id", "code": "unique", "message": _("This account already represents you.")}]
        )
    representative = SalesRepresentative.objects.create(organization=organization, user_id=user_id, **data)
    audit_record(
        actor=actor.audit,
        action="sales_representative.created",
        object_type="sales_representative",
        object_id=representative.pk,
        organization_id=organization.pk,
        changes={"full_name": representative.full_name, "user": user_id},
    )
    representative_mandate_sync(representative=representative, actor=actor)
    return representative


@transaction.atomic
def representative_update(*, actor: Actor, representative: SalesRepresentative, data: dict) -> SalesRepresentative:
    """Change a representative's phone or linked account (identity stays: a new person is a new representative).

    Raises: NotAParty for another organisation's representative; InvalidInput as representative_create.
    """
    if not actor.acts_for(representative.organization_id):
        raise NotAParty()
    representative = SalesRepresentative.objects.select_for_update().get(pk=representative.pk)
    previous_user_id = representative.user_id
    if "user_id" in data:
        _require_member(organization_id=representative.organization_id, user_id=data["user_id"])
        clash = SalesRepresentative.objects.filter(
            organization_id=representative.organization_id,
            user_id=data["user_id"],
            status=RepresentativeStatus.ACTIVE,
        ).exclude(pk=representative.pk)
        if data["user_id"] is not None and clash.exists():
            raise InvalidInput(
                [{"field": "user_id", "code": "unique", "message": _("This account already represents you.")}]
            )
    before = {field: getattr(representative, field) for field in data}
    for field, value in data.items():
        setattr(representative, field, value)
    representative.save()
    audit_record(
        actor=actor.audit,
        action="sales_representative.updated",
        object_type="sales_representative",
        object_id=representative.pk,
        organization_id=representative.organization_id,
        changes=diff(before, data),
    )
    if previous_user_id is not None and previous_user_id != representative.user_id:
        member_mandate_set(
            organization_id=representative.organization_id, user_id=previous_user_id, acts_until=None, actor=actor
        )
    representative_mandate_sync(representative=representative, actor=actor)
    return representative


@transaction.atomic
def representative_revoke(*, actor: Actor, representative: SalesRepresentative, note: str = "") -> SalesRepresentative:
    """The person no longer represents the supplier: its linked account may only read from now on.

    Raises: NotAParty for another organisation's representative, InvalidTransition when already revoked.
    """
    if not actor.acts_for(representative.organization_id):
        raise NotAParty()
    representative = transition(REPRESENTATIVE, representative.pk, action="revoke", actor=actor, note=note)
    representative_mandate_sync(representative=representative, actor=actor)
    return representative


def representative_mandate_until(*, representative: SalesRepresentative) -> date | None:
    """The last day the representative's account may act: the end of its current power of attorney."""
    if representative.status != RepresentativeStatus.ACTIVE:
        return NEVER
    until = Document.objects.filter(
        representative=representative,
        type=DocumentType.REPRESENTATIVE_AUTHORIZATION,
        status__in=sorted(CURRENT_STATUSES),
    ).aggregate(until=Max("valid_until"))["until"]
    return until or NEVER


def representative_mandate_sync(*, representative: SalesRepresentative, actor: Actor = SYSTEM_ACTOR) -> None:
    """Keep the linked account's mandate equal to the representative's power of attorney (call in the transaction
    of any change to either)."""
    if representative.user_id is None:
        return
    member_mandate_set(
        organization_id=representative.organization_id,
        user_id=representative.user_id,
        acts_until=representative_mandate_until(representative=representative),
        actor=actor,
    )
