"""Sole sales companies (唯一销售公司) and sole national agents (全国总代理), SPEC §5a: recorded on the manufacturer's
side — by the manufacturer/MAH, or by a platform admin for it — and verified by a platform admin before they count
as first-invoice issuers of the two-invoice chain. Every status change goes through the SOLE_SELLER machine
(history and audit) and is announced by webhook."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import OrganizationKind
from accounts.models import Organization
from accounts.validators import normalize_uscc, validate_uscc
from catalog.choices import ApprovalFormat
from catalog.models import Drug
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.choices import StaffRole
from pharmex.db import advisory_xact_lock
from pharmex.errors import InvalidInput, NotAParty
from pharmex.transitions import transition
from procurement.choices import SoleSellerKind, SoleSellerStatus
from procurement.models import SoleSeller
from procurement.notifications import announce_sole_seller
from procurement.transitions import SOLE_SELLER

_IMPORTED_2020 = re.compile(r"国药准字[HZS][CJ]")


def _error(field: str, code: str, message: str) -> dict:
    return {"field": field, "code": code, "message": message}


def party_named(
    *, organization_id: int | None, name: str, uscc: str, field: str, errors: list[dict]
) -> tuple[Organization | None, str, str]:
    """A party given as a platform organisation (`organization_id`) or as name + unified social credit code.

    A code that belongs to an organisation on the platform links it. Returns (organisation or None, name, code);
    appends to `errors` what is wrong."""
    if organization_id is not None:
        organization = Organization.objects.filter(pk=organization_id).first()
        if organization is None:
            errors.append(
                _error(f"{field}_id", "not_found", _("There is no organisation %(id)s.") % {"id": organization_id})
            )
            return None, "", ""
        return organization, organization.legal_name, organization.uscc
    uscc, name = normalize_uscc(uscc or ""), (name or "").strip()
    if not name or not uscc:
        errors.append(
            _error(
                field, "required", _("Name the party: its organisation id, or its name and unified social credit code.")
            )
        )
        return None, name, uscc
    try:
        validate_uscc(uscc)
    except ValidationError as invalid:
        errors.append(_error(f"{field}_uscc", invalid.code or "invalid", str(invalid.messages[0])))
        return None, name, uscc
    return Organization.objects.filter(uscc=uscc).first(), name, uscc


def _imported(drug: Drug) -> bool:
    """Made abroad or in Hong Kong, Macau or Taiwan: an import certificate, or a 国药准字 H/Z/S + J/C (2020 rules)."""
    return drug.approval_format == ApprovalFormat.IMPORT_LICENSE or bool(_IMPORTED_2020.match(drug.approval_number))


@transaction.atomic
def sole_seller_register(
    *,
    actor: Actor,
    kind: str,
    drug_id: int | None = None,
    seller_id: int | None = None,
    seller_name: str = "",
    seller_uscc: str = "",
    manufacturer_id: int | None = None,
    note: str = "",
) -> SoleSeller:
    """The caller's organisation — a manufacturer, or the drug's MAH — registers its sole sales company (for all its
    drugs, or one) or the sole national agent of one imported drug. A platform admin may register for a
    manufacturer (`manufacturer_id`), and registers the national agent of an imported drug whose holder abroad is not
    on the platform for the drug alone (no manufacturer). It counts once verified.

    Raises: NotAParty (a member naming another manufacturer), InvalidInput (not a manufacturer/the drug's MAH, a
    national agent without an imported drug, the seller is the manufacturer, one already pending or verified).
    """
    if manufacturer_id is not None and not actor.is_admin:
        raise NotAParty(_("Only platform admins register a sole seller for another organisation."))
    errors: list[dict] = []
    drug = Drug.objects.filter(pk=drug_id).first() if drug_id is not None else None
    if drug_id is not None and drug is None:
        errors.append(_error("drug_id", "not_found", _("There is no drug %(id)s.") % {"id": drug_id}))
    holder_off_platform = (
        manufacturer_id is None and actor.is_admin and drug is not None and drug.mah_organization_id is None
    )
    manufacturer = None
    if manufacturer_id is not None:
        manufacturer = Organization.objects.filter(pk=manufacturer_id).first()
        if manufacturer is None:
            raise InvalidInput([_error("manufacturer_id", "not_found", _("There is no such organisation."))])
    elif not holder_off_platform:
        manufacturer = actor.require_organization()
    if holder_off_platform and kind != SoleSellerKind.SOLE_NATIONAL_AGENT:
        errors.append(
            _error(
                "kind",
                "holder_not_on_the_platform",
                _("The drug's holder is not on the platform: only its sole national agent is registered for it."),
            )
        )
    elif drug is not None and manufacturer is not None and drug.mah_organization_id != manufacturer.pk:
        errors.append(
            _error("drug_id", "not_the_mah", _("Only the drug's marketing authorisation holder names its sole seller."))
        )
    elif drug is None and manufacturer is not None and manufacturer.kind != OrganizationKind.MANUFACTURER:
        errors.append(
            _error(
                "kind", "not_a_manufacturer", _("A sole sales company for every drug is registered by a manufacturer.")
            )
        )
    if kind == SoleSellerKind.SOLE_NATIONAL_AGENT and (drug is None or not _imported(drug)):
        errors.append(
            _error(
                "drug_id",
                "not_an_imported_drug",
                _("A sole national agent (全国总代理) is named for one imported drug (进口药品注册证)."),
            )
        )
    seller, seller_name, seller_uscc = party_named(
        organization_id=seller_id, name=seller_name, uscc=seller_uscc, field="seller", errors=errors
    )
    if manufacturer is not None and seller_uscc and seller_uscc == manufacturer.uscc:
        errors.append(_error("seller", "is_the_manufacturer", _("The manufacturer itself needs no sole seller.")))
    if errors:
        raise InvalidInput(errors)
    advisory_xact_lock(
        f"procurement.sole_seller:{manufacturer.pk}" if manufacturer else f"procurement.sole_seller:drug:{drug.pk}"
    )
    in_force = SoleSeller.objects.filter(
        manufacturer=manufacturer, drug=drug, status__in=[SoleSellerStatus.PENDING, SoleSellerStatus.VERIFIED]
    ).first()
    if in_force is not None:
        raise InvalidInput(
            [
                _error(
                    "drug_id",
                    "sole_seller_exists",
                    _("%(name)s is already registered (%(status)s): revoke it first.")
                    % {"name": in_force.seller_name, "status": in_force.status},
                )
            ]
        )
    sole_seller = SoleSeller.objects.create(
        manufacturer=manufacturer,
        kind=kind,
        drug=drug,
        seller=seller,
        seller_name=seller_name,
        seller_uscc=seller_uscc,
        note=note,
        registered_by=actor.audit.label[:255],
    )
    audit_record(
        actor=actor.audit,
        action="sole_seller.registered",
        object_type="sole_seller",
        object_id=sole_seller.pk,
        organization_id=manufacturer.pk if manufacturer else None,
        changes={"kind": kind, "drug": drug_id, "seller": seller_name, "seller_uscc": seller_uscc},
    )
    announce_sole_seller(sole_seller, "sole_seller.registered")
    return sole_seller


@transaction.atomic
def sole_seller_verify(*, actor: Actor, sole_seller: SoleSeller, note: str = "") -> SoleSeller:
    """A platform admin verifies: from now on the seller may issue first invoices for the drug(s).

    Raises: NotAParty (not a platform admin), InvalidTransition (not pending)."""
    actor.require_staff(StaffRole.ADMIN)
    sole_seller = transition(SOLE_SELLER, sole_seller.pk, action="verify", actor=actor, note=note)
    announce_sole_seller(sole_seller, "sole_seller.verified")
    return sole_seller


@transaction.atomic
def sole_seller_reject(*, actor: Actor, sole_seller: SoleSeller, note: str = "") -> SoleSeller:
    """A platform admin refuses the registration. Raises: NotAParty, InvalidTransition (not pending)."""
    actor.require_staff(StaffRole.ADMIN)
    sole_seller = transition(SOLE_SELLER, sole_seller.pk, action="reject", actor=actor, note=note)
    announce_sole_seller(sole_seller, "sole_seller.rejected")
    return sole_seller


@transaction.atomic
def sole_seller_revoke(*, actor: Actor, sole_seller: SoleSeller, note: str = "") -> SoleSeller:
    """The manufacturer (or a platform admin) ends the registration; shipments received earlier keep their chain.

    Raises: NotAParty, InvalidTransition (already rejected or revoked)."""
    if not (actor.acts_for(sole_seller.manufacturer_id) or actor.is_admin):
        raise NotAParty()
    sole_seller = transition(SOLE_SELLER, sole_seller.pk, action="revoke", actor=actor, note=note)
    announce_sole_seller(sole_seller, "sole_seller.revoked")
    return sole_seller
