"""The admin site lists documents awaiting verification with their preview, and verifies through the service."""

from __future__ import annotations

import pytest

from accounts.models import User
from firstbusiness.models import Document
from pharmex.models import AuditEvent
from tests.firstbusiness.conftest import licence_copy, pdf_bytes, png_bytes


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root@platform.test", "a-long-passphrase")


def test_documents_awaiting_verification_show_their_preview(client, superuser, cast):
    pdf = Document.objects.get(pk=licence_copy(cast, content=pdf_bytes("scan")).json()["id"])
    uploaded = licence_copy(cast, content=png_bytes(), name="a.png", title="营业执照")
    image = Document.objects.get(pk=uploaded.json()["id"])
    client.force_login(superuser)

    listing = client.get("/admin/firstbusiness/document/", {"awaiting": "yes"})
    page = client.get(f"/admin/firstbusiness/document/{image.pk}/change/")
    file = client.get(f"/admin/firstbusiness/document/{pdf.pk}/file/")

    assert listing.status_code == page.status_code == file.status_code == 200
    assert "药品经营许可证" in listing.content.decode() and "营业执照" in listing.content.decode()
    assert f'<img src="/admin/firstbusiness/document/{image.pk}/file/"' in page.content.decode()
    assert b"".join(file.streaming_content) == pdf_bytes("scan")


def test_the_file_view_is_for_platform_staff_only(client, cast):
    document_id = licence_copy(cast).json()["id"]
    client.force_login(cast.supplier_owner)

    response = client.get(f"/admin/firstbusiness/document/{document_id}/file/")

    assert response.status_code == 302  # to the admin sign-in: members are not staff
    assert "/admin/login/" in response["Location"]


def test_verifying_in_the_admin_site_goes_through_the_audited_service(client, superuser, cast):
    document_id = licence_copy(cast).json()["id"]
    client.force_login(superuser)

    client.post(
        "/admin/firstbusiness/document/",
        {"action": "verify_documents", "_selected_action": [document_id]},
    )

    assert Document.objects.get(pk=document_id).status == "verified"
    assert AuditEvent.objects.filter(action="document.verify", object_id=str(document_id)).exists()
