"""Enterprise-defined traceability code formats (企业自定义码): a supplier declares the digits of its codes."""

from __future__ import annotations

import unicodedata

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Offer
from orders.models import CodeFormat
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import InvalidInput


@transaction.atomic
def code_format_declare(*, actor: Actor, drug_id: int, prefix: str, length: int) -> CodeFormat:
    """Declare that the supplier's codes for a drug are `length` digits starting with `prefix` (once; again: the same).

    Raises: OrganizationRequired, InvalidInput (a drug the organisation does not offer, a prefix not in digits
    0–9 or too long).
    """
    organization = actor.require_organization()
    # Codes are read in ASCII digits (a full-width １２３４ typed on a Chinese keyboard is 1234); a prefix in
    # other digits (\d takes ١٢٣٤ too) would never match a code.
    prefix = unicodedata.normalize("NFKC", prefix)
    errors = []
    if not Offer.objects.filter(supplier=organization, drug_id=drug_id).exists():
        errors.append({"field": "drug", "code": "not_your_drug", "message": _("You have no offer of this drug.")})
    if not (prefix.isascii() and prefix.isdigit()):
        errors.append({"field": "prefix", "code": "invalid", "message": _("The prefix must be digits 0–9.")})
    elif len(prefix) >= length:
        errors.append(
            {"field": "prefix", "code": "prefix_too_long", "message": _("The prefix must be shorter than the code.")}
        )
    if errors:
        raise InvalidInput(errors)
    code_format, created = CodeFormat.objects.get_or_create(
        drug_id=drug_id,
        organization=organization,
        prefix=prefix,
        length=length,
        defaults={"declared_by": actor.audit.label},
    )
    if created:
        audit_record(
            actor=actor.audit,
            action="trace.code_format_declared",
            object_type="code_format",
            object_id=code_format.pk,
            organization_id=organization.pk,
            changes={"drug": drug_id, "prefix": prefix, "length": length},
        )
    return code_format
