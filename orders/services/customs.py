"""The second-line declaration of an order's zero-tariff goods leaving the island (SPEC §4a)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from orders.choices import OrderStatus
from orders.errors import SecondLineNotNeeded
from orders.models import Order, SecondLineDeclaration
from orders.notifications import announce_order
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import InvalidTransition, NotFound

DECLARABLE = frozenset({OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED})


@transaction.atomic
def second_line_declare(
    *, order: Order, actor: Actor, declaration_number: str, duty_amount: Decimal
) -> SecondLineDeclaration:
    """Record the second-line (二线) import declaration of an order of zero-tariff goods for the mainland: its number
    and the duty paid. The order ships only once it is recorded; it is recorded once.

    Raises: SecondLineNotNeeded (no such goods, or already declared), InvalidTransition (the order is past shipping).
    """
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if order.status not in DECLARABLE:
        raise InvalidTransition(
            _("A declaration is recorded before the goods ship; the order is %(status)s.") % {"status": order.status}
        )
    if not order.lines.filter(second_line=True).exists():
        raise SecondLineNotNeeded(_("The order has no zero-tariff goods leaving the island."))
    if SecondLineDeclaration.objects.filter(order=order).exists():
        raise SecondLineNotNeeded(_("The order's second-line declaration is already recorded."))
    declaration = SecondLineDeclaration.objects.create(
        order=order, declaration_number=declaration_number, duty_amount=duty_amount, declared_by=actor.audit.label
    )
    audit_record(
        actor=actor.audit,
        action="order.second_line_declared",
        object_type="order",
        object_id=order.pk,
        organization_id=order.supplier_id,
        changes={"declaration_number": declaration_number, "duty_amount": duty_amount},
    )
    announce_order(
        order, "order.second_line_declared", declaration_number=declaration_number, duty_amount=str(duty_amount)
    )
    return declaration


def second_line_declaration_of(*, order: Order) -> SecondLineDeclaration:
    """The order's declaration (the actor already reads the order). Raises: NotFound."""
    declaration = SecondLineDeclaration.objects.filter(order=order).first()
    if declaration is None:
        raise NotFound(_("The order has no second-line declaration."))
    return declaration
