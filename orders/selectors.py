"""Reads of the orders app, scoped to the actor (STYLE G6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import F, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from accounts.models import Organization
from orders.choices import Side
from orders.models import (
    CodeFormat,
    CustodyHop,
    Order,
    OrderEvent,
    OrderLine,
    Recall,
    Shipment,
    ShipmentLine,
    SuspectedDiversion,
    TraceCode,
)
from orders.trace_codes import canonical
from pharmex.actor import Actor
from pharmex.calendar import local_days
from pharmex.errors import NotAParty, NotFound
from pharmex.tenancy import in_jurisdiction, parties_q, scoped


def order_list(*, actor: Actor) -> QuerySet[Order]:
    """Orders the actor is a party to (as buyer or supplier); staff see all, a regulator its jurisdiction's.

    The parties are not joined: an order renders the names and licences it recorded at placement, and joining two
    organisations cost a detail read 0.6–1.1 ms of 5.3–6.8 (BENCHMARKS.md). Who acts on an order takes it
    from `order_for_party`, which joins them for the services' rules.
    """
    orders = Order.objects.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("line_no")))
    return scoped(orders.order_by("-id"), parties_q(actor, "buyer", "supplier"))


def order_side_q(*, actor: Actor, side: str) -> Q:
    """Orders where the actor's organisation is the buyer, or the supplier (`?role=`); staff acting for no
    organisation (and regulators, who are no party) keep every order."""
    if actor.organization is None or actor.is_regulator:
        return Q()
    return Q(**{side: actor.organization})


def order_for_party(*, actor: Actor, order_id: int, side: str) -> Order:
    """An order the actor may act on as `side` (Side.BUYER or Side.SUPPLIER).

    Raises: NotFound when the actor may not see the order (not a party, not staff), NotAParty when it sees it
    but acts for the other side (or is staff acting for no party).
    """
    order = order_list(actor=actor).select_related("buyer", "supplier").filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    party_id = order.supplier_id if side == Side.SUPPLIER else order.buyer_id
    if not actor.acts_for(party_id):
        raise NotAParty(_("Only the %(side)s may do this.") % {"side": side})
    return order


def order_events(*, order: Order) -> QuerySet[OrderEvent]:
    # No event precedes the placement (the "place" event is written with placed_at); saying so skips the monthly
    # partitions before it (orders 0016).
    return OrderEvent.objects.filter(order=order, created_at__gte=order.placed_at)


@dataclass(frozen=True)
class Trace:
    """A code as one actor may see it: the code and the hops the actor took part in (staff: every hop).

    The code carries its holder and, as attributes, `drug_name`, `drug_specification`, `drug_approval_number` and
    `case_code`; each hop its two organisations, `order_number` and `return_number`.
    """

    code: TraceCode
    hops: list[CustodyHop]
    show_holder: bool


def trace_get(*, actor: Actor, code: str) -> Trace:
    """A traceability code's custody chain: staff see every hop, a party the hops it took part in.

    Raises: NotFound (404) when the code is unknown or the actor took part in none of its hops.
    """
    # The code's drug and case, and its hops' orders and returns, give a column or three each: joining their whole
    # rows cost a lookup a fifth of its CPU, mostly in Django's compiler (BENCHMARKS.md).
    trace = (
        TraceCode.objects.select_related("holder")
        .annotate(
            drug_name=F("drug__generic_name"),
            drug_specification=F("drug__specification"),
            drug_approval_number=F("drug__approval_number"),
            case_code=F("case__code"),
        )
        .filter(code=canonical(code))
        .first()
    )
    party = parties_q(actor, "from_organization", "to_organization")
    if trace is None or party is None:
        raise NotFound()
    hops = CustodyHop.objects.of_code(trace).filter(party)
    hops = hops.select_related("from_organization", "to_organization").annotate(
        order_number=F("order__number"), return_number=F("return_request__number")
    )
    hops = list(hops.order_by("id"))
    if not hops and not actor.is_staff:
        raise NotFound()
    show_holder = actor.is_staff or actor.acts_for(trace.holder_id) or in_jurisdiction(actor, trace.holder)
    return Trace(code=trace, hops=hops, show_holder=show_holder)


def recall_list(*, actor: Actor) -> QuerySet[Recall]:
    """Recall notices are public to every signed-in participant."""
    return Recall.objects.select_related("drug").order_by("-id")


def recall_affected_lines(*, recall: Recall, actor: Actor | None = None) -> QuerySet[ShipmentLine]:
    """Shipped lines of the recalled lots (matched normalised); staff and the drug's MAH see every shipment, any
    other actor only its own."""
    queryset = (
        ShipmentLine.objects.filter(drug=recall.drug, lot_key__in=recall.lot_keys)
        .select_related("shipment__order__buyer", "shipment__order__supplier")
        .order_by("pk")
    )
    holder = recall.drug.mah_organization_id  # the MAH follows every recall of its drug, whoever issued it
    if actor is not None and not actor.is_staff and not actor.acts_for(holder):
        return scoped(queryset, parties_q(actor, "shipment__buyer", "shipment__supplier"))
    return queryset


def recall_buyers(*, recall: Recall, actor: Actor) -> QuerySet:
    """Each affected buyer (`buyer`, its id) with `shipped_quantity`, the units of the recalled lots shipped to it, in
    buyer order: one row per buyer, summed by the database, to be paged (`recall_buyer_rows` completes a page).

    Staff and the drug's MAH see every buyer; a buyer sees itself; a supplier the buyers it shipped to.
    """
    lines = recall_affected_lines(recall=recall, actor=actor)
    return lines.values(buyer=F("shipment__buyer_id")).annotate(shipped_quantity=Sum("quantity")).order_by("buyer")


def recall_buyer_rows(*, recall: Recall, rows: list[dict]) -> list[dict]:
    """A page of `recall_buyers` with each buyer's organisation and its acknowledgement (None: not yet)."""
    ids = [row["buyer"] for row in rows]
    organizations = Organization.objects.in_bulk(ids)
    acknowledged = {ack.organization_id: ack for ack in recall.acknowledgements.filter(organization_id__in=ids)}
    return [
        {
            "organization": organizations[row["buyer"]],
            "shipped_quantity": row["shipped_quantity"],
            "acknowledgement": acknowledged.get(row["buyer"]),
        }
        for row in rows
    ]


