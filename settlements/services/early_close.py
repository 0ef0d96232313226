"""Statements on demand (SPEC §6): a finance admin closes a supplier's current period early at a cut-off (the
supplier leaves the platform, year-end). The statement settles the supplier's orders paid from the end of its
last statement (or the period's start) up to the cut-off; the period's regular statement then starts at the
cut-off (settlements.sql), and the paid ranges of one supplier still never overlap (a database constraint)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.calendar import local_midnight
from pharmex.choices import StaffRole
from pharmex.db import advisory_xact_lock, lock_timeout
from pharmex.money import ZERO
from settlements import sql
from settlements.errors import CutOffInvalid
from settlements.models import Receivable, Statement, StatementEvent
from settlements.services.statements import (
    _GENERATION_LOCK,
    RECEIVABLE_LOCK_TIMEOUT,
    _settle_credits,
    period_bounds,
)


@transaction.atomic
def statement_close_early(*, supplier_id: int, cut_off: datetime, actor: Actor, currency: str = "CNY") -> Statement:
    """Close the supplier's current period at `cut_off`: a draft statement of its orders paid up to then.

    Raises: NotAParty (finance admins only), CutOffInvalid (in the future, on the period's first day, or not after
    the supplier's last statement).
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    now = timezone.now()
    if cut_off > now:
        raise CutOffInvalid(_("The cut-off is in the future."), field="cut_off")
    kind = settings.SETTLEMENT_PERIOD
    day = timezone.localdate(cut_off)
    start, _end = period_bounds(kind, day)
    if day == start:
        raise CutOffInvalid(_("Close a period early after its first day; before that, the last one is closed."))
    advisory_xact_lock(_GENERATION_LOCK)
    with lock_timeout(RECEIVABLE_LOCK_TIMEOUT):
        sql.receivables_lock_for_generation()
    paid_from = local_midnight(start)
    last = Statement.objects.filter(supplier_id=supplier_id, currency=currency).aggregate(last=Max("paid_to"))["last"]
    if last is not None and last > paid_from:
        paid_from = last
    if cut_off <= paid_from:
        raise CutOffInvalid(
            _("The supplier's statements already settle the time up to %(moment)s.")
            % {"moment": timezone.localtime(paid_from).isoformat(timespec="minutes")},
            field="cut_off",
        )
    totals = Receivable.objects.filter(
        supplier_id=supplier_id,
        currency=currency,
        paid_at__gte=paid_from,
        paid_at__lt=cut_off,
        reversed_at__isnull=True,
    ).aggregate(count=Count("pk"), gross=Sum("gross"), commission=Sum("commission"))
    gross, commission = totals["gross"] or ZERO, totals["commission"] or ZERO
    statement = Statement.objects.create(
        number=f"ST{day:%Y%m%d}-{supplier_id:06d}",
        supplier_id=supplier_id,
        period_kind=kind,
        period_start=timezone.localdate(paid_from),
        period_end=day + timedelta(days=1),
        paid_from=paid_from,
        paid_to=cut_off,
        currency=currency,
        line_count=totals["count"],
        gross=gross,
        commission=commission,
        net=gross - commission,
    )
    StatementEvent.objects.create(
        statement=statement,
        action="close_early",
        from_status="",
        to_status=statement.status,
        actor=actor.audit.label[:255],
        note=f"cut-off {cut_off.isoformat()}",
        created_at=now,
    )
    _settle_credits([statement.pk])
    audit_record(
        actor=actor.audit,
        action="statement.closed_early",
        object_type="statement",
        object_id=statement.pk,
        organization_id=supplier_id,
        changes={"cut_off": cut_off, "paid_from": paid_from, "lines": totals["count"], "gross": gross},
    )
    return Statement.objects.get(pk=statement.pk)
