"""Demo organisations and users for `make run` (fictional companies; valid-format identifiers)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from accounts.choices import LicenseStatus, LicenseType, MemberRole, OrganizationKind, OrganizationStatus
from accounts.models import License, Membership, Organization, User
from accounts.validators import uscc_check_character
from pharmex.choices import StaffRole

DEMO_PASSWORD = "pharmex-demo-2026"  # noqa: S105  (printed by `make run` on purpose)


def demo_uscc(body17: str) -> str:
    return body17 + uscc_check_character(body17)


# The demo distributor and pharmacy have switched the first-business requirement off (the owner may, PATCH
# /organizations/{id}/), so the guide's order examples buy straight away; the hospital keeps its kind's default
# (on) and shows the review in the first-business chapter.
FIRST_BUSINESS_REVIEW_OFF = {"supplier", "pharmacy"}

ORGANIZATIONS = [
    # (key, legal name, uscc body, kind, ownership, province, licence type, scope tags)
    (
        "supplier",
        "海南康泰医药有限公司",
        "91460000MA5T00001",
        OrganizationKind.DISTRIBUTOR,
        "",
        "460000",
        LicenseType.DRUG_WHOLESALE,
        ["chemical", "tcm", "biologics", "cold_chain", "rx", "otc"],
    ),
    (
        "manufacturer",
        "海南普利制药有限公司",
        "91460000MA5T00002",
        OrganizationKind.MANUFACTURER,
        "",
        "460000",
        LicenseType.DRUG_MANUFACTURING,
        ["chemical", "rx", "otc"],
    ),
    (
        "hospital",
        "海口市人民医院",
        "12460100MB1234567",
        OrganizationKind.HOSPITAL,
        "public",
        "460000",
        LicenseType.MEDICAL_INSTITUTION,
        ["chemical", "tcm", "biologics", "cold_chain", "rx", "otc"],
    ),
    (
        "pharmacy",
        "海口市龙华区康宁大药房有限公司",
        "92460106MA5T00003",
        OrganizationKind.PHARMACY,
        "",
        "460000",
        LicenseType.DRUG_RETAIL,
        ["chemical", "tcm", "otc", "rx"],
    ),
    (
        "lecheng",
        "博鳌乐城国际医院（演示）",
        "12469002MB1234568",
        OrganizationKind.HOSPITAL,
        "private",
        "460000",
        LicenseType.MEDICAL_INSTITUTION,
        ["chemical", "biologics", "cold_chain", "rx", "otc"],
    ),
]
# Hainan Free Trade Port standing (SPEC §4a), as an admin verified it: the pharmacy is a zero-tariff beneficiary
# (享惠主体), the Lecheng hospital a designated pilot-zone institution.
HAINAN = {
    "supplier": {"city_county": "海口市"},
    "manufacturer": {"city_county": "海口市"},
    "hospital": {"city_county": "海口市"},
    "pharmacy": {"city_county": "海口市", "zero_tariff_registration": "HN-ZT-2026-000101"},
    "lecheng": {"city_county": "琼海市", "lecheng_designation_number": "琼卫医政〔2025〕18号"},
}


def load() -> list[dict]:
    logins = [
        _staff("admin@pharmex.example", "平台管理员", StaffRole.ADMIN, superuser=True),
        _staff("finance@pharmex.example", "平台财务", StaffRole.FINANCE_ADMIN),
    ]
    for key, name, body, kind, ownership, province, license_type, scope in ORGANIZATIONS:
        organization, _ = Organization.objects.get_or_create(
            uscc=demo_uscc(body),
            defaults={
                "legal_name": name,
                "kind": kind,
                "ownership": ownership,
                "province_code": province,
                "status": OrganizationStatus.VERIFIED,
                "last_verified_at": timezone.now(),
                "first_business_review": False if key in FIRST_BUSINESS_REVIEW_OFF else None,
            },
        )
        License.objects.get_or_create(
            organization=organization,
            type=license_type,
            number=f"琼{body[-6:]}",
            defaults={
                "scope_tags": scope,
                "valid_from": date(2024, 1, 1),
                "valid_until": timezone.localdate() + timedelta(days=3 * 365),
                "status": LicenseStatus.APPROVED,
                "reviewed_at": timezone.now(),
            },
        )
        _hainan(organization, **HAINAN[key])
        email = f"{key}.owner@pharmex.example"
        user = _user(email, f"{name} 负责人")
        Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": MemberRole.OWNER})
        logins.append(
            {"role": f"{key} owner", "email": email, "password": DEMO_PASSWORD, "organization": organization.legal_name}
        )
    return logins


def _hainan(organization: Organization, **fields) -> None:
    if organization.city_county:
        return  # set before: a rerun changes nothing
    for name, value in fields.items():
        setattr(organization, name, value)
    if fields.get("zero_tariff_registration"):
        organization.zero_tariff_verified_at, organization.zero_tariff_verified_by = (
            timezone.now(),
            "admin@pharmex.example",
        )
    if fields.get("lecheng_designation_number"):
        organization.lecheng_designation_valid_until = timezone.localdate() + timedelta(days=3 * 365)
        organization.lecheng_verified_at = timezone.now()
        organization.lecheng_verified_by = "admin@pharmex.example"
    organization.save()


def _user(email: str, full_name: str, **fields) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name, **fields)
    return user


def _staff(email: str, full_name: str, role: str, superuser: bool = False) -> dict:
    _user(email, full_name, staff_role=role, is_staff=True, is_superuser=superuser)
    return {"role": f"platform {role}", "email": email, "password": DEMO_PASSWORD}