def shipment_list(*, actor: Actor) -> QuerySet[Shipment]:
    """Shipments the actor's organisation sent or received; staff see all, a regulator its jurisdiction's."""
    shipments = (
        Shipment.objects.select_related("order", "buyer", "supplier", "temperature_record")
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("drug", "order_line").order_by("id"))
        )
        .order_by("-id")
    )
    return scoped(shipments, parties_q(actor, "buyer", "supplier"))


def shipment_for_party(*, actor: Actor, shipment_id: int, side: str) -> Shipment:
    """A shipment the actor may act on as `side`. Raises: NotFound, NotAParty (as order_for_party)."""
    shipment = shipment_list(actor=actor).filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound()
    if not actor.acts_for(shipment.supplier_id if side == Side.SUPPLIER else shipment.buyer_id):
        raise NotAParty(_("Only the %(side)s may do this.") % {"side": side})
    return shipment


def shipments_received(*, actor: Actor, first_day: date, last_day: date) -> QuerySet[Shipment]:
    """Shipments the actor's organisation received (staff acting for none: everyone's; a regulator: its
    jurisdiction's buyers') on these local days."""
    start, end = local_days(first_day, last_day)
    shipments = shipment_list(actor=actor).filter(received_at__gte=start, received_at__lt=end)
    if actor.is_regulator:
        return shipments.filter(parties_q(actor, "buyer"))
    return shipments.filter(buyer=actor.organization) if actor.organization is not None else shipments


def shipment_codes(*, shipments: QuerySet[Shipment]) -> QuerySet[CustodyHop]:
    """The codes the shipments carried, with the drug facts a 医保/码上放心 upload needs, in shipment order."""
    return (
        CustodyHop.objects.of_shipments(shipments)
        .select_related("code", "code__case", "shipment_line__drug", "shipment")
        .order_by("shipment_id", "shipment_line_id", "code__code")
    )


def diversion_list(*, actor: Actor) -> QuerySet[SuspectedDiversion]:
    """Suspected diversions: staff see all; a regulator those of (or against) organisations in its jurisdiction;
    an organisation the flags that name it as the expected holder."""
    flags = SuspectedDiversion.objects.select_related(
        "attempted_order", "attempted_by_organization", "expected_holder"
    ).order_by("-id")
    if actor.is_staff:
        return flags
    if actor.is_regulator:
        return flags.filter(parties_q(actor, "attempted_by_organization", "expected_holder"))
    if actor.organization is None:
        return flags.none()
    return flags.filter(expected_holder=actor.organization)


def code_formats(*, actor: Actor) -> QuerySet[CodeFormat]:
    """Enterprise code formats: every format is public to signed-in participants (they read the codes)."""
    return CodeFormat.objects.select_related("drug", "organization").order_by("drug_id", "id")


def order_buyer_ids(*, numbers: list[str]) -> set[int]:
    """The buyers of the orders with these numbers (bank references name orders)."""
    return set(Order.objects.filter(number__in=numbers).values_list("buyer_id", flat=True))
