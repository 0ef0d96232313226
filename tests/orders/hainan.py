"""Hainan Free Trade Port test data (SPEC §4a): institutions, beneficiaries, special-licensed drugs, approvals."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from accounts.choices import OrganizationKind
from catalog.choices import CustomsStatus
from catalog.models import LechengApproval
from tests.factories import DrugFactory, OfferFactory, OrganizationFactory

_numbers = itertools.count(1)


def lecheng_institution(**fields):
    """A designated, admin-verified Boao Lecheng pilot-zone hospital (琼海)."""
    defaults = {
        "kind": OrganizationKind.HOSPITAL,
        "city_county": "琼海市",
        "lecheng_designation_number": f"琼卫医政〔2025〕{next(_numbers)}号",
        "lecheng_designation_valid_until": timezone.localdate() + timedelta(days=365),
        "lecheng_verified_at": timezone.now(),
        "lecheng_verified_by": "admin@pharmex.test",
    }
    return OrganizationFactory(**{**defaults, **fields})


def beneficiary(**fields):
    """An admin-verified zero-tariff beneficiary (享惠主体) on the island."""
    defaults = {
        "kind": OrganizationKind.PHARMACY,
        "city_county": "海口市",
        "zero_tariff_registration": f"HN-ZT-{next(_numbers):06d}",
        "zero_tariff_verified_at": timezone.now(),
        "zero_tariff_verified_by": "admin@pharmex.test",
    }
    return OrganizationFactory(**{**defaults, **fields})


def special_drug(**fields):
    """A special-licensed import (特许药品): no Chinese approval number, its foreign authorisation instead."""
    defaults = {
        "approval_number": "",
        "special_licensed": True,
        "foreign_ma_country": "US",
        "foreign_ma_holder": "Example Therapeutics Inc.",
        "foreign_product_name": f"Examplimab {next(_numbers)}",
    }
    return DrugFactory(**{**defaults, **fields})


def special_offer(supplier, **fields):
    return OfferFactory(
        supplier=supplier,
        drug=fields.pop("drug", None) or special_drug(),
        customs_status=CustomsStatus.LECHENG_SPECIAL,
        **fields,
    )


def approval(institution, drug, *, quantity: int = 10, days: int = 180, **fields) -> LechengApproval:
    today = timezone.localdate()
    return LechengApproval.objects.create(
        number=f"琼药特许〔2026〕{next(_numbers)}号",
        institution=institution,
        drug=drug,
        quantity=quantity,
        valid_from=fields.pop("valid_from", today - timedelta(days=1)),
        valid_until=fields.pop("valid_until", today + timedelta(days=days)),
        **fields,
    )
