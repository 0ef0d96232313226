"""The two-invoice chain (两票制, SPEC §5a): the invoices between a drug's manufacturer and a public institution.

The first invoice is issued by the drug's MAH (a platform organisation) — or its admin-verified sole sales company
or sole national agent — to the distributor; the second is the platform sale's invoice, distributor → institution
(orders: the shipment's 数电发票). The distributor records the first on its shipment (`upstream_invoice_record`),
covering the lots it shipped; receipt by the institution checks the chain (`chain_check`, registered with
orders.receipt_rules):

- it applies to shipments to public institutions, line by line: a line whose shipper is the drug's MAH or its
  verified sole seller needs one invoice only (the sale's own);
- every other line needs an invoice to the shipper from a valid first issuer, and no third seller: an invoice to
  the shipper from anyone else breaks the chain — unless the buyer lies in an admin-listed remote area, where one
  more invoice is allowed: the shipper records both (first issuer → distributor A, A → itself);
- the shipment needs its second invoice.

Parties are compared by unified social credit code, so an issuer not on the platform is named by name and code.
When the drug's MAH is not on the platform (no `mah_organization`), a first issuer named as the drug's MAH or
manufacturer in the drug master data is accepted, and so is the verified national agent a platform admin registered
for an imported drug whose holder abroad is not on the platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from catalog.models import Drug
from orders.choices import ShipmentStatus
from orders.invoices import invoice_number_problem
from orders.models import InvoiceShipment, Order, Shipment, ShipmentLine
from orders.receipt_rules import register
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.divisions import city_county_covers
from pharmex.errors import InvalidInput, InvalidTransition, NotAParty
from procurement.choices import SoleSellerStatus
from procurement.errors import TwoInvoiceChainBroken
from procurement.models import RemoteArea, SoleSeller, UpstreamInvoice
from procurement.notifications import announce_upstream_invoice
from procurement.services.sole_sellers import party_named


@dataclass(frozen=True)
class FirstIssuers:
    """Who may issue a drug's first invoice, and who ships it with one invoice only."""

    usccs: frozenset[str]  # the MAH on the platform and the drug's verified sole sellers or national agent
    names: frozenset[str]  # the MAH and manufacturer names of the master data, when the MAH is not on the platform
    exempt: frozenset[int]  # organisations shipping the drug themselves (MAH, sole seller on the platform)

    def admit(self, invoice: UpstreamInvoice) -> bool:
        return invoice.issuer_uscc in self.usccs or invoice.issuer_name.strip() in self.names


def first_issuers(drugs: list[Drug]) -> dict[int, FirstIssuers]:
    """Per drug id; one query for the sole sellers of every drug."""
    holders = {drug.mah_organization_id for drug in drugs if drug.mah_organization_id is not None}
    off_platform = [drug.pk for drug in drugs if drug.mah_organization_id is None]
    sellers = list(
        SoleSeller.objects.filter(
            Q(manufacturer_id__in=holders) | Q(manufacturer__isnull=True, drug_id__in=off_platform),
            status=SoleSellerStatus.VERIFIED,
        ).values_list("manufacturer_id", "drug_id", "seller_uscc", "seller_id")
    )
    holder_codes = dict(Organization.objects.filter(pk__in=holders).values_list("pk", "uscc"))
    found = {}
    for drug in drugs:
        # the holder's own registrations (every drug, or this one); for a holder off the platform, the drug's own
        mine = [
            (uscc, seller_id)
            for holder, drug_id, uscc, seller_id in sellers
            if holder == drug.mah_organization_id and drug_id in (None, drug.pk)
        ]
        sellers_usccs = {uscc for uscc, _id in mine}
        exempt = {seller_id for _uscc, seller_id in mine if seller_id}
        if drug.mah_organization_id is None:
            names = frozenset(name.strip() for name in (drug.mah_name, drug.manufacturer_name) if name.strip())
            found[drug.pk] = FirstIssuers(usccs=frozenset(sellers_usccs), names=names, exempt=frozenset(exempt))
            continue
        found[drug.pk] = FirstIssuers(
            usccs=frozenset({holder_codes[drug.mah_organization_id], *sellers_usccs}),
            names=frozenset(),
            exempt=frozenset({drug.mah_organization_id, *exempt}),
        )
    return found


