"""The procurement demo data the API guide's chapter relies on (api_docs/guide/procurement.md)."""

import pytest

from accounts import demo as accounts_demo
from accounts.models import InsuranceFund
from catalog import demo as catalog_demo
from catalog.models import Drug
from procurement import demo
from procurement.models import ContractPrice, DeliveryDesignation, ProcurementContract, QuoteRequest

pytestmark = pytest.mark.django_db


def test_the_demo_manufacturer_holds_two_demo_drugs_and_a_rerun_changes_nothing():
    # given: the demo organisations and catalogue
    accounts_demo.load()
    catalog_demo.load()
    drugs_before = Drug.objects.count()
    # when: the procurement demo data loads twice
    demo.load()
    demo.load()
    # then: the manufacturer is the MAH (on the platform and by name) of exactly the two drugs, and no row was added
    held = Drug.objects.filter(mah_organization__legal_name="海南普利制药有限公司").order_by("approval_number")
    assert [(d.generic_name, d.mah_name) for d in held] == [
        ("格列美脲片", "海南普利制药有限公司"),
        ("瑞舒伐他汀钙片", "海南普利制药有限公司"),
    ]
    assert Drug.objects.count() == drugs_before
    for model in (DeliveryDesignation, ContractPrice, ProcurementContract, QuoteRequest):
        assert not model.objects.exists()  # the chapter creates these through the API


def test_the_demo_has_one_active_medical_insurance_fund_and_a_rerun_adds_none():
    # given: the demo organisations and catalogue
    accounts_demo.load()
    catalog_demo.load()
    # when: the procurement demo data loads twice
    demo.load()
    demo.load()
    # then: one fund, the one the chapter names as a 集采 contract's settlement fund (there is no API to create it)
    funds = list(InsuranceFund.objects.values_list("name", "province_code", "settlement_days", "active"))
    assert funds == [("海南省医疗保障基金", "460000", 30, True)]


def test_without_the_demo_organisations_it_changes_no_drug():
    assert demo.load() == []
    assert not Drug.objects.filter(mah_organization__isnull=False).exists()
