"""Delivery enterprises (配送企业, SPEC §5a): designation, acceptance, revocation, and the gate's rule."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from accounts.choices import OrganizationKind
from orders.compliance import LineRequest, compliance_check, gate_facts
from pharmex.models import AuditEvent
from procurement.models import DeliveryDesignation
from tests.factories import DrugFactory, OfferFactory, OrganizationFactory
from tests.orders.conftest import place
from tests.procurement.conftest import TODAY, days

pytestmark = pytest.mark.django_db


def codes(buyer, *lines) -> list[str]:
    requests = [LineRequest(offer_id=offer.pk, quantity=quantity) for offer, quantity in lines]
    result = compliance_check(buyer=buyer, lines=requests, facts=gate_facts(buyer=buyer, lines=requests, on=TODAY()))
    return [r.code for r in result.order_reasons] + [r.code for v in result.lines for r in v.reasons]


def designate(public, *, buyers=None, regions=None, valid_from=None, valid_until=None):
    body = {
        "drug_id": public.drug.pk,
        "distributor_id": public.distributor.pk,
        "valid_from": str(valid_from or TODAY()),
    }
    if buyers is not None:
        body["buyer_ids"] = [b.pk for b in buyers]
    if regions is not None:
        body["region_codes"] = regions
    if valid_until is not None:
        body["valid_until"] = str(valid_until)
    response = public.client(public.mah).post("/api/v1/delivery-designations/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def accept(public, designation_id):
    response = public.client(public.distributor).post(f"/api/v1/delivery-designations/{designation_id}/accept/", {})
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_public_hospital_buys_from_the_mah_but_not_from_an_undesignated_distributor(public):
    assert codes(public.hospital, (public.mah_offer, 1)) == []
    assert codes(public.hospital, (public.offer, 1)) == ["delivery_enterprise_not_designated"]


def test_the_rule_binds_public_institutions_only(public):
    private = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="private")
    pharmacy = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    assert codes(private, (public.offer, 1)) == []
    assert codes(pharmacy, (public.offer, 1)) == []


def test_a_drug_whose_mah_is_not_on_the_platform_has_no_designations_to_require(public):
    offer = OfferFactory(supplier=public.distributor, drug=DrugFactory())
    assert codes(public.hospital, (offer, 1)) == []


def test_a_designation_counts_once_accepted_for_the_named_buyer_only(public):
    designation = designate(public, buyers=[public.hospital])
    assert designation["status"] == "proposed"
    assert codes(public.hospital, (public.offer, 1)) == ["delivery_enterprise_not_designated"]

    assert accept(public, designation["id"])["status"] == "accepted"

    assert codes(public.hospital, (public.offer, 1)) == []
    another = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public", province_code="440000")
    assert codes(another, (public.offer, 1)) == ["delivery_enterprise_not_designated"]
    assert codes(public.hospital, (public.other_offer, 1)) == ["delivery_enterprise_not_designated"]


def test_a_regional_designation_covers_every_institution_of_the_region(public):
    accept(public, designate(public, regions=["460000"])["id"])
    elsewhere = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public", province_code="440000")
    assert codes(public.hospital, (public.offer, 1)) == []
    assert codes(elsewhere, (public.offer, 1)) == ["delivery_enterprise_not_designated"]


def test_the_designation_counts_in_its_period_only(public):
    accept(public, designate(public, buyers=[public.hospital], valid_from=days(10), valid_until=days(20))["id"])
    assert codes(public.hospital, (public.offer, 1)) == ["delivery_enterprise_not_designated"]
    with time_machine.travel(days(10), tick=False):
        assert codes(public.hospital, (public.offer, 1)) == []
    with time_machine.travel(days(21), tick=False):
        assert codes(public.hospital, (public.offer, 1)) == ["delivery_enterprise_not_designated"]


def test_revocation_ends_the_designation_on_its_end_date_and_both_parties_see_it(public):
    designation = designate(public, buyers=[public.hospital])
    accept(public, designation["id"])
    response = public.client(public.mah).post(
        f"/api/v1/delivery-designations/{designation['id']}/revoke/", {"ends_on": str(days(5))}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["valid_until"]) == ("revoked", str(days(5)))

    assert codes(public.hospital, (public.offer, 1)) == []  # until its end date
    with time_machine.travel(days(6), tick=False):
        assert codes(public.hospital, (public.offer, 1)) == ["delivery_enterprise_not_designated"]

    for party in (public.mah, public.distributor):
        listed = public.client(party).get("/api/v1/delivery-designations/").json()["results"]
        assert [d["id"] for d in listed] == [designation["id"]]
    assert public.client(public.other).get("/api/v1/delivery-designations/").json()["results"] == []
    history = public.client(public.distributor).get(f"/api/v1/delivery-designations/{designation['id']}/history/")
    assert [h["action"] for h in history.json()["results"]] == ["revoke", "accept"]
    assert set(AuditEvent.objects.filter(object_type="delivery_designation").values_list("action", flat=True)) == {
        "delivery_designation.created",
        "delivery_designation.accept",
        "delivery_designation.revoke",
    }


def test_only_the_mah_designates_and_only_the_distributor_accepts(public):
    response = public.client(public.other).post(
        "/api/v1/delivery-designations/",
        {"drug_id": public.drug.pk, "distributor_id": public.distributor.pk, "valid_from": str(TODAY()),
         "buyer_ids": [public.hospital.pk]},
        format="json",
    )  # fmt: skip
    assert (response.status_code, response.json()["errors"][0]["code"]) == (400, "not_the_mah")
    designation = designate(public, buyers=[public.hospital])
    response = public.client(public.mah).post(f"/api/v1/delivery-designations/{designation['id']}/accept/", {})
    assert response.status_code == 403
    response = public.client(public.other).post(f"/api/v1/delivery-designations/{designation['id']}/accept/", {})
    assert response.status_code == 404  # not a party: not visible


def test_a_designation_names_buyers_or_regions(public):
    response = public.client(public.mah).post(
        "/api/v1/delivery-designations/",
        {"drug_id": public.drug.pk, "distributor_id": public.distributor.pk, "valid_from": str(TODAY())},
        format="json",
    )
    assert (response.status_code, response.json()["errors"][0]["code"]) == (400, "required")


def test_the_reason_is_collected_with_the_gate_s_other_reasons(public):
    drug = DrugFactory(
        mah_organization=public.mah, ceiling_price=Decimal("11.00"), ceiling_effective_from=TODAY() - timedelta(days=1)
    )
    offer = OfferFactory(supplier=public.distributor, drug=drug, unit_price=Decimal("12.00"))
    response = place(public.client(public.hospital), (offer.pk, 7))
    assert response.status_code == 409, response.json()
    assert sorted(e["code"] for e in response.json()["errors"]) == [
        "above_ceiling_price",
        "delivery_enterprise_not_designated",
    ]


def test_a_designated_distributor_places_the_order(public):
    accept(public, designate(public, buyers=[public.hospital])["id"])
    response = place(public.client(public.hospital), (public.offer.pk, 2))
    assert response.status_code == 201, response.json()
    assert DeliveryDesignation.objects.count() == 1


def test_an_institution_sees_the_delivery_enterprises_that_cover_it_once_accepted(public):
    named = designate(public, buyers=[public.hospital])
    regional = designate(public, regions=["460000"])
    elsewhere = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public", province_code="440000")
    pharmacy = OrganizationFactory(kind=OrganizationKind.PHARMACY)

    def listed(organization) -> set[int]:
        response = public.client(organization).get("/api/v1/delivery-designations/")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    # proposed: between the MAH and the distributor only
    assert listed(public.hospital) == set()
    accept(public, named["id"])
    accept(public, regional["id"])
    assert listed(public.hospital) == {named["id"], regional["id"]}
    assert listed(elsewhere) == set()
    assert listed(pharmacy) == set()  # private buyers are not bound by designations and do not read them
    # it reads them but cannot answer for the distributor
    response = public.client(public.hospital).post(f"/api/v1/delivery-designations/{named['id']}/decline/", {})
    assert response.status_code in (403, 409), response.json()
