from __future__ import annotations

from django.db import transaction

from accounts.actor import Actor
from catalog.models import Drug
from orders.models import Recall
from orders.selectors import recall_affected_lines
from orders.webhooks.services import outbox_publish
from pharmex.audit import audit_record


@transaction.atomic
def recall_issue(*, actor: Actor, drug: Drug, lots: list[str], level: str, reason: str) -> Recall:
    """Recall lots of a drug: they can no longer be shipped, and every affected buyer is told."""
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
