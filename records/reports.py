"""Platform duty reports (SPEC §7a; 药品网络销售监督管理办法: a third-party platform checks its merchants, stops
violations and reports them): rows for platform staff (every organisation) and regulators (their jurisdiction),
each streamed through the one spreadsheet writer.

Each report is a header and a function `(actor) -> iterator of rows`, read in chunks (no report holds its rows in
memory); the organisations a row concerns are scoped by pharmex.tenancy, as everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Subquery, Sum

from accounts.choices import TRADING_LICENSE_FOR_KIND, OrganizationKind, OrganizationStatus, ReverificationStatus
from accounts.models import License, Organization, OrganizationStatusChange, Reverification
from accounts.services.reverification import reverification_due_on
from orders.models import Recall, RecallAcknowledgement, ShipmentLine, SuspectedDiversion
from pharmex.actor import Actor
from pharmex.tenancy import in_jurisdiction, parties_q, scoped


@dataclass(frozen=True)
class Report:
    name: str
    header: tuple[str, ...]
    rows: Callable[[Actor], Iterator[list]]


def merchant_rows(actor: Actor) -> Iterator[list]:
    """Every trading organisation with its status, trading licence and re-verification dates."""
    open_review = Reverification.objects.filter(organization=OuterRef("pk"), status=ReverificationStatus.OPEN)
    organizations = (
        scoped(Organization.objects.exclude(kind=OrganizationKind.REGULATOR), parties_q(actor, ""))
        .annotate(review_due_on=Subquery(open_review.values("due_on")[:1]))
        .order_by("id")
    )
    licences = License.objects.order_by("-valid_until", "-id")
    for organization in organizations.iterator(chunk_size=1000):
        trading = licences.filter(
            organization=organization, type=TRADING_LICENSE_FOR_KIND.get(organization.kind, "")
        ).first()
        yield [
            organization.pk,
            organization.legal_name,
            organization.uscc,
            organization.kind,
            organization.province_code,
            organization.status,
            organization.status_reason,
            organization.last_verified_at,
            reverification_due_on(organization),
            organization.review_due_on,
            trading.number if trading else "",
            trading.status if trading else "",
            trading.valid_until if trading else None,
        ]


def suspension_rows(actor: Actor) -> Iterator[list]:
    """Every suspension of an organisation, with its reason, who decided and when (re-verification's included)."""
    suspensions = OrganizationStatusChange.objects.filter(to_status=OrganizationStatus.SUSPENDED)
    changes = (
        scoped(suspensions, parties_q(actor, "organization"))
        .order_by("created_at", "id")
        .values_list(
            "organization_id",
            "organization__legal_name",
            "organization__uscc",
            "created_at",
            "action",
            "note",
            "actor",
            "organization__status",
        )
    )
    yield from (list(row) for row in changes.iterator(chunk_size=2000))


def diversion_rows(actor: Actor) -> Iterator[list]:
    """Every suspected diversion (回流/串货) with its outcome."""
    flags = (
        scoped(SuspectedDiversion.objects.all(), parties_q(actor, "attempted_by_organization", "expected_holder"))
        .order_by("id")
        .values_list(
            "id",
            "created_at",
            "code",
            "kind",
            "attempted_order__number",
            "attempted_by_organization__legal_name",
            "expected_holder__legal_name",
            "status",
            "resolution_note",
            "resolved_by",
            "resolved_at",
        )
    )
    yield from (list(row) for row in flags.iterator(chunk_size=2000))


def recall_rows(actor: Actor) -> Iterator[list]:
    """Every recall with its progress: the buyers shipped the recalled lots (in the actor's view), how many of them
    acknowledged, and the units they still hold."""
    recalls = Recall.objects.select_related("drug", "issuing_organization").order_by("id")
    for recall in recalls.iterator(chunk_size=500):
        lines = ShipmentLine.objects.filter(drug=recall.drug_id, lot_key__in=recall.lot_keys)
        if actor.is_regulator and not (
            scoped(lines, parties_q(actor, "shipment__buyer", "shipment__supplier")).exists()
            or (recall.issuing_organization and in_jurisdiction(actor, recall.issuing_organization))
        ):
            continue  # the recall reaches no organisation of its jurisdiction
        buyers = set(scoped(lines, parties_q(actor, "shipment__buyer")).values_list("shipment__buyer_id", flat=True))
        acknowledged = RecallAcknowledgement.objects.filter(recall=recall, organization_id__in=buyers).aggregate(
            count=Count("id"), held=Sum("quantity_held")
        )
        yield [
            recall.pk,
            recall.created_at,
            recall.level,
            recall.drug.generic_name,
            recall.drug.approval_number,
            ", ".join(recall.lots),
            recall.reason,
            recall.issued_by,
            len(buyers),
            acknowledged["count"],
            len(buyers) - acknowledged["count"],
            acknowledged["held"] or 0,
        ]


REPORTS = {
    report.name: report
    for report in (
        Report(
            "merchants",
            (
                "organization_id",
                "legal_name",
                "uscc",
                "kind",
                "province_code",
                "status",
                "status_reason",
                "last_verified_at",
                "reverification_due_on",
                "open_review_due_on",
                "trading_license_number",
                "trading_license_status",
                "trading_license_valid_until",
            ),
            merchant_rows,
        ),
        Report(
            "suspensions",
            ("organization_id", "legal_name", "uscc", "suspended_at", "action", "reason", "decided_by", "status_now"),
            suspension_rows,
        ),
        Report(
            "diversions",
            (
                "id",
                "flagged_at",
                "code",
                "kind",
                "order_number",
                "attempted_by",
                "expected_holder",
                "status",
                "outcome_note",
                "resolved_by",
                "resolved_at",
            ),
            diversion_rows,
        ),
        Report(
            "recalls",
            (
                "recall_id",
                "issued_at",
                "level",
                "generic_name",
                "approval_number",
                "lots",
                "reason",
                "issued_by",
                "buyers_affected",
                "buyers_acknowledged",
                "buyers_outstanding",
                "quantity_held",
            ),
            recall_rows,
        ),
    )
}
