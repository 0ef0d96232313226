"""Uploading documents: checked by content, stored by hash, immutable, versioned, visible to their owner only."""

from __future__ import annotations

import hashlib

import pytest
from django.db import DatabaseError, transaction

from firstbusiness.choices import DocumentStatus
from firstbusiness.models import Document
from firstbusiness.storage import document_storage
from pharmex.models import AuditEvent
from tests.firstbusiness.conftest import in_days, jpeg_bytes, licence_copy, pdf_bytes, png_bytes, registration, upload


def test_a_licence_copy_is_stored_by_its_hash_with_its_licence_validity(cast):
    content = pdf_bytes("药品经营许可证")
    response = licence_copy(cast, content=content)

    assert response.status_code == 201, response.json()
    body = response.json()
    document = Document.objects.get()
    sha256 = hashlib.sha256(content).hexdigest()
    assert body | {"created_at": None} == {
        "id": document.pk,
        "organization": {"id": cast.supplier.pk, "legal_name": "海南康泰医药有限公司", "kind": "distributor"},
        "type": "license_copy",
        "title": "药品经营许可证",
        "license_id": cast.license.pk,
        "representative_id": None,
        "drug": None,
        "lot": "",
        "scope_drug_ids": [],
        "scope_provinces": [],
        "valid_from": cast.license.valid_from.isoformat(),
        "valid_until": cast.license.valid_until.isoformat(),
        "series": str(document.series),
        "version": 1,
        "current": True,
        "status": "pending",
        "review_note": "",
        "reviewed_at": None,
        "superseded_at": None,
        "content_type": "application/pdf",
        "size": len(content),
        "sha256": sha256,
        "original_name": "scan.pdf",
        "uploaded_by_label": cast.supplier_quality.email,
        "created_at": None,
    }
    assert document.file.name == f"documents/{cast.supplier.pk}/{sha256[:2]}/{sha256}.pdf"
    with document_storage().open(document.file.name) as stored:
        assert stored.read() == content
    assert AuditEvent.objects.filter(action="document.submitted", object_id=str(document.pk)).exists()


@pytest.mark.parametrize(
    ("content", "name", "mime", "detected"),
    [
        (png_bytes(), "licence.png", "image/png", "image/png"),
        (jpeg_bytes(), "licence.jpg", "image/jpeg", "image/jpeg"),
        # what the client claims does not matter: a JPEG called .pdf is a JPEG
        (jpeg_bytes(), "licence.pdf", "application/pdf", "image/jpeg"),
    ],
)
def test_images_are_accepted_as_their_content_says(cast, content, name, mime, detected):
    response = licence_copy(cast, content=content, name=name, mime=mime)

    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == detected


@pytest.mark.parametrize(
    "content",
    [
        b"<html><script>alert(1)</script></html>",  # a web page called scan.pdf
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64,  # a Windows executable
        pdf_bytes()[:-7],  # a truncated PDF: no end marker
        b"PK\x03\x04" + b"\x00" * 30,  # a ZIP (an Office file)
        b"%PDF",  # a signature and nothing else
    ],
    ids=["html", "exe", "truncated-pdf", "zip", "signature-only"],
)
def test_content_type_spoofing_is_refused(cast, content):
    response = licence_copy(cast, content=content, name="licence.pdf", mime="application/pdf")

    assert response.status_code == 415
    assert response.json()["code"] == "document_content_not_accepted"
    assert not Document.objects.exists()
    assert not document_storage().exists(f"documents/{cast.supplier.pk}")


def test_a_pdf_with_active_content_is_refused_by_the_scan(cast):
    response = licence_copy(cast, content=pdf_bytes(extra=b"<< /S /JavaScript /JS (app.alert(1)) >>\n"))

    assert response.status_code == 400
    assert response.json()["code"] == "document_scan_refused"
    assert not Document.objects.exists()


def test_the_scan_hook_runs_every_configured_scanner(cast, settings):
    settings.DOCUMENT_SCANNERS = ["tests.firstbusiness.test_documents.infected"]

    response = licence_copy(cast)

    assert (response.status_code, response.json()["detail"]) == (400, "EICAR test signature")


def infected(file, content_type):
    return "EICAR test signature"


def test_a_document_over_the_size_limit_is_refused_before_it_is_read(cast, settings):
    settings.DOCUMENT_MAX_BYTES = 1024

    response = licence_copy(cast, content=pdf_bytes(extra=b"%" + b"x" * 40_000 + b"\n"))

    assert response.status_code == 413
    assert not Document.objects.exists()


