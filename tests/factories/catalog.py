from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from catalog.choices import DosageForm, DrugCategory, DrugStatus, DrugType, OfferStatus
from catalog.models import CeilingPrice, Drug, Offer
from catalog.validators import gs1_check_digit
from tests.factories.accounts import OrganizationFactory


def approval_number(n: int) -> str:
    return f"国药准字H{20200000 + n:08d}"


def national_drug_code(n: int) -> str:
    body = f"8690{n:09d}"
    return body + str(gs1_check_digit(body))


class DrugFactory(factory.django.DjangoModelFactory):
    """An active chemical prescription drug with a valid approval number."""

    class Meta:
        model = Drug

    approval_number = factory.Sequence(approval_number)
    generic_name = factory.Sequence(lambda n: f"测试药品{n}片")
    dosage_form = DosageForm.TABLET
    specification = "0.25g"
    package = "24片/盒"
    sale_unit = "盒"
    min_unit = "片"
    units_per_pack = 24
    manufacturer_name = "海南测试制药有限公司"
    mah_name = "海南测试制药有限公司"
    drug_type = DrugType.CHEMICAL
    category = DrugCategory.RX
    status = DrugStatus.ACTIVE
    # A ceiling price in force from the date given: its first CeilingPrice period.
    ceiling_price = None
    ceiling_effective_from = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        price, effective_from = kwargs.pop("ceiling_price"), kwargs.pop("ceiling_effective_from")
        drug = super()._create(model_class, *args, **kwargs)
        if price is not None:
            CeilingPriceFactory(drug=drug, price=price, effective_from=effective_from)
        return drug


class CeilingPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CeilingPrice

    drug = factory.SubFactory(DrugFactory)
    price = Decimal("10.00")
    effective_from = factory.LazyFunction(lambda: date(2026, 1, 1))
    set_by = "admin@platform.test"


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    supplier = factory.SubFactory(OrganizationFactory)
    drug = factory.SubFactory(DrugFactory)
    unit_price = Decimal("12.50")
    vat_rate = Decimal("0.13")
    stock = 100
    status = OfferStatus.ACTIVE
