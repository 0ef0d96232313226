from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.selectors import drug_list
from orders.models import Recall
from orders.selectors import recall_affected_lines
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.choices import StaffRole
from pharmex.errors import InvalidInput
from webhooks.services import outbox_publish


@transaction.atomic
def recall_issue(*, actor: Actor, drug_id: int, lots: list[str], level: str, reason: str) -> Recall:
    """Recall lots of a drug (by id): they can no longer be shipped, and every affected buyer is told.

    Raises: NotAParty (platform admins only), InvalidInput (no such drug).
    """
    actor.require_staff(StaffRole.ADMIN)
    drug = drug_list(actor=actor).filter(pk=drug_id).first()
    if drug is None:
        raise InvalidInput([{"field": "drug", "code": "does_not_exist", "message": _("No such drug.")}])
    recall = Recall.objects.create(
        drug=drug, lots=sorted(set(lots)), level=level, reason=reason, issued_by=actor.audit.label
    )
    affected = list(recall_affected_lines(recall=recall))
    audit_record(
        actor=actor.audit,
        action="recall.issued",
        object_type="recall",
        object_id=recall.pk,
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
        by_buyer.setdefault(line.shipment.order.buyer_id, []).append(line)
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
                        "order_number": line.shipment.order.number,
                        "lot_number": line.lot_number,
                        "quantity": line.quantity,
                    }
                    for line in lines
                ],
            },
        )
    return recall
