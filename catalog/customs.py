"""Hainan Free Trade Port in the catalogue (SPEC §4a): the customs status of offers and the Lecheng approvals.

An offer's customs status is set when it is listed (POST /offers/) or imported (catalog.services.offer_import,
in bulk) and changes only forward, each step a recorded event with
the customs declaration number (the OFFER_CUSTOMS machine: bonded goods are entered as zero-tariff or duty-paid
goods, zero-tariff goods may later be duty-paid). Special-licensed drugs (特许药品) are listed only as
`lecheng_special`, and only by suppliers outside the pilot zone: custody of their units ends at the institution.
A Lecheng approval's quantity is taken at placement and given back when the order ends, like stock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization
from catalog.choices import CustomsStatus
from catalog.models import CustomsStatusChange, Drug, LechengApproval, Offer
from pharmex.actor import Actor
from pharmex.errors import InvalidInput, InvalidTransition, NotAParty, NotFound
from pharmex.transitions import StateMachine, Transition, transition_apply, transition_lock

OFFER_CUSTOMS = StateMachine(
    model=Offer,
    object_type="offer_customs",
    noun=gettext_lazy("an offer's goods"),
    transitions={
        # Entered from the bonded warehouse (进口报关), under the zero-tariff regime or paying the duty …
        "enter_zero_tariff": Transition(frozenset({CustomsStatus.BONDED}), CustomsStatus.ZERO_TARIFF),
        "enter_duty_paid": Transition(frozenset({CustomsStatus.BONDED}), CustomsStatus.DUTY_PAID),
        # … and zero-tariff goods whose duty is paid after all (补缴税款, e.g. to sell them on the mainland).
        "pay_duty": Transition(frozenset({CustomsStatus.ZERO_TARIFF}), CustomsStatus.DUTY_PAID),
    },
    history_model=CustomsStatusChange,
    history_field="offer",
    organization_of=lambda offer, _action: offer.supplier_id,
    status_field="customs_status",
)


def customs_listing_refusal(*, supplier: Organization, drug: Drug, status: str) -> InvalidInput | None:
    """Why this supplier may not list this drug with this customs status (an error to raise), or None."""
    if drug.special_licensed and status != CustomsStatus.LECHENG_SPECIAL:
        message = _("A special-licensed drug (特许药品) is listed only as lecheng_special.")
    elif status == CustomsStatus.LECHENG_SPECIAL and not drug.special_licensed:
        message = _("Only special-licensed drugs (特许药品) are listed as lecheng_special.")
    elif drug.special_licensed and supplier.is_lecheng_institution(timezone.localdate()):
        message = _("Custody of special-licensed drugs ends at the Lecheng institution: it cannot sell them on.")
    else:
        return None
    return InvalidInput([{"field": "customs_status", "code": "customs_status_not_allowed", "message": message}])


def customs_listing_record(*, offer: Offer, actor: Actor) -> CustomsStatusChange:
    """The first customs event of a new offer: the status it was listed with."""
    return CustomsStatusChange.objects.create(
        offer=offer, action="list", from_status="", to_status=offer.customs_status, actor=actor.audit.label[:255]
    )


@transaction.atomic
def offer_customs_change(
    *, offer: Offer, actor: Actor, customs_status: str, declaration_number: str, note: str = ""
) -> Offer:
    """Move the offer's goods forward at customs, with the declaration (报关单) number; never backward.

    Raises: NotAParty (not the offer's supplier), InvalidTransition (not a forward step from its status).
    """
    if not actor.acts_for(offer.supplier_id):
        raise NotAParty(_("Only the offer's supplier records its customs declarations."))
    action = next(
        (
            name
            for name, step in OFFER_CUSTOMS.transitions.items()
            if offer.customs_status in step.sources and step.target == customs_status
        ),
        None,
    )
    if action is None:
        raise InvalidTransition(
            _("The goods cannot go from %(from)s to %(to)s: the customs status only moves forward.")
            % {"from": offer.customs_status, "to": customs_status}
        )
    locked = transition_lock(OFFER_CUSTOMS, offer.pk, action)  # refuses if another request moved it meanwhile
    return transition_apply(
        OFFER_CUSTOMS, locked, action=action, actor=actor, note=note, data={"declaration_number": declaration_number}
    )


def offer_customs_history(*, actor: Actor, offer: Offer) -> QuerySet[CustomsStatusChange]:
    """The customs events of an offer, newest first: its supplier and platform staff only.

    Raises: NotFound for anyone else.
    """
    if not (actor.is_staff or actor.acts_for(offer.supplier_id)):
        raise NotFound()
    return offer.customs_changes.order_by("-id")


# --- special-licensed drugs and the Lecheng approvals -----------------------------------------------------------


def lecheng_drug_visible_q(*, actor: Actor, prefix: str = "") -> Q:
    """Drugs the actor may see: every drug but the special-licensed ones, which only staff, their suppliers' and
    institutions holding an approval for them see (SPEC §4a: never shown to buyers that cannot order them), and
    regulators, who inspect them."""
    ordinary = Q(**{f"{prefix}special_licensed": False})
    if actor.is_staff or actor.is_regulator:
        return Q()
    if actor.organization is None:
        return ordinary
    approved = LechengApproval.objects.filter(institution_id=actor.organization_id).values("drug_id")
    supplied = Offer.objects.filter(supplier_id=actor.organization_id).values("drug_id")
    return ordinary | Q(**{f"{prefix}pk__in": approved}) | Q(**{f"{prefix}pk__in": supplied})


def lecheng_approvals_for(
    *, institution_id: int, drug_ids: Iterable[int], on: date
) -> dict[int, list[LechengApproval]]:
    """An institution's approvals valid on `on` for these drugs, by drug, the one running out first first."""
    found: dict[int, list[LechengApproval]] = {}
    approvals = LechengApproval.objects.valid_on(on).filter(institution_id=institution_id, drug_id__in=list(drug_ids))
    for approval in approvals.order_by("valid_until", "id"):
        found.setdefault(approval.drug_id, []).append(approval)
    return found


def lecheng_reserve(*, quantities: Mapping[int, int]) -> set[int]:
    """Take each quantity from its approval where that much remains, in approval pk order (carts sharing approvals
    queue in the same order and never deadlock); returns the approvals that were short. The conditional UPDATE
    re-reads the row under its lock, so concurrent orders never take more than the approved quantity."""
    short = set()
    for approval_id in sorted(quantities):
        wanted = quantities[approval_id]
        taken = LechengApproval.objects.filter(pk=approval_id, used__lte=F("quantity") - wanted).update(
            used=F("used") + wanted, updated_at=timezone.now()
        )
        if not taken:
            short.add(approval_id)
    return short


def lecheng_release(*, approval_id: int, quantity: int) -> None:
    """Give back what an order took from an approval (cancelled, rejected, expired or returned)."""
    LechengApproval.objects.filter(pk=approval_id).update(used=F("used") - quantity, updated_at=timezone.now())
