"""Demo data for the API guide's public-procurement chapter (api_docs/guide/procurement.md, SPEC §5a).

The chapter creates every procurement row itself, through the API, so the reader sees how. The one thing the API
cannot make is a drug whose marketing authorisation holder (MAH) is an organisation on the platform: platform staff
link it in the admin site. Here the demo manufacturer 海南普利制药 is made the MAH of two drugs of the demo catalogue
that it and the demo distributor both offer (a fictional attribution, for the demo only).

Only existing drugs are updated, and one row is added: the medical insurance fund 海南省医疗保障基金, which the
chapter names as the settlement fund of a 集采 result (医保基金直接结算). Funds are made by platform staff in the admin
site only (there is no API to create one), and no other page uses a fund, so no other page's ids move. Idempotent:
a rerun changes nothing.
"""

from __future__ import annotations

from accounts.models import InsuranceFund, Organization
from catalog.models import Drug

MANUFACTURER_EMAIL = "manufacturer.owner@pharmex.example"
# (approval number, specification) of 瑞舒伐他汀钙片 and 格列美脲片 in catalog/fixtures/demo_drugs.csv
HELD_BY_MANUFACTURER = [("H20160547", "见说明书"), ("H20160483", "见说明书")]
DEMO_FUND = {"name": "海南省医疗保障基金", "province_code": "460000", "settlement_days": 30}


def load() -> list[dict]:
    manufacturer = Organization.objects.filter(memberships__user__email=MANUFACTURER_EMAIL).first()
    if manufacturer is None:
        return []
    for approval_number, specification in HELD_BY_MANUFACTURER:
        drug = Drug.objects.filter(approval_number=approval_number, specification=specification).order_by("pk").first()
        if drug is not None and drug.mah_organization_id is None:
            drug.mah_organization, drug.mah_name = manufacturer, manufacturer.legal_name
            drug.save(update_fields=["mah_organization", "mah_name"])
    InsuranceFund.objects.get_or_create(name=DEMO_FUND["name"], defaults=DEMO_FUND)
    return []
