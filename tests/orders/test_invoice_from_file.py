"""Recording an invoice BY uploading its 数电发票 XML/OFD file (SPEC §5 "Invoices", issue 14): the fields the file
carries fill the record, the request gives what it does not carry, the same checks as the JSON create run, and the
file is kept, all in one transaction."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from orders.models import Invoice, InvoiceFile, InvoiceShipment
from pharmex.models import AuditEvent
from tests.orders.returns import received
from tests.orders.shipping import invoice_number
from tests.orders.test_invoice_files import EINVOICE
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _xml(market, shipment, *, number=None, total=None, tax=Decimal("10.00"), date=None, **changes) -> bytes:
    total = shipment.gross if total is None else total
    values = {
        "number": number or invoice_number(),
        "seller": market.supplier.uscc,
        "buyer": market.buyer.uscc,
        "excl": total - tax,
        "tax": tax,
        "total": total,
        "date": date or timezone.localdate(),
        **changes,
    }
    return EINVOICE.format(**values).encode()


def _post(client, data: bytes, covers, *, name="invoice.xml", **fields):
    body = {
        "file": SimpleUploadedFile(name, data),
        "kind": "special",
        "shipments": json.dumps([{"shipment_id": s.pk, "amount": str(amount)} for s, amount in covers]),
        **fields,
    }
    return client.post("/api/v1/invoices/from-file/", body, format="multipart")


def _nothing_written():
    assert not Invoice.objects.exists()
    assert not InvoiceShipment.objects.exists()
    assert not InvoiceFile.objects.exists()
    assert not OutboxEvent.objects.filter(event_type="invoice.recorded").exists()
    assert not AuditEvent.objects.filter(action__startswith="invoice.").exists()


def test_the_record_is_made_from_the_xml_and_the_file_kept_audited_and_announced(market):
    _order, shipment = received(market, 10)
    number = invoice_number()
    data = _xml(market, shipment, number=number)
    response = _post(market.supplier_client(), data, [(shipment, shipment.gross)])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["number"], body["kind"], body["issue_date"]) == (number, "special", str(timezone.localdate()))
    assert (body["amount_excl_tax"], body["tax"], body["total"]) == (
        str(shipment.gross - Decimal("10.00")),
        "10.00",
        str(shipment.gross),
    )
    assert [(c["shipment"], c["amount"]) for c in body["covers"]] == [(shipment.pk, str(shipment.gross))]
    (kept,) = body["files"]
    assert (kept["format"], kept["original_name"], kept["size"]) == ("xml", "invoice.xml", len(data))
    assert kept["carried_fields"]["number"] == number
    assert bytes(InvoiceFile.objects.get(invoice_id=body["id"]).content) == data
    assert set(
        AuditEvent.objects.filter(object_type="invoice", object_id=str(body["id"])).values_list("action", flat=True)
    ) == {"invoice.recorded", "invoice.file_uploaded"}
    events = OutboxEvent.objects.filter(event_type="invoice.recorded")
    assert events.exists()
    assert all(event.payload == {"invoice_id": body["id"], "number": number} for event in events)
    # the buyer sees it; a retry of the same upload records nothing twice (the number is used once)
    assert market.buyer_client().get(f"/api/v1/invoices/{body['id']}/").json()["files"][0]["sha256"] == kept["sha256"]
    again = _post(market.supplier_client(), data, [(shipment, shipment.gross)])
    assert (again.status_code, again.json()["errors"][0]["code"]) == (400, "invoice_number_used")
    assert Invoice.objects.count() == InvoiceFile.objects.count() == 1


def test_what_the_file_does_not_carry_is_named_then_taken_from_the_request(market):
    _order, shipment = received(market, 10)
    data = _xml(market, shipment).replace(b"<IssueTime>", b"<Other>").replace(b"</IssueTime>", b"</Other>")
    data = data.replace(b"<TotalTaxAm>10.00</TotalTaxAm>", b"")
    missing = _post(market.supplier_client(), data, [(shipment, shipment.gross)])
    assert missing.status_code == 400
    assert {(e["field"], e["code"]) for e in missing.json()["errors"]} == {
        ("issue_date", "not_in_file"),
        ("tax", "not_in_file"),
    }
    _nothing_written()
    response = _post(market.supplier_client(), data, [(shipment, shipment.gross)], issue_date="2026-11-30", tax="10.00")
    assert response.status_code == 201, response.json()
    assert (response.json()["issue_date"], response.json()["tax"]) == ("2026-11-30", "10.00")
    assert "issue_date" not in response.json()["files"][0]["carried_fields"]


def test_an_ofd_without_an_invoice_part_needs_every_field_from_the_request(market):
    _order, shipment = received(market, 10)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
    fields = {
        "number": invoice_number(),
        "issue_date": str(timezone.localdate()),
        "amount_excl_tax": str(shipment.gross),
        "tax": "0.00",
        "total": str(shipment.gross),
    }
    response = _post(market.supplier_client(), buffer.getvalue(), [(shipment, shipment.gross)], name="i.ofd", **fields)
    assert response.status_code == 201, response.json()
    assert [(f["format"], f["carried_fields"]) for f in response.json()["files"]] == [("ofd", {})]
    assert response.json()["number"] == fields["number"]


def test_a_request_field_that_disagrees_with_the_file_is_refused(market):
    _order, shipment = received(market, 10)
    response = _post(market.supplier_client(), _xml(market, shipment), [(shipment, shipment.gross)], tax="11.00")
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("file.tax", "invoice_file_mismatch")]
    _nothing_written()


def test_over_invoicing_and_mismatched_totals_are_refused_with_nothing_written(market):
    _order, shipment = received(market, 10)
    client = market.supplier_client()
    over = shipment.gross + Decimal("1.00")
    response = _post(client, _xml(market, shipment, total=over), [(shipment, over)])
    assert response.status_code == 400
    assert {e["code"] for e in response.json()["errors"]} == {"more_than_shipped"}
    _nothing_written()
    # the covered amounts do not add up to the file's total
    response = _post(client, _xml(market, shipment), [(shipment, shipment.gross - Decimal("1.00"))])
    assert {e["code"] for e in response.json()["errors"]} == {"covered_total_mismatch"}
    _nothing_written()
    # the file names another buyer: the record the service made is rolled back with the refused file
    response = _post(client, _xml(market, shipment, buyer="91460000MA5T000000"), [(shipment, shipment.gross)])
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("file.buyer_tax_id", "invoice_file_mismatch")
    ]
    _nothing_written()


@pytest.mark.parametrize(
    ("shipments", "field"),
    [("not json", "shipments"), ('{"shipment_id": 1}', "shipments"), ("[]", "shipments")],
)
def test_covered_shipments_that_are_not_a_json_array_of_covers_are_a_clear_400(market, shipments, field):
    _order, shipment = received(market, 10)
    body = {"file": SimpleUploadedFile("i.xml", _xml(market, shipment)), "kind": "special", "shipments": shipments}
    response = market.supplier_client().post("/api/v1/invoices/from-file/", body, format="multipart")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["field"].startswith(field)
    _nothing_written()


def test_a_malformed_file_is_refused(market):
    _order, shipment = received(market, 10)
    response = _post(market.supplier_client(), b"%PDF-1.7", [(shipment, shipment.gross)])
    assert (response.status_code, response.json()["errors"][0]["code"]) == (400, "unsupported_file")
    _nothing_written()


def test_the_buyer_may_not_record_an_invoice(market):
    _order, shipment = received(market, 10)
    response = _post(market.buyer_client(), _xml(market, shipment), [(shipment, shipment.gross)])
    assert response.status_code == 403, response.json()
    _nothing_written()


def test_an_upload_over_the_limit_is_refused_before_it_is_read(market, settings):
    _order, shipment = received(market, 10)
    settings.INVOICE_FILE_MAX_BYTES = 1024
    response = _post(market.supplier_client(), _xml(market, shipment) + b" " * 40_000, [(shipment, shipment.gross)])
    assert response.status_code == 413
    _nothing_written()
