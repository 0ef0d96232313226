"""Procurement reads, scoped to the actor (STYLE G6): each party sees what it is a party to; admins see all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum

from orders.choices import OrderStatus
from orders.models import OrderLine
from pharmex.actor import Actor
from pharmex.calendar import local_days
from pharmex.divisions import division_codes_of
from pharmex.tenancy import own_q, scoped
from procurement.choices import DesignationStatus, SoleSellerStatus
from procurement.models import (
    ContractPrice,
    ContractVolume,
    DeliveryDesignation,
    ProcurementContract,
    ProcurementPlan,
    ProcurementPlanLine,
    Quote,
    QuoteRequest,
    SoleSeller,
)

# Orders that never became a purchase do not count against an agreed volume.
_NOT_PURCHASES = [OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.EXPIRED]


def designation_list(*, actor: Actor) -> QuerySet[DeliveryDesignation]:
    """The MAH's and the distributor's designations; an institution sees those that cover it once accepted (who
    may deliver to it), never the ones proposed or declined between the two."""
    qs = DeliveryDesignation.objects.select_related("manufacturer", "distributor", "drug").prefetch_related("buyers")
    if actor.is_staff:
        return qs
    organization = actor.require_organization()
    parties = Q(manufacturer=organization) | Q(distributor=organization)
    if not organization.is_public_institution:
        return qs.filter(parties)
    regions = division_codes_of(organization.province_code, organization.city_county)
    covering = Q(buyers=organization) | Q(region_codes__overlap=regions)
    settled = Q(status__in=[DesignationStatus.ACCEPTED, DesignationStatus.REVOKED], accepted_at__isnull=False)
    return qs.filter(parties | (covering & settled)).distinct()


def contract_price_list(*, actor: Actor) -> QuerySet[ContractPrice]:
    return scoped(ContractPrice.objects.select_related("drug"), own_q(actor, "supplier", "buyer"))


def contract_list(*, actor: Actor) -> QuerySet[ProcurementContract]:
    """Admins and the winner see every institution's agreed volume; an institution sees its own only."""
    qs = ProcurementContract.objects.select_related("drug", "supplier")
    if actor.is_staff:
        return qs.prefetch_related("volumes")
    visible = scoped(ContractVolume.objects.order_by("id"), own_q(actor, "institution", "contract__supplier"))
    qs = qs.prefetch_related(Prefetch("volumes", queryset=visible))
    return scoped(qs, own_q(actor, "supplier", "volumes__institution")).distinct()


@dataclass(frozen=True)
class Progress:
    institution_id: int
    institution_name: str
    agreed_volume: int
    ordered: int
    received: int


def contract_progress(*, actor: Actor, contract: ProcurementContract) -> list[Progress]:
    """Each institution's purchases of the contract's drug in its period (order date), from any supplier, against
    its agreed volume: `ordered` the quantities of its orders that were not refused, cancelled or expired,
    `received` what it accepted at receipt. An institution sees its own row; the winner and admins see all."""
    return volumes_progress(contract=contract, volumes=list(contract_volumes(actor=actor, contract=contract)))


def contract_volumes(*, actor: Actor, contract: ProcurementContract) -> QuerySet[ContractVolume]:
    """The contract's agreed volumes the actor reads, in institution order: an institution its own, the winner and
    admins every institution's."""
    volumes = contract.volumes.select_related("institution").order_by("institution_id")
    if not actor.is_staff and actor.organization_id != contract.supplier_id:
        volumes = volumes.filter(institution_id=actor.organization_id)
    return volumes


def volumes_progress(*, contract: ProcurementContract, volumes: list[ContractVolume]) -> list[Progress]:
    """`contract_progress` of these volumes of the contract (a page of them), in one read of the order lines."""
    start, end = local_days(contract.valid_from, contract.valid_until)
    totals = {
        row["order__buyer_id"]: row
        for row in OrderLine.objects.filter(
            drug_id=contract.drug_id,
            order__buyer_id__in=[v.institution_id for v in volumes],
            order__placed_at__gte=start,
            order__placed_at__lt=end,
        )
        .exclude(order__status__in=_NOT_PURCHASES)
        .values("order__buyer_id")
        .annotate(ordered=Sum("quantity"), received=Sum("accepted_quantity"))
    }
    return [
        Progress(
            institution_id=v.institution_id,
            institution_name=v.institution.legal_name,
            agreed_volume=v.annual_volume,
            ordered=totals.get(v.institution_id, {}).get("ordered") or 0,
            received=totals.get(v.institution_id, {}).get("received") or 0,
        )
        for v in volumes
    ]


PROGRESS_REPORT_HEADER = [
    "contract_id",
    "programme",
    "drug_id",
    "drug_name",
    "approval_number",
    "supplier_id",
    "supplier_name",
    "agreed_price",
    "valid_from",
    "valid_until",
    "institution_id",
    "institution_name",
    "agreed_volume",
    "ordered",
    "received",
    "ordered_percent",
    "received_percent",
]


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def progress_report_rows(*, actor: Actor, contract_id: int | None = None) -> Iterator[list]:
    """One row per contract and institution (what contract_progress shows each caller), for the one export
    writer: a query per contract, read as the download streams."""
    contracts = contract_list(actor=actor).select_related(None).select_related("drug", "supplier").order_by("id")
    if contract_id is not None:
        contracts = contracts.filter(pk=contract_id)
    for contract in contracts.iterator(chunk_size=200):
        for row in contract_progress(actor=actor, contract=contract):
            yield [
                contract.pk,
                contract.programme,
                contract.drug_id,
                contract.drug.generic_name,
                contract.drug.approval_number,
                contract.supplier_id,
                contract.supplier.legal_name,
                contract.agreed_price,
                contract.valid_from,
                contract.valid_until,
                row.institution_id,
                row.institution_name,
                row.agreed_volume,
                row.ordered,
                row.received,
                _percent(row.ordered, row.agreed_volume),
                _percent(row.received, row.agreed_volume),
            ]


def quote_request_list(*, actor: Actor) -> QuerySet[QuoteRequest]:
    return scoped(QuoteRequest.objects.select_related("drug").prefetch_related("quotes"), own_q(actor, "buyer"))


def quote_list(*, actor: Actor) -> QuerySet[Quote]:
    return scoped(Quote.objects.select_related("request", "request__drug"), own_q(actor, "supplier", "request__buyer"))


def plan_list(*, actor: Actor) -> QuerySet[ProcurementPlan]:
    """The buyer's own plans (admins: all), with their lines."""
    qs = ProcurementPlan.objects.prefetch_related(Prefetch("lines", ProcurementPlanLine.objects.order_by("row")))
    return scoped(qs, own_q(actor, "buyer"))


def sole_seller_list(*, actor: Actor) -> QuerySet[SoleSeller]:
    """Verified sole sellers are public facts (a distributor checks who may invoice it first); registrations not
    verified are seen by the manufacturer, the seller and platform staff only."""
    if actor.is_staff:  # before own_q: its Q() for "every row" would vanish from an OR
        return SoleSeller.objects.all()
    verified = Q(status=SoleSellerStatus.VERIFIED)
    parties = own_q(actor, "manufacturer", "seller")
    return SoleSeller.objects.filter(verified if parties is None else verified | parties)
