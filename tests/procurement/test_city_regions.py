"""City- and county-level regions of delivery designations (SPEC §5a): "all public institutions of a city"."""

import pytest

from accounts.choices import OrganizationKind
from pharmex.divisions import division_codes_of
from procurement.models import DeliveryDesignation
from tests.factories import OrganizationFactory
from tests.procurement.test_delivery_enterprises import accept, codes, designate

pytestmark = pytest.mark.django_db


def hospital(city_county: str, province_code: str = "460000"):
    return OrganizationFactory(
        kind=OrganizationKind.HOSPITAL, ownership="public", province_code=province_code, city_county=city_county
    )


def test_a_city_designation_covers_a_haikou_hospital_and_not_a_sanya_one(public):
    haikou, district, sanya = hospital("海口市"), hospital("海口市龙华区"), hospital("三亚市")
    accept(public, designate(public, regions=["460100"])["id"])

    assert codes(haikou, (public.offer, 1)) == []
    assert codes(district, (public.offer, 1)) == []  # a district lies in its city
    assert codes(sanya, (public.offer, 1)) == ["delivery_enterprise_not_designated"]


def test_a_county_designation_covers_the_institutions_recorded_by_code_too(public):
    lingshui_by_name, lingshui_by_code, qionghai = hospital("陵水黎族自治县"), hospital("469028"), hospital("琼海市")
    accept(public, designate(public, regions=["469028"])["id"])

    assert codes(lingshui_by_name, (public.offer, 1)) == []
    assert codes(lingshui_by_code, (public.offer, 1)) == []
    assert codes(qionghai, (public.offer, 1)) == ["delivery_enterprise_not_designated"]


def test_a_city_code_binds_only_its_own_province(public):
    elsewhere = hospital("海口市", province_code="440000")  # a name that happens to match, in another province
    accept(public, designate(public, regions=["460100"])["id"])
    assert codes(elsewhere, (public.offer, 1)) == ["delivery_enterprise_not_designated"]


def test_province_and_city_codes_mix_in_one_designation(public):
    guangdong, sanya = hospital("", province_code="440000"), hospital("三亚市")
    accept(public, designate(public, regions=["440000", "460200"])["id"])
    assert codes(guangdong, (public.offer, 1)) == []
    assert codes(sanya, (public.offer, 1)) == []
    assert codes(hospital("海口市"), (public.offer, 1)) == ["delivery_enterprise_not_designated"]


@pytest.mark.parametrize("code", ["460199", "469099", "999999", "4601"])
def test_an_unknown_region_code_is_refused(public, code):
    body = {"drug_id": public.drug.pk, "distributor_id": public.distributor.pk, "valid_from": "2026-12-05",
            "region_codes": [code]}  # fmt: skip
    response = public.client(public.mah).post("/api/v1/delivery-designations/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].startswith("region_codes")
    assert not DeliveryDesignation.objects.exists()


def test_the_division_codes_of_an_organisation():
    assert division_codes_of("460000", "海口市美兰区") == ["460000", "460100"]
    assert division_codes_of("460000", "") == ["460000"]
    assert division_codes_of("440000", "广州市") == ["440000"]
