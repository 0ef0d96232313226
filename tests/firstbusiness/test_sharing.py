"""Sharing a package, signed download links and the access log, with tenancy."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core import signing
from django.utils import timezone

from firstbusiness.links import SALT
from firstbusiness.models import DocumentAccess, DocumentShare
from tests.conftest import client_for
from tests.factories import MembershipFactory
from tests.firstbusiness.conftest import licence_copy, pdf_bytes, share
from webhooks.models import OutboxEvent


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _download(client, url: str):
    return client.get("/api/v1/document-files/" + _token(url) + "/")


def test_a_requested_package_is_shared_once_granted(cast):
    document_id = licence_copy(cast).json()["id"]
    buyer = cast.client(cast.buyer_quality)

    requested = buyer.post("/api/v1/document-shares/request/", {"provider_id": cast.supplier.pk}, format="json")
    before = buyer.get(f"/api/v1/documents/{document_id}/")
    share_id = requested.json()["id"]
    granted = cast.client(cast.supplier_owner).post(f"/api/v1/document-shares/{share_id}/accept/", {}, format="json")
    after = buyer.get(f"/api/v1/documents/{document_id}/")

    assert (requested.status_code, requested.json()["status"]) == (201, "requested")
    assert before.status_code == 404
    assert (granted.status_code, granted.json()["status"]) == (200, "active")
    assert after.status_code == 200
    assert list(OutboxEvent.objects.order_by("id").values_list("event_type", "organization_id")) == [
        ("documents.share_requested", cast.supplier.pk),
        ("documents.shared", cast.buyer.pk),
    ]
    history = buyer.get(f"/api/v1/document-shares/{share_id}/history/").json()["results"]
    assert [(h["action"], h["to_status"]) for h in history] == [("accept", "active"), ("request", "requested")]


def test_the_recipient_cannot_grant_itself_and_a_third_party_sees_no_share(cast):
    share_id = (
        cast.client(cast.buyer_quality)
        .post("/api/v1/document-shares/request/", {"provider_id": cast.supplier.pk}, format="json")
        .json()["id"]
    )

    by_recipient = cast.client(cast.buyer_quality).post(
        f"/api/v1/document-shares/{share_id}/accept/", {}, format="json"
    )
    by_third = cast.client(cast.third_owner).post(f"/api/v1/document-shares/{share_id}/accept/", {}, format="json")

    assert by_recipient.status_code == 403
    assert by_third.status_code == 404
    assert DocumentShare.objects.get().status == "requested"


def test_download_through_a_signed_link_records_every_access(cast):
    content = pdf_bytes("营业执照")
    document_id = licence_copy(cast, content=content).json()["id"]
    share(cast)
    buyer = cast.client(cast.buyer_quality)

    link = buyer.post(f"/api/v1/documents/{document_id}/link/")
    downloaded = _download(buyer, link.json()["url"])

    assert link.status_code == 200
    assert link.json()["url"].startswith("http://testserver/api/v1/document-files/")
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == content
    assert downloaded["Content-Type"] == "application/pdf"
    assert downloaded["Content-Disposition"] == f'attachment; filename="document-{document_id}-v1.pdf"'
    assert downloaded["Cache-Control"] == "private, no-store"
    assert list(DocumentAccess.objects.order_by("id").values_list("kind", "organization_id", "actor")) == [
        ("link_issued", cast.buyer.pk, cast.buyer_quality.email),
        ("downloaded", cast.buyer.pk, cast.buyer_quality.email),
    ]
    # the owner sees who accessed its document; the recipient its own accesses
    owner_view = cast.client(cast.supplier_owner).get(f"/api/v1/documents/{document_id}/accesses/").json()
    assert [(a["kind"], a["actor"]) for a in owner_view["results"]] == [
        ("downloaded", cast.buyer_quality.email),
        ("link_issued", cast.buyer_quality.email),
    ]


def test_a_third_organisation_gets_404_for_the_document_and_the_link(cast):
    document_id = licence_copy(cast).json()["id"]
    share(cast)
    url = cast.client(cast.buyer_quality).post(f"/api/v1/documents/{document_id}/link/").json()["url"]
    third = cast.client(cast.third_owner)

    assert third.get(f"/api/v1/documents/{document_id}/").status_code == 404
    assert third.post(f"/api/v1/documents/{document_id}/link/").status_code == 404
    response = _download(third, url)
    assert (response.status_code, response.json()["type"]) == (404, "https://pharmex.example/problems/not-found")
    assert not DocumentAccess.objects.filter(organization=cast.third).exists()


def test_a_link_works_only_for_the_caller_it_was_issued_to(cast):
    document_id = licence_copy(cast).json()["id"]
    share(cast)
    url = cast.client(cast.buyer_quality).post(f"/api/v1/documents/{document_id}/link/").json()["url"]
    colleague = MembershipFactory(organization=cast.buyer, role="viewer").user

    assert _download(client_for(colleague), url).status_code == 404
    assert _download(client_for(None), url).status_code == 401


def test_a_forged_or_altered_link_is_refused(cast):
    document_id = licence_copy(cast).json()["id"]
    other_id = licence_copy(cast, content=pdf_bytes("another"), title="营业执照").json()["id"]
    client = cast.client(cast.supplier_owner)
    token = _token(client.post(f"/api/v1/documents/{document_id}/link/").json()["url"])
    payload = {"d": other_id, "o": cast.supplier.pk, "p": f"u:{cast.supplier_owner.pk}"}

    forged = signing.TimestampSigner(key="not-the-secret", salt=SALT).sign_object(payload)
    wrong_salt = signing.TimestampSigner(salt="another.purpose").sign_object(payload)
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    for bad in (forged, wrong_salt, altered, "not-a-token"):
        response = client.get(f"/api/v1/document-files/{bad}/")
        assert response.status_code == 404, bad
    assert client.get(f"/api/v1/document-files/{token}/").status_code == 200


def test_an_expired_link_is_refused_with_410(cast, settings):
    document_id = licence_copy(cast).json()["id"]
    client = cast.client(cast.supplier_owner)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        url = client.post(f"/api/v1/documents/{document_id}/link/").json()["url"]
    with time_machine.travel(start + timedelta(seconds=settings.DOCUMENT_LINK_MAX_AGE_SECONDS + 1), tick=False):
        client = cast.client(cast.supplier_owner)  # a fresh access token at that moment
        response = _download(client, url)

    assert (response.status_code, response.json()["code"]) == (410, "download_link_expired")
    assert not DocumentAccess.objects.filter(kind="downloaded").exists()


def test_revoking_a_share_ends_the_recipients_access_and_links(cast):
    document_id = licence_copy(cast).json()["id"]
    share(cast)
    buyer = cast.client(cast.buyer_quality)
    url = buyer.post(f"/api/v1/documents/{document_id}/link/").json()["url"]
    share_id = DocumentShare.objects.get().pk

    revoked = cast.client(cast.supplier_owner).post(f"/api/v1/document-shares/{share_id}/revoke/", {}, format="json")

    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")
    assert _download(buyer, url).status_code == 404
    assert buyer.get(f"/api/v1/documents/{document_id}/").status_code == 404
    assert OutboxEvent.objects.filter(event_type="documents.share_revoked", organization_id=cast.buyer.pk).exists()


def test_a_recipient_sees_current_versions_and_the_ones_they_replaced_never_rejected_ones(cast, admin_user):
    first = licence_copy(cast).json()["id"]
    second = licence_copy(cast, content=pdf_bytes("v2"), replaces=first).json()["id"]
    rejected = licence_copy(cast, content=pdf_bytes("bad"), title="营业执照").json()["id"]
    cast.client(admin_user).post(f"/api/v1/documents/{rejected}/reject/", {"note": "blurred"}, format="json")
    share(cast)

    listed = cast.client(cast.buyer_quality).get("/api/v1/documents/").json()["results"]

    assert [(d["id"], d["current"]) for d in listed] == [(second, True), (first, False)]


def test_sharing_with_oneself_or_nobody_is_refused(cast):
    client = cast.client(cast.supplier_owner)

    itself = client.post("/api/v1/document-shares/send/", {"recipient_id": cast.supplier.pk}, format="json")
    nobody = client.post("/api/v1/document-shares/send/", {"recipient_id": 999999}, format="json")

    assert (itself.status_code, itself.json()["errors"][0]["code"]) == (400, "own_organization")
    assert nobody.status_code == 404