def in_remote_area(organization: Organization) -> bool:
    """The organisation lies in an admin-listed remote area: its province, or its Hainan city/county."""
    return any(
        code == organization.province_code
        or city_county_covers(code, organization.province_code, organization.city_county)
        for code in RemoteArea.objects.values_list("code", flat=True)
    )


@dataclass
class Chain:
    """A shipment's chain as the parties see it and as receipt checks it."""

    applies: bool
    remote_area: bool
    lines_needing: list[int] = field(default_factory=list)  # shipment line ids that need a first invoice
    first_invoices: list[UpstreamInvoice] = field(default_factory=list)
    second_invoice_numbers: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)


def _lot(line: ShipmentLine) -> dict:
    return {"lot": line.lot_number, "drug": line.drug.generic_name, "line": line.pk}


def _problem(code: str, line: ShipmentLine | None, message: str) -> dict:
    return {"field": f"lines[{line.pk}]" if line is not None else "invoice_numbers", "code": code, "message": message}


def _line_problems(
    line: ShipmentLine, invoices: list[UpstreamInvoice], issuers: FirstIssuers, shipper: Organization, remote: bool
) -> list[dict]:
    covering = [invoice for invoice in invoices if line.pk in {covered.pk for covered in invoice.lines.all()}]
    to_shipper = [invoice for invoice in covering if invoice.recipient_uscc == shipper.uscc]
    if not to_shipper:
        return [
            _problem(
                "first_invoice_missing",
                line,
                _("Lot %(lot)s of %(drug)s (shipment line %(line)s) has no first invoice to the shipper.") % _lot(line),
            )
        ]
    problems = []
    for invoice in to_shipper:
        if issuers.admit(invoice):
            continue
        before = [upstream for upstream in covering if upstream.recipient_uscc == invoice.issuer_uscc]
        names = {**_lot(line), "number": invoice.number, "issuer": invoice.issuer_name}
        if not before and not remote:
            problems.append(
                _problem(
                    "first_invoice_issuer_invalid",
                    line,
                    _(
                        "Invoice %(number)s for lot %(lot)s of %(drug)s: %(issuer)s is neither the drug's marketing "
                        "authorisation holder nor its verified sole sales company or national agent."
                    )
                    % names,
                )
            )
        elif not before:
            problems.append(
                _problem(
                    "first_invoice_missing",
                    line,
                    _(
                        "Lot %(lot)s of %(drug)s: %(issuer)s (invoice %(number)s) is not a first issuer; in a remote "
                        "area one more invoice is allowed, but the first invoice to %(issuer)s is missing."
                    )
                    % names,
                )
            )
        elif not remote:
            problems.append(
                _problem(
                    "third_seller",
                    line,
                    _(
                        "Lot %(lot)s of %(drug)s passed through a third seller, %(issuer)s (invoice %(number)s): one "
                        "invoice too many; only buyers in remote areas may receive through one more invoice."
                    )
                    % names,
                )
            )
        else:
            for upstream in before:
                if not issuers.admit(upstream):
                    problems.append(
                        _problem(
                            "third_seller",
                            line,
                            _(
                                "Lot %(lot)s of %(drug)s: invoice %(number)s from %(issuer)s is not from the drug's "
                                "marketing authorisation holder or its sole seller; a remote area allows one more "
                                "invoice, not two."
                            )
                            % {**names, "number": upstream.number, "issuer": upstream.issuer_name},
                        )
                    )
    return problems


