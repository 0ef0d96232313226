"""Reads, always scoped to the actor (STYLE G6); the one definition of "may trade" lives here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts import sql
from accounts.choices import TRADING_LICENSE_FOR_KIND, InvitationStatus, LicenseStatus, MemberRole, OrganizationStatus
from accounts.models import (
    Invitation,
    License,
    LicenseStatusChange,
    Membership,
    Organization,
    OrganizationApiKey,
    OrganizationStatusChange,
    Reverification,
    ReverificationStatusChange,
)
from pharmex.actor import Actor
from pharmex.errors import NotFound
from pharmex.models import AuditEvent
from pharmex.tenancy import own_q, parties_q, scoped


def _valid_license_filter(on: date) -> Q:
    return Q(status=LicenseStatus.APPROVED, valid_from__lte=on, valid_until__gte=on)


def may_trade_q(*, on: date | None = None, prefix: str = "") -> Q:
    """Q for organisations that may trade on a day: verified, holding an approved, unexpired trading
    licence for their kind (SPEC §3). `prefix` applies it through a relation, e.g. "supplier__".

    `trading_standings` evaluates the same rule for a few known organisations (the parity is tested)."""
    on = on or timezone.localdate()
    outer = OuterRef(f"{prefix}pk" if prefix else "pk")
    # One correlated EXISTS per kind (an index probe on the licence's organisation) rather than one
    # EXISTS joining organisations again, which PostgreSQL plans as a scan per outer row.
    holds_trading_license = Q()
    for kind, license_type in TRADING_LICENSE_FOR_KIND.items():
        licensed = License.objects.filter(_valid_license_filter(on), organization=outer, type=license_type)
        holds_trading_license |= Q(**{f"{prefix}kind": kind}) & Q(Exists(licensed))
    return Q(**{f"{prefix}status": OrganizationStatus.VERIFIED}) & holds_trading_license


@dataclass(frozen=True)
class TradingStanding:
    """Whether an organisation may trade on a day, the scope tags (经营/诊疗范围) of its valid licences, and the
    number of its valid trading licence (the one valid longest; "" when it holds none)."""

    may_trade: bool
    scope_tags: frozenset[str]
    license_number: str = ""


NO_STANDING = TradingStanding(may_trade=False, scope_tags=frozenset())


def trading_organization_ids() -> list[int]:
    """Organisations that may trade today, as ids (one small query).

    Measured on 100k drugs / 300k offers (BENCHMARKS.md): inlined as a correlated EXISTS per offer, the
    planner nested-looped every offer of every supplier (30 s); a literal id list keeps each drug's probe
    on the offer_market index (under 5 ms).
    """
    return list(Organization.objects.filter(may_trade_q()).values_list("pk", flat=True))


def trading_standings(*, organization_ids: Iterable[int], on: date | None = None) -> dict[int, TradingStanding]:
    """The standing of each organisation, from one query of their valid licences.

    The rule is may_trade_q's, applied in Python to the licences read: the order path asks this for
    the buyer and a few suppliers on every placement, where compiling may_trade_q would cost more than
    the whole query. Organisations holding no valid licence get NO_STANDING.
    """
    organization_ids = list(organization_ids)
    if not organization_ids:
        return {}
    return trading_standings_from(sql.valid_licenses(organization_ids=organization_ids, on=on or timezone.localdate()))


def trading_standings_from(rows: Iterable[Sequence]) -> dict[int, TradingStanding]:
    """The standings that rows of accounts.sql.valid_licenses_of give (organisations without a row have none)."""
    licences: dict[int, tuple[str, str, set[str], set[str], list]] = {}
    for organization_id, kind, status, license_type, scope_tags, number, valid_until in rows:
        _, _, types, tags, trading = licences.setdefault(organization_id, (kind, status, set(), set(), []))
        types.add(license_type)
        tags.update(scope_tags)
        if license_type == TRADING_LICENSE_FOR_KIND.get(kind):
            trading.append((valid_until, number))
    return {
        organization_id: TradingStanding(
            may_trade=status == OrganizationStatus.VERIFIED and TRADING_LICENSE_FOR_KIND.get(kind) in types,
            scope_tags=frozenset(tags),
            license_number=max(trading)[1] if trading else "",
        )
        for organization_id, (kind, status, types, tags, trading) in licences.items()
    }


def trading_standing(*, organization: Organization, on: date | None = None) -> TradingStanding:
    return trading_standings(organization_ids=[organization.pk], on=on).get(organization.pk, NO_STANDING)


def organization_may_trade(*, organization: Organization, on: date | None = None) -> bool:
    return trading_standing(organization=organization, on=on).may_trade


def organization_list(*, actor: Actor) -> QuerySet[Organization]:
    """Admins see every organisation; a regulator those in its jurisdiction; others the ones they act for."""
    queryset = Organization.objects.annotate(
        may_trade=ExpressionWrapper(may_trade_q(), output_field=BooleanField())
    ).order_by("id")
    if actor.is_staff:
        return queryset
    if actor.is_regulator:
        return queryset.filter(parties_q(actor, ""))
    if actor.organization is not None:
        return queryset.filter(pk=actor.organization.pk)
    if actor.user is not None:
        return queryset.filter(memberships__user=actor.user)
    return queryset.none()


def member_list(*, actor: Actor, organization_id: int) -> QuerySet[Membership]:
    queryset = Membership.objects.select_related("user").filter(organization_id=organization_id).order_by("id")
    if actor.is_staff or (actor.organization is not None and actor.organization.pk == organization_id):
        return queryset
    return queryset.none()


def invitation_list(*, actor: Actor, organization_id: int) -> QuerySet[Invitation]:
    """An organisation's invitations, for an owner acting for it; nothing for anyone else, platform staff
    included (the addresses are not its members' yet)."""
    if not (actor.acts_for(organization_id) and actor.has_role(MemberRole.OWNER)):
        return Invitation.objects.none()
    return Invitation.objects.select_related("organization").filter(organization_id=organization_id).order_by("id")


def invitation_list_for_invitee(*, actor: Actor) -> QuerySet[Invitation]:
    """The invitations the signed-in person may accept: pending, unexpired, addressed to their email."""
    if actor.user is None:
        return Invitation.objects.none()
    return (
        Invitation.objects.select_related("organization")
        .filter(email=actor.user.email.lower(), status=InvitationStatus.PENDING, expires_at__gt=timezone.now())
        .order_by("id")
    )


def license_list(*, actor: Actor) -> QuerySet[License]:
    return scoped(License.objects.select_related("organization").order_by("id"), parties_q(actor, "organization"))


def api_key_list(*, actor: Actor) -> QuerySet[OrganizationApiKey]:
    if actor.organization is None or actor.api_key is not None:
        return OrganizationApiKey.objects.none()
    return OrganizationApiKey.objects.filter(organization=actor.organization).order_by("-created")


def audit_event_list(*, actor: Actor) -> QuerySet[AuditEvent]:
    """Admins read the whole log; an organisation reads the records about itself."""
    if actor.is_admin:
        return AuditEvent.objects.all()
    if actor.organization is not None:
        return AuditEvent.objects.filter(organization_id=actor.organization.pk)
    return AuditEvent.objects.none()


def organization_history(*, organization: Organization) -> QuerySet[OrganizationStatusChange]:
    """Status changes of an organisation the actor already reads (organization_list), newest first."""
    return organization.status_changes.order_by("-id")


def license_history(*, license: License) -> QuerySet[LicenseStatusChange]:
    """Reviews of a licence the actor already reads (license_list), newest first."""
    return license.status_changes.order_by("-id")


def organization_get(*, actor: Actor, organization_id: int) -> Organization:
    """One organisation the actor may read. Raises: NotFound (404) for any other."""
    organization = organization_list(actor=actor).filter(pk=organization_id).first()
    if organization is None:
        raise NotFound()
    return organization


def organization_in_view(*, actor: Actor, organization_id: int | None) -> Organization:
    """The organisation whose records (or reports) the actor asks for: its own by default; any named one for staff,
    one in its jurisdiction for a regulator.

    Raises: NotFound (404) for an organisation the actor may not read about (or none named, acting for none).
    """
    if organization_id is None:
        if actor.organization is None or actor.is_regulator:
            raise NotFound()
        return actor.organization
    organization = scoped(Organization.objects.filter(pk=organization_id), parties_q(actor, "")).first()
    if organization is None:
        raise NotFound()
    return organization


def organization_ids_existing(*, ids: Iterable[int]) -> set[int]:
    """The ids among `ids` that name an organisation (bank references carry payment codes)."""
    return set(Organization.objects.filter(pk__in=list(ids)).values_list("pk", flat=True))


def reverification_list(*, actor: Actor) -> QuerySet[Reverification]:
    """Platform staff see every re-verification (the review queue); an organisation sees its own."""
    queryset = Reverification.objects.select_related("organization").order_by("due_on", "id")
    return scoped(queryset, own_q(actor, "organization"))


def reverification_history(*, reverification: Reverification) -> QuerySet[ReverificationStatusChange]:
    """Decisions on a re-verification the actor already reads, newest first."""
    return reverification.status_changes.order_by("-id")