def test_the_subject_fields_follow_the_type(cast):
    client = cast.client(cast.supplier_quality)

    missing = upload(client, type="drug_registration", title="注册证")
    foreign = upload(client, type="license_copy", title="许可证", license_id=cast.license.pk, drug_id=cast.drug.pk)
    other_licence = upload(client, type="license_copy", title="许可证", license_id=999999)

    assert missing.status_code == foreign.status_code == other_licence.status_code == 400
    assert {(e["field"], e["code"]) for e in missing.json()["errors"]} == {
        ("drug_id", "required"),
        ("valid_until", "required"),
    }
    assert [(e["field"], e["code"]) for e in foreign.json()["errors"]] == [("drug_id", "not_allowed")]
    assert [(e["field"], e["code"]) for e in other_licence.json()["errors"]] == [("license_id", "not_found")]


def test_a_new_version_supersedes_the_old_which_is_kept(cast):
    first = registration(cast, valid_until=in_days(100)).json()
    second = registration(cast, valid_until=in_days(1800), replaces=first["id"], content=pdf_bytes("renewed"))

    assert second.status_code == 201, second.json()
    assert (second.json()["series"], second.json()["version"]) == (first["series"], 2)
    old = Document.objects.get(pk=first["id"])
    assert (old.status, old.superseded_at is not None) == (DocumentStatus.SUPERSEDED, True)
    assert document_storage().exists(old.file.name)
    listed = cast.client(cast.supplier_owner).get("/api/v1/documents/", {"series": first["series"]}).json()
    assert [(d["version"], d["current"]) for d in listed["results"]] == [(2, True), (1, False)]


def test_a_version_keeps_its_subject_and_replaces_only_a_current_one(cast):
    first = registration(cast).json()
    licence = licence_copy(cast, replaces=first["id"])
    registration(cast, replaces=first["id"], content=pdf_bytes("v2"))
    again = registration(cast, replaces=first["id"], content=pdf_bytes("v3"))

    assert (licence.status_code, licence.json()["errors"][0]["code"]) == (400, "other_subject")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_a_submitted_document_is_immutable_in_the_database(cast):
    document = Document.objects.get(pk=licence_copy(cast).json()["id"])

    for change in ({"sha256": "0" * 64}, {"valid_until": in_days(9999)}, {"title": "changed"}):
        with pytest.raises(DatabaseError), transaction.atomic():
            Document.objects.filter(pk=document.pk).update(**change)
    with pytest.raises(DatabaseError), transaction.atomic():
        Document.objects.filter(pk=document.pk).delete()


def test_nobody_else_sees_an_unshared_document(cast):
    document_id = licence_copy(cast).json()["id"]

    for user in (cast.buyer_quality, cast.third_owner):
        client = cast.client(user)
        assert client.get(f"/api/v1/documents/{document_id}/").status_code == 404
        assert client.post(f"/api/v1/documents/{document_id}/link/").status_code == 404
        assert client.get("/api/v1/documents/").json()["results"] == []


def test_only_owners_and_quality_staff_upload(cast):
    from tests.factories import MembershipFactory

    operator = MembershipFactory(organization=cast.supplier, role="operator").user

    assert licence_copy(cast).status_code == 201
    response = upload(cast.client(operator), type="license_copy", title="x", license_id=cast.license.pk)
    assert response.status_code == 403


def test_platform_admins_verify_and_reject(cast, admin_user):
    first = licence_copy(cast).json()["id"]
    second = registration(cast).json()["id"]
    admin = cast.client(admin_user)

    verified = admin.post(f"/api/v1/documents/{first}/verify/", {"note": "matches the register"}, format="json")
    rejected = admin.post(f"/api/v1/documents/{second}/reject/", {"note": "illegible"}, format="json")
    supplier = cast.client(cast.supplier_owner).post(f"/api/v1/documents/{first}/verify/", {}, format="json")

    assert (verified.status_code, verified.json()["status"]) == (200, "verified")
    assert (rejected.status_code, rejected.json()["status"], rejected.json()["current"]) == (200, "rejected", False)
    assert supplier.status_code == 403
    history = admin.get(f"/api/v1/documents/{first}/history/").json()["results"]
    assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == [("verify", "pending", "verified")]


def test_listing_documents_makes_the_same_queries_whatever_the_page(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = cast.client(cast.supplier_owner)
    registration(cast)
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/documents/")
    for n in range(4):
        registration(cast, content=pdf_bytes(f"more {n}"), title=f"注册证 {n}")
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/api/v1/documents/").json()["results"]) == 5

    assert len(one) == len(five)


def test_filters_are_strict(cast):
    client = cast.client(cast.supplier_owner)

    for query in ({"series": ""}, {"series": "not-a-uuid"}, {"current": "yes"}, {"organization": "x"}):
        assert client.get("/api/v1/documents/", query).status_code == 400, query