def shipment_chain(shipment: Shipment) -> Chain:
    """The shipment's two-invoice chain: whether it applies, its invoices, and every problem receipt would name."""
    buyer, shipper = shipment.buyer, shipment.supplier
    lines = list(shipment.lines.select_related("drug").order_by("id"))
    invoices = list(shipment.upstream_invoices.prefetch_related("lines").order_by("id"))
    # The sale's invoice: the numbers the shipment was shipped with, else the blue 数电发票 recorded for it.
    second = list(shipment.invoice_numbers) or list(
        InvoiceShipment.objects.filter(shipment=shipment, invoice__red=False).values_list("invoice__number", flat=True)
    )
    if not buyer.is_public_institution:
        return Chain(applies=False, remote_area=False, first_invoices=invoices, second_invoice_numbers=second)
    issuers = first_issuers(list({line.drug_id: line.drug for line in lines}.values()))
    needing = [line for line in lines if shipper.pk not in issuers[line.drug_id].exempt]
    chain = Chain(
        applies=bool(needing),
        remote_area=in_remote_area(buyer),
        lines_needing=[line.pk for line in needing],
        first_invoices=invoices,
        second_invoice_numbers=second,
    )
    for line in needing:
        chain.problems += _line_problems(line, invoices, issuers[line.drug_id], shipper, chain.remote_area)
    if needing and not second:
        chain.problems.append(
            _problem(
                "second_invoice_missing",
                None,
                _("The shipment has no invoice of its own sale (the second invoice, shipper → %(buyer)s).")
                % {"buyer": buyer.legal_name},
            )
        )
    return chain


def chain_check(*, shipment: Shipment, order: Order) -> None:
    """Receipt's check (orders.receipt_rules). Raises: TwoInvoiceChainBroken naming every problem."""
    if not order.buyer.is_public_institution:
        return  # not one query more for everyone else's receipts
    shipment.buyer = order.buyer
    chain = shipment_chain(shipment)
    if chain.problems:
        raise TwoInvoiceChainBroken(
            _("The two-invoice chain (两票制) is broken: %(problems)s")
            % {"problems": " ".join(problem["message"] for problem in chain.problems)},
            errors=chain.problems,
        )


def chain_description(shipment: Shipment) -> dict:
    """The chain as the shipment's detail shows it (orders.serializers.InvoiceChainOutput)."""
    chain = shipment_chain(shipment)
    return {
        "applies": chain.applies,
        "remote_area": chain.remote_area,
        "complete": not chain.problems,
        "lines_needing_first_invoice": chain.lines_needing,
        "first_invoices": [
            {
                "id": invoice.pk,
                "number": invoice.number,
                "issue_date": invoice.issue_date,
                "amount": invoice.amount,
                "issuer": invoice.issuer_id,
                "issuer_name": invoice.issuer_name,
                "issuer_uscc": invoice.issuer_uscc,
                "recipient": invoice.recipient_id,
                "recipient_name": invoice.recipient_name,
                "recipient_uscc": invoice.recipient_uscc,
                "shipment_line_ids": sorted(line.pk for line in invoice.lines.all()),
            }
            for invoice in chain.first_invoices
        ],
        "second_invoice_numbers": chain.second_invoice_numbers,
        "problems": chain.problems,
    }


register("two_invoice_chain", chain_check, describe=chain_description)


