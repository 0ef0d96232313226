"""Reads, always scoped to the actor (STYLE G6); the one definition of "may trade" lives here."""

from __future__ import annotations

from datetime import date

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.actor import Actor
from accounts.choices import TRADING_LICENSE_FOR_KIND, LicenseStatus, OrganizationStatus
from accounts.models import License, Membership, Organization, OrganizationApiKey
from pharmex.models import AuditEvent


def _valid_license_filter(on: date) -> Q:
    return Q(status=LicenseStatus.APPROVED, valid_from__lte=on, valid_until__gte=on)


def may_trade_q(*, on: date | None = None, prefix: str = "") -> Q:
    """Q for organisations that may trade on a day: verified, holding an approved, unexpired trading
    licence for their kind (SPEC §3). `prefix` applies it through a relation, e.g. "supplier__"."""
    on = on or timezone.localdate()
    outer = OuterRef(f"{prefix}pk" if prefix else "pk")
    # One correlated EXISTS per kind (an index probe on the licence's organisation) rather than one
    # EXISTS joining organisations again, which PostgreSQL plans as a scan per outer row.
    holds_trading_license = Q()
    for kind, license_type in TRADING_LICENSE_FOR_KIND.items():
        licensed = License.objects.filter(_valid_license_filter(on), organization=outer, type=license_type)
        holds_trading_license |= Q(**{f"{prefix}kind": kind}) & Q(Exists(licensed))
    return Q(**{f"{prefix}status": OrganizationStatus.VERIFIED}) & holds_trading_license


def organization_may_trade(*, organization: Organization, on: date | None = None) -> bool:
    return Organization.objects.filter(pk=organization.pk).filter(may_trade_q(on=on)).exists()


def organization_scope_tags(*, organization: Organization, on: date | None = None) -> set[str]:
    """Scope tags (经营/诊疗范围) of the organisation's approved, unexpired licences."""
    on = on or timezone.localdate()
    tags: set[str] = set()
    for scope in License.objects.filter(_valid_license_filter(on), organization=organization).values_list(
        "scope_tags", flat=True
    ):
        tags.update(scope)
    return tags


def organization_list(*, actor: Actor) -> QuerySet[Organization]:
    """Admins see every organisation; others the ones they act for."""
    queryset = Organization.objects.annotate(
        may_trade=ExpressionWrapper(may_trade_q(), output_field=BooleanField())
    ).order_by("id")
    if actor.is_staff:
        return queryset
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


def license_list(*, actor: Actor) -> QuerySet[License]:
    queryset = License.objects.select_related("organization").order_by("id")
    if actor.is_staff:
        return queryset
    if actor.organization is not None:
        return queryset.filter(organization=actor.organization)
    return queryset.none()


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
