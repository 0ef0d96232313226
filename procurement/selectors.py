"""Procurement reads, scoped to the actor (STYLE G6): each party sees what it is a party to; admins see all."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from orders.choices import OrderStatus
from orders.models import OrderLine
from pharmex.actor import Actor
from procurement.choices import SoleSellerStatus
from procurement.models import ContractPrice, DeliveryDesignation, ProcurementContract, Quote, QuoteRequest, SoleSeller

# Orders that never became a purchase do not count against an agreed volume.
_NOT_PURCHASES = [OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.EXPIRED]


def designation_list(*, actor: Actor) -> QuerySet[DeliveryDesignation]:
    qs = DeliveryDesignation.objects.select_related("manufacturer", "distributor", "drug").prefetch_related("buyers")
    if actor.is_staff:
        return qs
    org = actor.organization_id
    return qs.filter(Q(manufacturer_id=org) | Q(distributor_id=org))


def contract_price_list(*, actor: Actor) -> QuerySet[ContractPrice]:
    qs = ContractPrice.objects.select_related("drug")
    if actor.is_staff:
        return qs
    org = actor.organization_id
    return qs.filter(Q(supplier_id=org) | Q(buyer_id=org))


def contract_list(*, actor: Actor) -> QuerySet[ProcurementContract]:
    qs = ProcurementContract.objects.select_related("drug", "supplier").prefetch_related("volumes")
    if actor.is_staff:
        return qs
    org = actor.organization_id
    return qs.filter(Q(supplier_id=org) | Q(volumes__institution_id=org)).distinct()


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
    volumes = contract.volumes.select_related("institution").order_by("institution_id")
    if not actor.is_staff and actor.organization_id != contract.supplier_id:
        volumes = volumes.filter(institution_id=actor.organization_id)
    volumes = list(volumes)
    totals = {
        row["order__buyer_id"]: row
        for row in OrderLine.objects.filter(
            drug_id=contract.drug_id,
            order__buyer_id__in=[v.institution_id for v in volumes],
            order__placed_at__date__gte=contract.valid_from,
            order__placed_at__date__lte=contract.valid_until,
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


def quote_request_list(*, actor: Actor) -> QuerySet[QuoteRequest]:
    qs = QuoteRequest.objects.select_related("drug").prefetch_related("quotes")
    if actor.is_staff:
        return qs
    return qs.filter(buyer_id=actor.organization_id)


def quote_list(*, actor: Actor) -> QuerySet[Quote]:
    qs = Quote.objects.select_related("request", "request__drug")
    if actor.is_staff:
        return qs
    org = actor.organization_id
    return qs.filter(Q(supplier_id=org) | Q(request__buyer_id=org))


def sole_seller_list(*, actor: Actor) -> QuerySet[SoleSeller]:
    """Verified sole sellers are public facts (a distributor checks who may invoice it first); registrations not
    verified are seen by the manufacturer, the seller and platform staff only."""
    qs = SoleSeller.objects.all()
    if actor.is_staff:
        return qs
    org = actor.organization_id
    return qs.filter(Q(status=SoleSellerStatus.VERIFIED) | Q(manufacturer_id=org) | Q(seller_id=org))
