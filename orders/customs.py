"""Hainan Free Trade Port rules of the order gate (SPEC §4a): who may buy goods of each customs status.

- `zero_tariff` goods circulate among eligible beneficiaries (享惠主体) on the island; to a mainland buyer they cross
  the second line (二线), allowed only when the offer has a verified 30% value-added exemption or its supplier
  clears them itself, and then the order ships only with its second-line declaration (number and duty);
- `bonded` goods are not entered yet: no buyer on the platform may buy them;
- `lecheng_special` (special-licensed drugs) go only to designated Lecheng institutions holding a valid approval
  for the drug, within its remaining quantity, which placement takes and the order's end gives back.

The rules return (code, message) pairs; orders.compliance makes them reasons of the line they concern.
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from accounts.models import Organization
from catalog.choices import CustomsStatus
from catalog.models import LechengApproval, Offer
from orders.models import Order, SecondLineDeclaration

Finding = tuple[str, str]


def customs_findings(
    *, buyer: Organization, offer: Offer, quantity: int, approvals: list[LechengApproval], on: date
) -> list[Finding]:
    """Why customs forbids this buyer this quantity of this offer (empty: it allows it). `approvals`: the buyer's
    approvals for the offer's drug valid on `on`."""
    status = offer.customs_status
    if status == CustomsStatus.ZERO_TARIFF:
        if buyer.in_hainan and not buyer.is_zero_tariff_beneficiary:
            return [
                (
                    "zero_tariff_beneficiary_required",
                    _("Zero-tariff goods go only to eligible zero-tariff beneficiaries (享惠主体) on the island."),
                )
            ]
        if not buyer.in_hainan and not (offer.value_added_exempt(on) or offer.second_line_clearance):
            return [
                (
                    "second_line_declaration_required",
                    _(
                        "Zero-tariff goods leave the island only through a second-line (二线) import declaration: the "
                        "offer has no 30% value-added exemption and its supplier does not clear them."
                    ),
                )
            ]
    if status == CustomsStatus.BONDED:
        return [("bonded_not_entered", _("The goods are in bond and not entered at customs yet."))]
    if status == CustomsStatus.LECHENG_SPECIAL or offer.drug.special_licensed:
        if not buyer.is_lecheng_institution(on) or not approvals:
            return [
                (
                    "lecheng_approval_required",
                    _(
                        "Special-licensed drugs (特许药品) go only to designated Boao Lecheng institutions holding a "
                        "valid approval (批件) for the drug."
                    ),
                )
            ]
        if lecheng_approval_for(approvals=approvals, quantity=quantity) is None:
            return [
                (
                    "lecheng_quantity_exceeded",
                    _("Your approval for this drug has %(remaining)s left.")
                    % {"remaining": max(approval.remaining for approval in approvals)},
                )
            ]
    return []


def lecheng_approval_for(*, approvals: list[LechengApproval], quantity: int) -> LechengApproval | None:
    """The approval a line draws on: the first to run out that still has the quantity (None: none has)."""
    return next((approval for approval in approvals if approval.remaining >= quantity), None)


def crosses_second_line(*, buyer: Organization, offer: Offer) -> bool:
    """Zero-tariff goods sold to a mainland buyer: they leave the island through a second-line declaration."""
    return offer.customs_status == CustomsStatus.ZERO_TARIFF and not buyer.in_hainan


def shipment_customs_findings(order: Order, *, on: date) -> list[Finding]:
    """Why customs forbids shipping the order now: zero-tariff goods for the mainland without their second-line
    declaration; special-licensed units leaving a Lecheng institution (custody of them ends there)."""
    findings = []
    lines = list(order.lines.all())
    if any(line.second_line for line in lines) and not SecondLineDeclaration.objects.filter(order=order).exists():
        findings.append(
            (
                "second_line_declaration_missing",
                _(
                    "Zero-tariff goods for the mainland ship only after their second-line (二线) declaration is "
                    "recorded, with its number and the duty: POST /orders/{id}/second-line-declaration/."
                ),
            )
        )
    if any(line.customs_status == CustomsStatus.LECHENG_SPECIAL for line in lines) and (
        order.supplier.is_lecheng_institution(on)
    ):
        findings.append(
            (
                "lecheng_custody_ends",
                _("Special-licensed drugs never leave the Lecheng institution that received them."),
            )
        )
    return findings
