"""Recalls (药品召回, SPEC §5): platform admins or the drug's marketing-authorisation holder recall lots; those
lots can no longer ship; every affected buyer is told and acknowledges with what it still holds."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from catalog.models import Drug
from catalog.selectors import drug_list
from orders.choices import OrderStatus
from orders.errors import RecallAlreadyAcknowledged, RecallNotAffected
from orders.models import Order, OrderLine, Recall, RecallAcknowledgement
from orders.selectors import recall_affected_lines
from orders.trace_codes import lot_key
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import InvalidInput, NotAParty
from webhooks.services import outbox_publish


@transaction.atomic
def recall_issue(*, actor: Actor, drug_id: int, lots: list[str], level: str, reason: str) -> Recall:
    """Recall lots of a drug (by id): they can no longer be shipped, and every affected buyer is told.

    Lots are matched normalised (case, full-width characters, spaces): `ab 01` recalls `AB01`.
    Raises: NotAParty (neither a platform admin nor the drug's MAH), InvalidInput (no such drug).
    """
    drug = drug_list(actor=actor).filter(pk=drug_id).first()
    if drug is None and actor.organization_id is not None:
        # The holder's own drug whatever its status: a withdrawn approval often comes with a recall of the
        # lots still on the market, and the catalogue shows only active drugs.
        drug = Drug.objects.filter(pk=drug_id, mah_organization_id=actor.organization_id).first()
    if drug is None:
        raise InvalidInput([{"field": "drug", "code": "does_not_exist", "message": _("No such drug.")}])
    by_holder = drug.mah_organization_id is not None and actor.acts_for(drug.mah_organization_id)
    if not (by_holder or actor.is_admin):
        raise NotAParty(_("Only platform admins and the drug's marketing-authorisation holder may recall it."))
    keys = sorted({lot_key(lot) for lot in lots} - {""})
    if not keys:
        raise InvalidInput([{"field": "lots", "code": "required", "message": _("Name at least one lot.")}])
    _lock_orders_shipping(drug_id=drug.pk)
    recall = Recall.objects.create(
        drug=drug,
        lots=sorted({lot.strip() for lot in lots}),
        lot_keys=keys,
        level=level,
        reason=reason,
        issued_by=actor.audit.label,
        issuing_organization_id=drug.mah_organization_id if by_holder else None,
    )
    affected = list(recall_affected_lines(recall=recall))
    audit_record(
        actor=actor.audit,
        action="recall.issued",
        object_type="recall",
        object_id=recall.pk,
        organization_id=recall.issuing_organization_id,
        changes={
            "drug": drug.pk,
            "lots": recall.lots,
            "level": level,
            "reason": reason,
            "affected_orders": sorted({line.shipment.order_id for line in affected}),
        },
    )
    by_buyer: dict[int, list] = {}
    for line in affected:
        by_buyer.setdefault(line.shipment.buyer_id, []).append(line)
    for buyer_id, lines in sorted(by_buyer.items()):
        outbox_publish(
            event_type="recall.issued",
            organization_ids=[buyer_id],
            object_type="recall",
            object_id=recall.pk,
            payload={
                "recall_id": recall.pk,
                "level": level,
                "reason": reason,
                "drug_id": drug.pk,
                "drug_name": drug.generic_name,
                "lots": recall.lots,
                "shipments": [
                    {
                        "shipment_id": line.shipment_id,
                        "order_number": line.shipment.order.number,
                        "lot_number": line.lot_number,
                        "quantity": line.quantity,
                    }
                    for line in lines
                ],
            },
        )
    return recall


def _lock_orders_shipping(*, drug_id: int) -> None:
    """Lock every order that may still ship the drug, in pk order (as shipping locks one).

    A shipment reads the recalls under its order's lock. Without these locks, one that read them just before
    this recall could commit after it: a recalled lot shipped, its buyer never told. With them, it either
    commits first (and is among the affected lines read below) or reads this recall and is refused.
    """
    shipping = Order.objects.filter(
        status__in=[OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED],
        pk__in=OrderLine.objects.filter(drug_id=drug_id).values("order_id"),
    )
    list(shipping.order_by("pk").select_for_update(of=("self",)).values_list("pk", flat=True))


@transaction.atomic
def recall_acknowledge(*, recall: Recall, actor: Actor, quantity_held: int, note: str = "") -> RecallAcknowledgement:
    """An affected buyer confirms it saw the recall and says how many units it still holds; once.

    Raises: RecallNotAffected, RecallAlreadyAcknowledged.
    """
    organization_id = actor.organization_id
    if (
        organization_id is None
        or not recall_affected_lines(recall=recall).filter(shipment__buyer_id=organization_id).exists()
    ):
        raise RecallNotAffected()
    try:
        with transaction.atomic():
            acknowledgement = RecallAcknowledgement.objects.create(
                recall=recall,
                organization_id=organization_id,
                quantity_held=quantity_held,
                note=note,
                acknowledged_by=actor.audit.label,
            )
    except IntegrityError as error:
        raise RecallAlreadyAcknowledged() from error
    audit_record(
        actor=actor.audit,
        action="recall.acknowledged",
        object_type="recall",
        object_id=recall.pk,
        organization_id=organization_id,
        changes={"quantity_held": quantity_held, "note": note},
    )
    outbox_publish(
        event_type="recall.acknowledged",
        organization_ids=[organization_id, recall.drug.mah_organization_id],  # the MAH hears, whoever recalled
        object_type="recall",
        object_id=recall.pk,
        payload={"recall_id": recall.pk, "organization_id": organization_id, "quantity_held": quantity_held},
    )
    return acknowledgement
