"""The 数电发票 metadata file a supplier uploads for an invoice record (SPEC §5 "Invoices"): the standard e-invoice
XML, or the OFD (a ZIP of XML parts) where the supplier has only that.

What the XML carries is read by element name wherever it sits (the tax bureau's layout nests it under
`EInvoiceData`/`TaxSupervisionInfo`; namespaces are ignored): the invoice number (`InvoiceNumber`, else `EIid`),
issue time (`IssueTime`, else `RequestTime`), amount excluding tax (`TotalAmWithoutTax`), tax (`TotalTaxAm`),
total (`TotalTax-includedAmount`), seller and buyer names and tax ids (`SellerName`, `SellerIdNum`, `BuyerName`,
`BuyerIdNum`). XML is parsed with defusedxml and any DTD is refused: no entity expansion, no external fetch (XXE).
An OFD is kept; its fields are read when one of its XML parts carries them.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.utils.translation import gettext as _

from pharmex.zipguard import ZipLimits, ZipRefused, open_checked, read_start

XML, OFD = "xml", "ofd"
_XML_PART_LIMIT = 1024 * 1024  # an invoice part of an OFD is a few kilobytes
_OFD_LIMITS = ZipLimits(max_unpacked=20 * 1024 * 1024, max_members=200)

_TAGS = {
    "number": ("InvoiceNumber", "EIid"),
    "issue_date": ("IssueTime", "RequestTime"),
    "amount_excl_tax": ("TotalAmWithoutTax",),
    "tax": ("TotalTaxAm",),
    "total": ("TotalTax-includedAmount",),
    "seller_name": ("SellerName",),
    "seller_tax_id": ("SellerIdNum",),
    "buyer_name": ("BuyerName",),
    "buyer_tax_id": ("BuyerIdNum",),
}
MONEY_FIELDS = ("amount_excl_tax", "tax", "total")


class InvoiceFileInvalid(ValueError):
    """Not a file this endpoint reads: `code` says why (unsupported, malformed, refused, incomplete)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class InvoiceFileFields:
    format: str
    fields: dict = field(default_factory=dict)  # what the file carries: str values, money as Decimal, a date

    def as_json(self) -> dict:
        return {key: str(value) for key, value in self.fields.items()}


def detect_format(file: BinaryIO) -> str:
    """By content, not by name: a ZIP is an OFD, text starting with `<` is XML. Raises: InvoiceFileInvalid."""
    file.seek(0)
    start = file.read(512)
    file.seek(0)
    if start.startswith(b"PK\x03\x04"):
        return OFD
    if start.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return XML
    raise InvoiceFileInvalid("unsupported_file", _("Upload the invoice's XML or OFD file."))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_xml(data: bytes) -> dict:
    """The invoice fields an e-invoice XML carries (empty when it carries none). Raises: InvoiceFileInvalid."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise InvoiceFileInvalid(
            "xml_refused", _("The XML declares a DTD or entities, which are refused (an e-invoice has none).")
        ) from None
    except (ParseError, ValueError) as error:
        raise InvoiceFileInvalid(
            "xml_malformed", _("The XML cannot be read: %(error)s.") % {"error": str(error)[:200]}
        ) from None
    found: dict[str, str] = {}
    for element in root.iter():
        name, text = _local(str(element.tag)), (element.text or "").strip()
        for key, tags in _TAGS.items():
            if name in tags and text and (key not in found or tags.index(name) < found[key][0]):
                found[key] = (tags.index(name), text)
    fields: dict = {key: text for key, (_rank, text) in found.items()}
    errors = []
    for key in MONEY_FIELDS:
        if key in fields:
            try:
                fields[key] = Decimal(fields[key].replace(",", "")).quantize(Decimal("0.01"))
            except InvalidOperation:
                errors.append(key)
    if "issue_date" in fields:
        try:
            fields["issue_date"] = date.fromisoformat(fields["issue_date"][:10])
        except ValueError:
            errors.append("issue_date")
    if errors:
        raise InvoiceFileInvalid(
            "xml_malformed", _("These fields of the XML cannot be read: %(fields)s.") % {"fields": ", ".join(errors)}
        )
    return fields


def parse_ofd(file: BinaryIO) -> dict:
    """The invoice fields of the first XML part of an OFD that carries an invoice number (empty: none does).

    Raises: InvoiceFileInvalid (not a ZIP, or one that unpacks past the limits).
    """
    try:
        archive = open_checked(file, _OFD_LIMITS)
    except ZipRefused as error:
        raise InvoiceFileInvalid("ofd_refused", str(error)) from None
    except zipfile.BadZipFile:
        raise InvoiceFileInvalid("ofd_malformed", _("The OFD file cannot be read.")) from None
    with archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith(".xml") or info.file_size > _XML_PART_LIMIT:
                continue
            try:
                fields = parse_xml(read_start(archive, info.filename, _XML_PART_LIMIT))
            except InvoiceFileInvalid:
                continue
            if "number" in fields:
                return fields
    return {}


def read_invoice_file(file: BinaryIO) -> InvoiceFileFields:
    """Raises: InvoiceFileInvalid."""
    kind = detect_format(file)
    if kind == OFD:
        fields = parse_ofd(file)
    else:
        file.seek(0)
        fields = parse_xml(file.read())
        if "number" not in fields:
            raise InvoiceFileInvalid("xml_not_an_invoice", _("The XML carries no invoice number (InvoiceNumber)."))
    file.seek(0)
    return InvoiceFileFields(format=kind, fields=fields)
