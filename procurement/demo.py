"""Demo data for the API guide's public-procurement chapter (api_docs/guide/procurement.md, SPEC §5a).

The chapter creates every procurement row itself, through the API, so the reader sees how. It needs two things
the API cannot make:

- a drug whose marketing authorisation holder (MAH) is an organisation on the platform — platform staff link it
  in the admin site. The demo manufacturer 海南普利制药 is made the MAH of two drugs of the demo catalogue that it
  and the demo distributor both offer (a fictional attribution, for the demo only);
- the distributor's first-business documents of the drugs the demo hospital buys from it (a registration
  certificate and a quality standard each — multipart uploads), shared with the hospital by firstbusiness.demo.

Only existing drugs are updated and only documents added (after every other app's demo data, so no other id
moves). Idempotent: a rerun changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.actor import actor_for_user
from accounts.models import Organization, User
from catalog.models import Drug
from firstbusiness import services as firstbusiness
from firstbusiness.choices import DocumentType
from firstbusiness.demo import _pdf
from firstbusiness.models import Document

MANUFACTURER_EMAIL = "manufacturer.owner@pharmex.example"
SUPPLIER_QUALITY_EMAIL = "supplier.quality@pharmex.example"
# (approval number, specification) of the drugs the chapter uses
HELD_BY_MANUFACTURER = [("H20160547", "见说明书"), ("H20160483", "见说明书")]  # 瑞舒伐他汀钙片, 格列美脲片
BOUGHT_FROM_DISTRIBUTOR = [("H20160547", "见说明书"), ("H20130606", "见说明书")]  # 瑞舒伐他汀钙片, 尼莫地平片


def _drug(approval_number: str, specification: str) -> Drug | None:
    return Drug.objects.filter(approval_number=approval_number, specification=specification).order_by("pk").first()


def load() -> list[dict]:
    manufacturer = Organization.objects.filter(memberships__user__email=MANUFACTURER_EMAIL).first()
    quality = User.objects.filter(email=SUPPLIER_QUALITY_EMAIL).first()
    if manufacturer is None or quality is None:
        return []
    for key in HELD_BY_MANUFACTURER:
        drug = _drug(*key)
        if drug is not None and drug.mah_organization_id is None:
            drug.mah_organization, drug.mah_name = manufacturer, manufacturer.legal_name
            drug.save(update_fields=["mah_organization", "mah_name"])
    supplier = actor_for_user(quality, quality.memberships.get().organization_id)
    for key in BOUGHT_FROM_DISTRIBUTOR:
        drug = _drug(*key)
        if drug is None or Document.objects.filter(organization_id=supplier.organization_id, drug=drug).exists():
            continue
        documents = [
            (
                {
                    "type": DocumentType.DRUG_REGISTRATION,
                    "title": "药品注册证书",
                    "drug_id": drug.pk,
                    "valid_until": timezone.localdate() + timedelta(days=5 * 365),
                },
                "registration",
            ),
            ({"type": DocumentType.QUALITY_STANDARD, "title": "质量标准", "drug_id": drug.pk}, "quality standard"),
        ]
        for data, text in documents:
            stored = firstbusiness.document_file_accept(
                actor=supplier, file=_pdf(f"{text} {drug.pk}"), original_name=f"{text}-{drug.pk}.pdf"
            )
            firstbusiness.document_submit(actor=supplier, data=data, stored=stored)
    return []