@transaction.atomic
def upstream_invoice_record(
    *,
    actor: Actor,
    shipment: Shipment,
    number: str,
    issue_date: date,
    amount: Decimal,
    shipment_line_ids: list[int],
    issuer_id: int | None = None,
    issuer_name: str = "",
    issuer_uscc: str = "",
    recipient_id: int | None = None,
    recipient_name: str = "",
    recipient_uscc: str = "",
) -> UpstreamInvoice:
    """The shipper records an invoice up the chain on its shipment in transit: the first invoice (to itself, the
    default recipient) or, for a remote-area buyer, the one before it (to the distributor it bought from).

    Raises: NotAParty (not the shipper), InvalidTransition (already received), InvalidInput (number, date, the
    parties, lines not of this shipment or needing no first invoice, the invoice already recorded).
    """
    shipment = Shipment.objects.select_for_update().select_related("buyer", "supplier").get(pk=shipment.pk)
    if not actor.acts_for(shipment.supplier_id):
        raise NotAParty(_("Only the shipper records the invoices it bought the goods with."))
    if shipment.status != ShipmentStatus.IN_TRANSIT:
        raise InvalidTransition(
            _("Cannot record a first invoice on a shipment that is %(status)s.") % {"status": shipment.status}
        )
    errors: list[dict] = []
    if (problem := invoice_number_problem(number, today=timezone.localdate())) is not None:
        errors.append({"field": "number", "code": "invoice_number_invalid", "message": problem})
    if issue_date > timezone.localdate():
        errors.append(
            {"field": "issue_date", "code": "in_the_future", "message": _("The issue date is in the future.")}
        )
    issuer, issuer_name, issuer_uscc = party_named(
        organization_id=issuer_id, name=issuer_name, uscc=issuer_uscc, field="issuer", errors=errors
    )
    if recipient_id is None and not recipient_uscc:
        recipient_id = shipment.supplier_id
    recipient, recipient_name, recipient_uscc = party_named(
        organization_id=recipient_id, name=recipient_name, uscc=recipient_uscc, field="recipient", errors=errors
    )
    if issuer_uscc and issuer_uscc == recipient_uscc:
        errors.append({"field": "issuer", "code": "same_party", "message": _("An invoice has two parties.")})
    chain = shipment_chain(shipment)
    lines = list(ShipmentLine.objects.filter(shipment=shipment, pk__in=shipment_line_ids))
    unknown = sorted(set(shipment_line_ids) - {line.pk for line in lines})
    if unknown:
        errors.append(
            {
                "field": "shipment_line_ids",
                "code": "unknown_line",
                "message": _("Not lines of this shipment: %(ids)s.") % {"ids": ", ".join(map(str, unknown))},
            }
        )
    not_needed = sorted(line.pk for line in lines if line.pk not in chain.lines_needing)
    if not_needed:
        errors.append(
            {
                "field": "shipment_line_ids",
                "code": "first_invoice_not_needed",
                "message": _(
                    "These lines need no first invoice (the buyer is not a public institution, or you ship them as "
                    "the drug's marketing authorisation holder or its sole seller): %(ids)s."
                )
                % {"ids": ", ".join(map(str, not_needed))},
            }
        )
    if (
        issuer_uscc
        and UpstreamInvoice.objects.filter(shipment=shipment, issuer_uscc=issuer_uscc, number=number).exists()
    ):
        errors.append(
            {
                "field": "number",
                "code": "invoice_number_used",
                "message": _("Invoice %(n)s of this issuer is already on the shipment.") % {"n": number},
            }
        )
    if errors:
        raise InvalidInput(errors)
    invoice = UpstreamInvoice.objects.create(
        shipment=shipment,
        number=number,
        issue_date=issue_date,
        amount=amount,
        issuer=issuer,
        issuer_name=issuer_name,
        issuer_uscc=issuer_uscc,
        recipient=recipient,
        recipient_name=recipient_name,
        recipient_uscc=recipient_uscc,
        recorded_by=actor.audit.label[:255],
    )
    invoice.lines.set(lines)
    audit_record(
        actor=actor.audit,
        action="upstream_invoice.recorded",
        object_type="shipment",
        object_id=shipment.pk,
        organization_id=shipment.supplier_id,
        changes={
            "upstream_invoice": invoice.pk,
            "number": number,
            "issuer": [issuer_name, issuer_uscc],
            "recipient": [recipient_name, recipient_uscc],
            "amount": amount,
            "lines": sorted(line.pk for line in lines),
        },
    )
    announce_upstream_invoice(invoice, shipment)
    return invoice
