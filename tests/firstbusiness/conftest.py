"""A supplier, a buyer that requires first-business review, a third organisation, and files to upload."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import LicenseType, MemberRole, OrganizationKind
from accounts.models import License, Organization, User
from catalog.models import Drug, Offer
from tests.conftest import client_for
from tests.factories import DrugFactory, MembershipFactory, OfferFactory, OrganizationFactory


def pdf_bytes(text: str = "licence scan", *, extra: bytes = b"") -> bytes:
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + extra + f"% {text}\n".encode() + b"%%EOF\n"


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"


def upload(client, *, content: bytes | None = None, name: str = "scan.pdf", mime: str = "application/pdf", **fields):
    """POST /documents/ as a multipart form (lists repeat their field)."""
    body = {"file": SimpleUploadedFile(name, pdf_bytes() if content is None else content, content_type=mime)}
    body.update({key: value for key, value in fields.items() if value is not None})
    return client.post("/api/v1/documents/", body, format="multipart")


@dataclass
class Cast:
    supplier: Organization
    buyer: Organization
    third: Organization
    supplier_owner: User
    supplier_quality: User
    buyer_quality: User
    buyer_operator: User
    third_owner: User
    license: License
    drug: Drug
    offer: Offer

    def client(self, user: User):
        return client_for(user)


@pytest.fixture(autouse=True)
def _document_store(settings, tmp_path):
    """Each test stores its files in a folder of its own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }


@pytest.fixture
def cast(db) -> Cast:
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="海南康泰医药有限公司")
    # The buyer keeps its kind's default: hospitals require first-business review.
    buyer = OrganizationFactory(kind=OrganizationKind.HOSPITAL, legal_name="海口市人民医院", first_business_review=None)
    third = OrganizationFactory(kind=OrganizationKind.PHARMACY, legal_name="三亚第三方大药房")
    license = License.objects.get(organization=supplier, type=LicenseType.DRUG_WHOLESALE)
    drug = DrugFactory(generic_name="阿莫西林胶囊")
    return Cast(
        supplier=supplier,
        buyer=buyer,
        third=third,
        supplier_owner=MembershipFactory(organization=supplier, role=MemberRole.OWNER).user,
        supplier_quality=MembershipFactory(organization=supplier, role=MemberRole.QUALITY).user,
        buyer_quality=MembershipFactory(organization=buyer, role=MemberRole.QUALITY).user,
        buyer_operator=MembershipFactory(organization=buyer, role=MemberRole.OPERATOR).user,
        third_owner=MembershipFactory(organization=third, role=MemberRole.OWNER).user,
        license=license,
        drug=drug,
        offer=OfferFactory(supplier=supplier, drug=drug, unit_price=Decimal("12.50"), stock=100),
    )


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def licence_copy(cast: Cast, **fields):
    fields.setdefault("title", "药品经营许可证")
    return upload(cast.client(cast.supplier_quality), type="license_copy", license_id=cast.license.pk, **fields)


def registration(cast: Cast, *, valid_until: date | None = None, **fields):
    fields.setdefault("title", "药品注册证书")
    fields.setdefault("drug_id", cast.drug.pk)
    return upload(
        cast.client(cast.supplier_quality),
        type="drug_registration",
        valid_until=(valid_until or in_days(400)).isoformat(),
        **fields,
    )


def share(cast: Cast) -> None:
    response = cast.client(cast.supplier_owner).post(
        "/api/v1/document-shares/send/", {"recipient_id": cast.buyer.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
