"""Demo first-business data: quality members for the demo supplier and hospital, the supplier's licence copy and
quality agreement, shared with the hospital, which has yet to approve (so `make run` shows the whole flow).
Idempotent: a rerun adds nothing twice."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone

from accounts.actor import actor_for_user
from accounts.choices import MemberRole
from accounts.demo import DEMO_PASSWORD, _user
from accounts.models import License, Membership, Organization
from firstbusiness import services
from firstbusiness.choices import DocumentType
from firstbusiness.models import Document, DocumentShare

QUALITY = {"supplier": "海南康泰医药有限公司", "hospital": "海口市人民医院"}


def _pdf(text: str) -> io.BytesIO:
    return io.BytesIO(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n% " + text.encode() + b"\n%%EOF\n")


def load() -> list[dict]:
    logins, actors = [], {}
    for key, legal_name in QUALITY.items():
        organization = Organization.objects.filter(legal_name=legal_name).first()
        if organization is None:
            return []
        email = f"{key}.quality@pharmex.example"
        user = _user(email, f"{legal_name} 质量负责人")
        Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": MemberRole.QUALITY})
        actors[key] = actor_for_user(user, organization.pk)
        logins.append({"role": f"{key} quality", "email": email, "password": DEMO_PASSWORD, "organization": legal_name})
    supplier = actors["supplier"]
    if not Document.objects.filter(organization_id=supplier.organization_id).exists():
        license = License.objects.filter(organization_id=supplier.organization_id).first()
        documents = [
            ({"type": DocumentType.LICENSE_COPY, "title": "药品经营许可证", "license_id": license.pk}, "licence"),
            (
                {
                    "type": DocumentType.QUALITY_AGREEMENT,
                    "title": "质量保证协议",
                    "valid_until": timezone.localdate() + timedelta(days=365),
                },
                "quality agreement",
            ),
        ]
        for data, text in documents:
            stored = services.document_file_accept(actor=supplier, file=_pdf(text), original_name=f"{text}.pdf")
            services.document_submit(actor=supplier, data=data, stored=stored)
    if not DocumentShare.objects.filter(provider_id=supplier.organization_id).exists():
        services.share_send(actor=supplier, recipient_id=actors["hospital"].organization_id)
    return logins
