"""Invoices as records and red-letter invoices (SPEC §5 "Invoices"): 票货一致 across several invoices.

A shipment's blue invoices never total more than its shipped gross (the order's invoice position names what is
still to invoice); a rejection at receipt or a credited return is red-lettered against a blue invoice that covers
the shipment: the supplier raises a 红字发票信息确认单, the buyer confirms it (or it is confirmed at once when the
buyer said it had not deducted the blue invoice), and the supplier records the red invoice's number.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import BinaryIO

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import SUPPLIER_KINDS
from orders.invoice_choices import RedLetterReason, RedLetterStatus
from orders.invoice_files import MONEY_FIELDS, InvoiceFileInvalid, read_invoice_file
from orders.invoice_transitions import RED_LETTER
from orders.invoices import invoice_number_problem
from orders.models import Invoice, InvoiceFile, InvoiceShipment, Order, RedLetterForm, Return, Shipment
from orders.return_choices import ReturnStatus
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.db import advisory_xact_lock
from pharmex.errors import InvalidInput, NotAParty
from pharmex.files import file_sha256, file_size
from pharmex.money import ZERO, quantize
from pharmex.transitions import transition_apply, transition_lock
from webhooks.services import outbox_publish


def _error(field: str, code: str, message: str) -> dict:
    return {"field": field, "code": code, "message": message}


def _invoiced(shipment_ids: list[int], *, red: bool) -> dict[int, Decimal]:
    rows = (
        InvoiceShipment.objects.filter(shipment_id__in=shipment_ids, invoice__red=red)
        .values("shipment_id")
        .annotate(total=Sum("amount"))
    )
    return {row["shipment_id"]: row["total"] for row in rows}


def _check_number(supplier_id: int, number: str, field: str, errors: list[dict]) -> None:
    if (problem := invoice_number_problem(number, today=timezone.localdate())) is not None:
        errors.append(_error(field, "invoice_number_invalid", problem))
    advisory_xact_lock(f"orders.invoice_numbers:{supplier_id}")
    if Invoice.objects.filter(supplier_id=supplier_id, number=number).exists():
        errors.append(_error(field, "invoice_number_used", _("Invoice %(n)s is already recorded.") % {"n": number}))


@transaction.atomic
def invoice_record(
    *,
    actor: Actor,
    number: str,
    kind: str,
    issue_date: date,
    amount_excl_tax: Decimal,
    tax: Decimal,
    total: Decimal,
    shipments: list[dict],
) -> Invoice:
    """The supplier records a blue 数电发票 covering `shipments` = [{shipment_id, amount}] of one buyer.

    Raises: NotAParty (acting for no supplier), InvalidInput (structure, reuse, totals, another buyer's shipment,
    more than a shipment's gross invoiced).
    """
    supplier_id = actor.require_organization().pk
    errors: list[dict] = []
    _check_number(supplier_id, number, "number", errors)
    if amount_excl_tax + tax != total:
        errors.append(_error("total", "invoice_total_mismatch", _("Amount excluding tax + tax must equal the total.")))
    if sum((item["amount"] for item in shipments), ZERO) != total:
        errors.append(_error("shipments", "covered_total_mismatch", _("The covered amounts must add up to the total.")))
    ids = [item["shipment_id"] for item in shipments]
    found = {
        s.pk: s for s in Shipment.objects.select_for_update().filter(pk__in=ids, supplier_id=supplier_id).order_by("pk")
    }
    buyers = {s.buyer_id for s in found.values()}
    if len(buyers) > 1:
        errors.append(_error("shipments", "several_buyers", _("One invoice covers shipments of one buyer only.")))
    invoiced = _invoiced(list(found), red=False)
    for index, item in enumerate(shipments):
        shipment = found.get(item["shipment_id"])
        if shipment is None:
            errors.append(
                _error(f"shipments[{index}].shipment_id", "unknown_shipment", _("Not one of your shipments."))
            )
            continue
        left = shipment.gross - invoiced.get(shipment.pk, ZERO)
        if item["amount"] > left:
            errors.append(
                _error(
                    f"shipments[{index}].amount",
                    "more_than_shipped",
                    _("Only %(left)s of this shipment's %(gross)s is left to invoice (票货一致).")
                    % {"left": left, "gross": shipment.gross},
                )
            )
    if errors:
        raise InvalidInput(errors)
    invoice = Invoice.objects.create(
        supplier_id=supplier_id,
        buyer_id=buyers.pop(),
        number=number,
        kind=kind,
        issue_date=issue_date,
        amount_excl_tax=amount_excl_tax,
        tax=tax,
        total=total,
        recorded_by=actor.audit.label[:255],
    )
    InvoiceShipment.objects.bulk_create(
        InvoiceShipment(invoice=invoice, shipment_id=item["shipment_id"], amount=item["amount"]) for item in shipments
    )
    _audit(actor, "invoice.recorded", invoice, supplier_id, {"number": number, "total": total, "shipments": ids})
    _announce(invoice.supplier_id, invoice.buyer_id, "invoice.recorded", {"invoice_id": invoice.pk, "number": number})
    return invoice


@transaction.atomic
def invoice_declare_deduction(*, invoice: Invoice, actor: Actor, deducted: bool) -> Invoice:
    """The buyer says whether it deducted the invoice's input tax. Raises: NotAParty (the buyer only)."""
    if not actor.acts_for(invoice.buyer_id):
        raise NotAParty(_("Only the buyer may do this."))
    Invoice.objects.filter(pk=invoice.pk).update(buyer_deducted=deducted)
    invoice.buyer_deducted = deducted
    _audit(actor, "invoice.deduction_declared", invoice, invoice.buyer_id, {"deducted": deducted})
    return invoice


def _red_value(shipment: Shipment, reason: str, ret: Return | None) -> Decimal:
    """What is still to red-letter for a rejection at receipt (gross − accepted) or a credited return."""
    if reason == RedLetterReason.RETURN:
        done = RedLetterForm.objects.filter(return_request=ret).aggregate(t=Sum("amount"))["t"] or ZERO
        return ret.gross - done
    rejected = shipment.gross - (shipment.accepted_gross if shipment.accepted_gross is not None else shipment.gross)
    done = (
        RedLetterForm.objects.filter(shipment=shipment, reason=RedLetterReason.REJECTION).aggregate(t=Sum("amount"))[
            "t"
        ]
        or ZERO
    )
    return rejected - done


@transaction.atomic
def red_letter_raise(
    *,
    actor: Actor,
    blue_invoice: Invoice,
    shipment_id: int,
    reason: str,
    return_id: int | None = None,
    amount: Decimal | None = None,
) -> RedLetterForm:
    """The supplier raises a 红字发票信息确认单 against a blue invoice that covers the shipment, for a rejection at
    receipt or a credited return (default amount: all of it still to red-letter). Confirmed at once when the buyer
    said it had not deducted the blue invoice.

    Raises: NotAParty (the invoice's supplier only), InvalidInput.
    """
    if not actor.acts_for(blue_invoice.supplier_id):
        raise NotAParty(_("Only the supplier may do this."))
    blue = Invoice.objects.select_for_update().get(pk=blue_invoice.pk)
    errors: list[dict] = []
    cover = InvoiceShipment.objects.filter(invoice=blue, shipment_id=shipment_id).first()
    if blue.red or cover is None:
        raise InvalidInput([_error("shipment_id", "not_covered", _("The blue invoice does not cover this shipment."))])
    shipment = Shipment.objects.get(pk=shipment_id)
    ret = None
    if reason == RedLetterReason.RETURN:
        ret = Return.objects.filter(pk=return_id, order_id=shipment.order_id, status=ReturnStatus.CREDITED).first()
        if ret is None or not ret.lines.filter(shipment_line__shipment_id=shipment_id).exists():
            raise InvalidInput([_error("return_id", "not_credited", _("Name a credited return of this shipment."))])
    value = _red_value(shipment, reason, ret)
    amount = value if amount is None else amount
    already = RedLetterForm.objects.filter(blue_invoice=blue, shipment=shipment).aggregate(t=Sum("amount"))["t"] or ZERO
    if amount <= ZERO or amount > value:
        errors.append(
            _error("amount", "nothing_to_red_letter", _("%(value)s is left to red-letter for this.") % {"value": value})
        )
    elif amount > cover.amount - already:
        errors.append(
            _error(
                "amount",
                "more_than_invoiced",
                _("The blue invoice covers only %(left)s more of this shipment.") % {"left": cover.amount - already},
            )
        )
    if errors:
        raise InvalidInput(errors)
    sequence = RedLetterForm.objects.filter(blue_invoice=blue).count() + 1
    form = RedLetterForm.objects.create(
        number=f"HZ{blue.number}-{sequence}",
        supplier_id=blue.supplier_id,
        buyer_id=blue.buyer_id,
        blue_invoice=blue,
        shipment=shipment,
        reason=reason,
        return_request=ret,
        amount=amount,
        tax=quantize(amount * blue.tax / blue.total),
        raised_by=actor.audit.label[:255],
    )
    _audit(actor, "red_letter_form.raised", form, form.supplier_id, {"number": form.number, "amount": amount})
    if blue.buyer_deducted is False:
        locked = transition_lock(RED_LETTER, form.pk, "auto_confirm")
        form = transition_apply(
            RED_LETTER, locked, action="auto_confirm", actor=actor, note="The buyer had not deducted the invoice."
        )
    _announce_form(form, "red_letter_form.raised")
    return form


@transaction.atomic
def red_letter_confirm(*, form: RedLetterForm, actor: Actor, note: str = "") -> RedLetterForm:
    """The buyer confirms the form. Raises: NotAParty (the buyer only), InvalidTransition."""
    locked = transition_lock(RED_LETTER, form.pk, "confirm")
    if not actor.acts_for(locked.buyer_id):
        raise NotAParty(_("Only the buyer may do this."))
    locked = transition_apply(RED_LETTER, locked, action="confirm", actor=actor, note=note)
    _announce_form(locked, "red_letter_form.confirmed")
    return locked


@transaction.atomic
def red_letter_issue(*, form: RedLetterForm, actor: Actor, number: str, issue_date: date) -> RedLetterForm:
    """The supplier records the red invoice issued on the confirmed form: negative amounts, covering the shipment.

    Raises: NotAParty (the supplier only), InvalidTransition, InvalidInput (the number).
    """
    locked = transition_lock(RED_LETTER, form.pk, "issue_red", related=("blue_invoice",))
    if not actor.acts_for(locked.supplier_id):
        raise NotAParty(_("Only the supplier may do this."))
    errors: list[dict] = []
    _check_number(locked.supplier_id, number, "number", errors)
    if errors:
        raise InvalidInput(errors)
    red = Invoice.objects.create(
        supplier_id=locked.supplier_id,
        buyer_id=locked.buyer_id,
        number=number,
        kind=locked.blue_invoice.kind,
        issue_date=issue_date,
        amount_excl_tax=-(locked.amount - locked.tax),
        tax=-locked.tax,
        total=-locked.amount,
        red=True,
        recorded_by=actor.audit.label[:255],
    )
    InvoiceShipment.objects.create(invoice=red, shipment_id=locked.shipment_id, amount=-locked.amount)
    locked = transition_apply(
        RED_LETTER, locked, action="issue_red", actor=actor, note=number, changes={"red_invoice": red}
    )
    _announce_form(locked, "red_letter_form.red_issued")
    return locked


def order_invoice_position(order: Order) -> dict:
    """What is invoiced for an order against what is owed: blue, red, net; accepted gross less credited returns;
    the difference and what makes it up."""
    shipments = list(order.shipments.order_by("sequence"))
    ids = [s.pk for s in shipments]
    blue, red = _invoiced(ids, red=False), _invoiced(ids, red=True)
    invoiced = sum(blue.values(), ZERO)
    red_lettered = -sum(red.values(), ZERO)
    accepted = sum((s.accepted_gross for s in shipments if s.accepted_gross is not None), ZERO)
    in_transit = sum((s.gross for s in shipments if s.accepted_gross is None), ZERO)
    returns = Return.objects.filter(order=order, status=ReturnStatus.CREDITED)
    credited = sum((r.gross for r in returns), ZERO)
    expected = accepted + in_transit - credited
    open_items = []
    for s in shipments:
        if (left := s.gross - blue.get(s.pk, ZERO)) > ZERO:
            open_items.append({"kind": "to_invoice", "shipment": s.pk, "return_request": None, "amount": left})
        if (left := _red_value(s, RedLetterReason.REJECTION, None)) > ZERO:
            open_items.append(
                {"kind": "rejection_to_red_letter", "shipment": s.pk, "return_request": None, "amount": left}
            )
    for ret in returns:
        if (left := _red_value(None, RedLetterReason.RETURN, ret)) > ZERO:
            open_items.append(
                {"kind": "return_to_red_letter", "shipment": None, "return_request": ret.pk, "amount": left}
            )
    pending = RedLetterForm.objects.filter(shipment_id__in=ids).exclude(status=RedLetterStatus.RED_ISSUED)
    for form in pending:
        open_items.append(
            {
                "kind": "red_invoice_pending",
                "shipment": form.shipment_id,
                "return_request": form.return_request_id,
                "amount": form.amount,
            }
        )
    return {
        "order": order.pk,
        "invoiced": invoiced,
        "red_lettered": red_lettered,
        "net_invoiced": invoiced - red_lettered,
        "accepted_gross": accepted,
        "in_transit_gross": in_transit,
        "credited_returns": credited,
        "expected": expected,
        "difference": invoiced - red_lettered - expected,
        "open_items": open_items,
    }


def _audit(actor: Actor, action: str, obj, organization_id: int, changes: dict) -> None:
    audit_record(
        actor=actor.audit,
        action=action,
        object_type=action.split(".")[0],
        object_id=obj.pk,
        organization_id=organization_id,
        changes=changes,
    )


def _announce(supplier_id: int, buyer_id: int, event_type: str, payload: dict) -> None:
    outbox_publish(
        event_type=event_type,
        organization_ids=[buyer_id, supplier_id],
        payload=payload,
        object_type=event_type.split(".")[0],
        object_id=payload.get("invoice_id") or payload.get("form_id"),
    )


def _announce_form(form: RedLetterForm, event_type: str) -> None:
    _announce(
        form.supplier_id,
        form.buyer_id,
        event_type,
        {"form_id": form.pk, "number": form.number, "status": form.status, "amount": str(form.amount)},
    )


# Fields a file carries, checked against the record: the record's attribute for each.
_FILE_CHECKS = {"number": "number", "issue_date": "issue_date", **{key: key for key in MONEY_FIELDS}}


@transaction.atomic
def invoice_attach_file(*, invoice: Invoice, actor: Actor, file: BinaryIO, original_name: str = "") -> InvoiceFile:
    """The supplier uploads the invoice's 数电发票 XML (or OFD) file: the fields it carries must agree with the
    record (number, issue date, amounts; the seller's and buyer's tax ids with the parties' USCC); the file is kept
    as uploaded, one per format.

    Raises: NotAParty (the issuing supplier only), InvalidInput (not an XML/OFD, malformed, a DTD/XXE refused,
    a field that disagrees with the record, a file of that format already kept).
    """
    if not actor.acts_for(invoice.supplier_id):
        raise NotAParty(_("Only the supplier that issued the invoice may do this."))
    try:
        read = read_invoice_file(file)
    except InvoiceFileInvalid as error:
        raise InvalidInput([_error("file", error.code, str(error))]) from None
    invoice = Invoice.objects.select_related("supplier", "buyer").select_for_update(of=("self",)).get(pk=invoice.pk)
    errors = []
    if InvoiceFile.objects.filter(invoice=invoice, format=read.format).exists():
        errors.append(
            _error(
                "file",
                "invoice_file_exists",
                _("This invoice's %(format)s file is already kept.") % {"format": read.format.upper()},
            )
        )
    expected = {key: getattr(invoice, attribute) for key, attribute in _FILE_CHECKS.items()}
    expected["seller_tax_id"], expected["buyer_tax_id"] = invoice.supplier.uscc, invoice.buyer.uscc
    for key, value in expected.items():
        if key in read.fields and read.fields[key] != value:
            errors.append(
                _error(
                    f"file.{key}",
                    "invoice_file_mismatch",
                    _("The file says %(found)s; the invoice record says %(recorded)s.")
                    % {"found": read.fields[key], "recorded": value},
                )
            )
    if errors:
        raise InvalidInput(errors)
    kept = InvoiceFile.objects.create(
        invoice=invoice,
        format=read.format,
        original_name=original_name[:200],
        content=file.read(),
        size=file_size(file),
        sha256=file_sha256(file),
        carried_fields=read.as_json(),
        uploaded_by=actor.audit.label[:255],
    )
    _audit(
        actor,
        "invoice.file_uploaded",
        invoice,
        invoice.supplier_id,
        {"format": kept.format, "sha256": kept.sha256, "size": kept.size, "fields": kept.carried_fields},
    )
    return kept


# What a record made from a file takes from it; anything the file does not carry the request gives.
FILE_RECORD_FIELDS = ("number", "issue_date", "amount_excl_tax", "tax", "total")


@transaction.atomic
def invoice_record_from_file(
    *,
    actor: Actor,
    file: BinaryIO,
    original_name: str = "",
    kind: str,
    shipments: list[dict],
    **given,
) -> Invoice:
    """The supplier records a blue 数电发票 from its XML (or OFD) file: the number, issue date and amounts the file
    carries fill the record, `given` supplies what it does not carry (and must agree with what it does); then the
    record is made by `invoice_record` and the file kept by `invoice_attach_file`, in this one transaction.

    Raises: NotAParty (acting for no supplier), InvalidInput (the file refused, a field neither carried nor given,
    a given field that disagrees with the file, anything `invoice_record` or `invoice_attach_file` refuses).
    """
    if actor.require_organization().kind not in SUPPLIER_KINDS:
        raise NotAParty(_("Only a supplier records the invoices it issued."))
    try:
        read = read_invoice_file(file)
    except InvoiceFileInvalid as error:
        raise InvalidInput([_error("file", error.code, str(error))]) from None
    values: dict = {}
    errors: list[dict] = []
    for key in FILE_RECORD_FIELDS:
        carried, asked = read.fields.get(key), given.get(key)
        if carried is not None and asked is not None and carried != asked:
            errors.append(
                _error(
                    f"file.{key}",
                    "invoice_file_mismatch",
                    _("The file says %(found)s; the request says %(given)s.") % {"found": carried, "given": asked},
                )
            )
        elif carried is None and asked is None:
            errors.append(_error(key, "not_in_file", _("The file does not carry this field: give it in the request.")))
        values[key] = carried if carried is not None else asked
    if errors:
        raise InvalidInput(errors)
    invoice = invoice_record(actor=actor, kind=kind, shipments=shipments, **values)
    invoice_attach_file(invoice=invoice, actor=actor, file=file, original_name=original_name)
    return invoice
