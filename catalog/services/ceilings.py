"""Procurement ceiling prices (集采/挂网限价) as periods with history (SPEC §4): the one in force on a day applies."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.errors import CeilingPeriodConflict
from catalog.models import CeilingPrice, Drug
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.choices import StaffRole


def ceiling_period_add(
    *, drug: Drug, actor: Actor, price: Decimal | None, effective_from: date, note: str = ""
) -> CeilingPrice:
    """A new period from `effective_from` on (no price: no ceiling from then); the one before it ends the day
    before, keeping its value. Call inside a transaction. Raises: CeilingPeriodConflict unless it starts after the
    latest period."""
    Drug.objects.select_for_update().filter(pk=drug.pk).first()  # one period change of a drug at a time
    latest = CeilingPrice.objects.filter(drug=drug).order_by("-effective_from").first()
    if latest is not None and effective_from <= latest.effective_from:
        raise CeilingPeriodConflict(
            _("The latest ceiling period of this drug starts on %(date)s; a new one must start after it.")
            % {"date": latest.effective_from},
            field="effective_from",
        )
    if latest is not None:
        latest.effective_until = effective_from - timedelta(days=1)
        latest.save(update_fields=["effective_until"])
    period = CeilingPrice.objects.create(
        drug=drug, price=price, effective_from=effective_from, set_by=actor.audit.label[:255], note=note
    )
    audit_record(
        actor=actor.audit,
        action="drug.ceiling_set",
        object_type="drug",
        object_id=drug.pk,
        changes={
            "price": price,
            "effective_from": effective_from,
            "previous": None if latest is None else {"price": latest.price, "effective_from": latest.effective_from},
        },
    )
    return period


@transaction.atomic
def ceiling_set(
    *, drug: Drug, actor: Actor, price: Decimal | None, effective_from: date, note: str = ""
) -> CeilingPrice:
    """Platform admins set a drug's ceiling from a day on. Raises: NotAParty, CeilingPeriodConflict."""
    actor.require_staff(StaffRole.ADMIN)
    return ceiling_period_add(drug=drug, actor=actor, price=price, effective_from=effective_from, note=note)
