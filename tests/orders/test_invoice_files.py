"""The 数电发票 metadata file (SPEC §5 "Invoices"): a supplier uploads the e-invoice XML (or OFD) for an invoice
record; the fields it carries are checked against the record and the file is kept."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orders.models import Invoice, InvoiceFile
from tests.orders.returns import received
from tests.orders.test_invoices import record

pytestmark = pytest.mark.django_db

# A hand-made e-invoice as the tax bureau's XML lays it out (trimmed to the fields the platform reads).
EINVOICE = """<?xml version="1.0" encoding="UTF-8"?>
<EInvoice>
  <Header><EIid>{number}</EIid><EInvoiceTag>SWEI3200</EInvoiceTag><Version>0.1</Version></Header>
  <EInvoiceData>
    <SellerInformation><SellerIdNum>{seller}</SellerIdNum><SellerName>海南供货商</SellerName></SellerInformation>
    <BuyerInformation><BuyerIdNum>{buyer}</BuyerIdNum><BuyerName>海口药房</BuyerName></BuyerInformation>
    <BasicInformation>
      <TotalAmWithoutTax>{excl}</TotalAmWithoutTax>
      <TotalTaxAm>{tax}</TotalTaxAm>
      <TotalTax-includedAmount>{total}</TotalTax-includedAmount>
    </BasicInformation>
  </EInvoiceData>
  <TaxSupervisionInfo><InvoiceNumber>{number}</InvoiceNumber><IssueTime>{date} 10:30:00</IssueTime></TaxSupervisionInfo>
</EInvoice>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE EInvoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<EInvoice><TaxSupervisionInfo><InvoiceNumber>&secret;</InvoiceNumber></TaxSupervisionInfo></EInvoice>
"""


def _xml(invoice: Invoice, **changes) -> bytes:
    values = {
        "number": invoice.number,
        "seller": invoice.supplier.uscc,
        "buyer": invoice.buyer.uscc,
        "excl": invoice.amount_excl_tax,
        "tax": invoice.tax,
        "total": invoice.total,
        "date": invoice.issue_date,
        **changes,
    }
    return EINVOICE.format(**values).encode()


def _upload(client, invoice: Invoice, data: bytes, name: str = "invoice.xml"):
    return client.post(
        f"/api/v1/invoices/{invoice.pk}/file/", {"file": SimpleUploadedFile(name, data)}, format="multipart"
    )


@pytest.fixture
def invoice(market) -> Invoice:
    _order, shipment = received(market, 10)
    response = record(market.supplier_client(), [(shipment, str(shipment.gross))], tax="10.00")
    assert response.status_code == 201, response.json()
    return Invoice.objects.select_related("supplier", "buyer").get(pk=response.json()["id"])


def test_the_xml_is_read_checked_against_the_record_and_kept(market, invoice):
    data = _xml(invoice)
    response = _upload(market.supplier_client(), invoice, data)
    assert response.status_code == 201, response.json()
    (kept,) = response.json()["files"]
    assert (kept["format"], kept["original_name"], kept["size"]) == ("xml", "invoice.xml", len(data))
    assert kept["carried_fields"] == {
        "number": invoice.number,
        "issue_date": str(invoice.issue_date),
        "amount_excl_tax": str(invoice.amount_excl_tax),
        "tax": "10.00",
        "total": str(invoice.total),
        "seller_name": "海南供货商",
        "seller_tax_id": invoice.supplier.uscc,
        "buyer_name": "海口药房",
        "buyer_tax_id": invoice.buyer.uscc,
    }
    assert bytes(InvoiceFile.objects.get(invoice=invoice).content) == data
    # the buyer sees it on the invoice; it may not upload; a second XML is refused
    assert market.buyer_client().get(f"/api/v1/invoices/{invoice.pk}/").json()["files"][0]["sha256"] == kept["sha256"]
    assert _upload(market.buyer_client(), invoice, data).status_code == 403
    again = _upload(market.supplier_client(), invoice, data)
    assert (again.status_code, again.json()["errors"][0]["code"]) == (400, "invoice_file_exists")


def test_a_file_that_disagrees_with_the_record_is_refused_naming_each_field(market, invoice):
    data = _xml(invoice, total=invoice.total + 1, buyer="91460000MA5T000000")
    response = _upload(market.supplier_client(), invoice, data)
    assert response.status_code == 400
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("file.total", "invoice_file_mismatch"),
        ("file.buyer_tax_id", "invoice_file_mismatch"),
    }
    assert not InvoiceFile.objects.exists()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<EInvoice><InvoiceNumber>1</InvoiceNumber>", "xml_malformed"),
        (XXE.encode(), "xml_refused"),
        (b"<EInvoice><Note>no number</Note></EInvoice>", "xml_not_an_invoice"),
        (b"%PDF-1.7 not an invoice file", "unsupported_file"),
    ],
)
def test_malformed_xxe_and_other_files_are_refused_with_a_clear_400(market, invoice, data, code):
    response = _upload(market.supplier_client(), invoice, data)
    assert (response.status_code, response.json()["errors"][0]["code"]) == (400, code), response.json()
    assert response.json()["errors"][0]["message"]
    assert not InvoiceFile.objects.exists()


def test_an_ofd_is_kept_and_read_when_an_xml_part_carries_the_invoice(market, invoice):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        archive.writestr("Doc_0/Attachs/original_invoice.xml", _xml(invoice))
    response = _upload(market.supplier_client(), invoice, buffer.getvalue(), name="invoice.ofd")
    assert response.status_code == 201, response.json()
    ofd = response.json()["files"][0]
    assert (ofd["format"], ofd["carried_fields"]["number"]) == ("ofd", invoice.number)
    # the XML can follow: one file per format
    xml = _upload(market.supplier_client(), invoice, _xml(invoice))
    assert [f["format"] for f in xml.json()["files"]] == ["ofd", "xml"]


def test_an_ofd_that_disagrees_is_refused(market, invoice):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Doc_0/invoice.xml", _xml(invoice, tax="11.00", excl=invoice.amount_excl_tax - 1))
    response = _upload(market.supplier_client(), invoice, buffer.getvalue(), name="invoice.ofd")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"file.tax", "file.amount_excl_tax"}


def test_an_upload_over_the_limit_is_refused_before_it_is_read(market, invoice, settings):
    settings.INVOICE_FILE_MAX_BYTES = 1024
    response = _upload(market.supplier_client(), invoice, _xml(invoice) + b" " * 40_000)
    assert response.status_code == 413


def test_an_ofd_without_an_invoice_part_is_kept_as_it_is(market, invoice):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        archive.writestr("Doc_0/Pages/Page_0/Content.xml", "<Content/>")
    response = _upload(market.supplier_client(), invoice, buffer.getvalue(), name="invoice.ofd")
    assert response.status_code == 201, response.json()
    assert [(f["format"], f["carried_fields"]) for f in response.json()["files"]] == [("ofd", {})]
    assert bytes(InvoiceFile.objects.get(invoice=invoice).content) == buffer.getvalue()
