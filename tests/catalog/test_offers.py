from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import MemberRole, OrganizationKind
from catalog.choices import DrugType, OfferStatus, SpecialClass, Storage
from catalog.models import Offer, OfferPriceChange
from pharmex.models import AuditEvent
from tests.factories import (
    DrugFactory,
    LicenseFactory,
    MembershipFactory,
    OfferFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
PROBLEMS = "https://pharmex.example/problems/"


def _offer_body(drug, **overrides):
    return {"drug": drug.pk, "unit_price": "12.50", "stock": 100, **overrides}


def test_a_supplier_lists_a_drug_with_the_default_vat(as_client, seller, drug):
    organization, user = seller
    response = as_client(user).post("/api/v1/offers/", _offer_body(drug, provinces=["460000", "440000"]))
    assert response.status_code == 201, response.json()
    body = response.json()
    offer = Offer.objects.get()
    assert body["unit_price"] == "12.50"
    assert body["vat_rate"] == "0.13"
    assert body["currency"] == "CNY"
    assert body["provinces"] == ["440000", "460000"]
    assert body["above_ceiling"] is False
    assert response["ETag"]
    assert (offer.supplier_id, offer.drug_id, offer.unit_price) == (organization.pk, drug.pk, Decimal("12.50"))
    assert AuditEvent.objects.filter(action="offer.created", object_id=str(offer.pk)).count() == 1


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"drug_type": DrugType.VACCINE, "storage": Storage.COLD_CHAIN}, "vaccine"),
        ({"drug_type": DrugType.BLOOD_PRODUCT}, "blood_product"),
        ({"special_class": SpecialClass.NARCOTIC}, "narcotic"),
        ({"special_class": SpecialClass.PSYCHOTROPIC_I}, "psychotropic_i"),
        ({"special_class": SpecialClass.PSYCHOTROPIC_II}, "psychotropic_ii"),
        ({"special_class": SpecialClass.TOXIC}, "toxic"),
        ({"special_class": SpecialClass.RADIOACTIVE}, "radioactive"),
        ({"special_class": SpecialClass.PRECURSOR}, "precursor"),
    ],
)
def test_drugs_banned_from_network_sale_are_refused(as_client, seller, fields, reason):
    _, user = seller
    banned = DrugFactory(**fields)
    response = as_client(user).post("/api/v1/offers/", _offer_body(banned))
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == PROBLEMS + "network-sale-banned"
    assert body["code"] == "network_sale_banned"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("drug", reason)]
    assert Offer.objects.exists() is False


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        ({"drug_type": DrugType.BIOLOGIC}, ["biologics"]),
        ({"storage": Storage.COLD_CHAIN}, ["cold_chain"]),
        ({"drug_type": DrugType.BIOLOGIC, "storage": Storage.FROZEN}, ["biologics", "cold_chain"]),
    ],
)
def test_biologic_and_cold_chain_drugs_need_the_licence_scope(as_client, member_of, fields, missing):
    supplier = OrganizationFactory(trading=False)
    LicenseFactory(organization=supplier, scope_tags=["chemical", "rx"])
    response = as_client(member_of(supplier, MemberRole.OPERATOR)).post(
        "/api/v1/offers/", _offer_body(DrugFactory(**fields))
    )
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEMS + "license-scope-missing"
    assert [e["code"] for e in response.json()["errors"]] == missing
    assert Offer.objects.exists() is False


def test_scope_present_allows_cold_chain_biologics(as_client, seller):
    _, user = seller
    insulin = DrugFactory(drug_type=DrugType.BIOLOGIC, storage=Storage.COLD_CHAIN)
    assert as_client(user).post("/api/v1/offers/", _offer_body(insulin)).status_code == 201


def test_3_percent_vat_needs_an_election_for_the_drug_and_the_old_organisation_flag_does_nothing(as_client, seller):
    # The supplier-wide flag of before issue 13 is kept for v1 clients but elects nothing: 3% is elected per drug
    # (tests/catalog/test_vat_elections.py).
    organization, user = seller
    organization.simplified_vat = True
    organization.save()
    client = as_client(user)
    biologic = client.post("/api/v1/offers/", _offer_body(DrugFactory(drug_type=DrugType.BIOLOGIC)))
    refused = client.post(
        "/api/v1/offers/",
        _offer_body(DrugFactory(drug_type=DrugType.BIOLOGIC, simplified_vat_class="biologic"), vat_rate="0.03"),
    )
    assert biologic.json()["vat_rate"] == "0.13"
    assert refused.status_code == 400
    assert refused.json()["type"] == PROBLEMS + "vat-rate-not-allowed"


def test_a_supplier_that_may_not_trade_cannot_list(as_client, member_of, drug):
    supplier = OrganizationFactory(trading=False)  # verified, but no trading licence
    response = as_client(member_of(supplier)).post("/api/v1/offers/", _offer_body(drug))
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEMS + "supplier-may-not-trade"


def test_inactive_drugs_cannot_be_listed_and_duplicates_are_refused(as_client, seller, drug):
    organization, user = seller
    client = as_client(user)
    pending = DrugFactory(status="pending_review", proposed_by=organization)  # its own proposal, not yet approved
    assert client.post("/api/v1/offers/", _offer_body(pending)).json()["type"] == PROBLEMS + "drug-not-active"
    assert client.post("/api/v1/offers/", _offer_body(drug)).status_code == 201
    again = client.post("/api/v1/offers/", _offer_body(drug))
    assert (again.status_code, again.json()["type"]) == (409, PROBLEMS + "offer-exists")


def test_buyers_cannot_list_offers(as_client, buyer, member_of, drug):
    response = as_client(member_of(buyer)).post("/api/v1/offers/", _offer_body(drug))
    assert (response.status_code, response.json()["type"]) == (403, PROBLEMS + "not-a-supplier")


def test_offers_above_the_ceiling_are_allowed_and_marked(as_client, seller, pharmacy_user):
    organization, _ = seller
    capped = DrugFactory(ceiling_price=Decimal("10.00"), ceiling_effective_from=date(2026, 1, 1))
    OfferFactory(supplier=organization, drug=capped, unit_price=Decimal("10.01"))
    OfferFactory(drug=capped, unit_price=Decimal("10.00"))
    rows = as_client(pharmacy_user).get(f"/api/v1/drugs/{capped.pk}/offers/").json()["results"]
    assert [(r["unit_price"], r["above_ceiling"]) for r in rows] == [("10.00", False), ("10.01", True)]


def test_market_view_is_sorted_by_price_and_hides_paused_offers(as_client, pharmacy_user, drug):
    OfferFactory(drug=drug, unit_price=Decimal("13.00"))
    OfferFactory(drug=drug, unit_price=Decimal("11.00"))
    OfferFactory(drug=drug, unit_price=Decimal("9.00"), status=OfferStatus.PAUSED)
    OfferFactory(drug=drug, unit_price=Decimal("12.00"), provinces=["440000"])
    client = as_client(pharmacy_user)
    prices = [r["unit_price"] for r in client.get(f"/api/v1/drugs/{drug.pk}/offers/").json()["results"]]
    hainan = [r["unit_price"] for r in client.get(f"/api/v1/drugs/{drug.pk}/offers/?province=460000").json()["results"]]
    assert prices == ["11.00", "12.00", "13.00"]
    assert hainan == ["11.00", "13.00"]


def test_a_suspended_suppliers_offers_vanish_for_buyers(as_client, admin_user, pharmacy_user, seller, drug):
    organization, _ = seller
    offer = OfferFactory(supplier=organization, drug=drug)
    client = as_client(pharmacy_user)
    assert [r["id"] for r in client.get("/api/v1/offers/").json()["results"]] == [offer.pk]
    # when
    suspended = as_client(admin_user).post(f"/api/v1/organizations/{organization.pk}/suspend/", {"reason": "audit"})
    assert suspended.status_code == 200
    # then
    assert client.get("/api/v1/offers/").json()["results"] == []
    assert client.get(f"/api/v1/drugs/{drug.pk}/offers/").json()["results"] == []
    assert client.get(f"/api/v1/offers/{offer.pk}/").status_code == 404
    assert client.get("/api/v1/drugs/", {"has_offers": "true"}).json()["results"] == []


def test_an_expired_licence_hides_offers_too(as_client, pharmacy_user, drug):
    supplier = OrganizationFactory(trading=False)
    LicenseFactory(organization=supplier, valid_from=date(2020, 1, 1), valid_until=date(2021, 1, 1))
    OfferFactory(supplier=supplier, drug=drug)
    assert as_client(pharmacy_user).get("/api/v1/offers/").json()["results"] == []


def test_update_needs_a_fresh_etag_and_records_price_history(as_client, seller, drug):
    organization, user = seller
    offer = OfferFactory(supplier=organization, drug=drug, unit_price=Decimal("12.50"))
    client = as_client(user)
    etag = client.get(f"/api/v1/offers/{offer.pk}/")["ETag"]
    changed = client.patch(f"/api/v1/offers/{offer.pk}/", {"unit_price": "11.80"}, HTTP_IF_MATCH=etag)
    stale = client.patch(f"/api/v1/offers/{offer.pk}/", {"stock": 5}, HTTP_IF_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert (stale.status_code, stale.json()["type"]) == (412, PROBLEMS + "precondition-failed")
    history = client.get(f"/api/v1/offers/{offer.pk}/price-history/").json()["results"]
    assert [(h["old_price"], h["new_price"], h["changed_by"]) for h in history] == [("12.50", "11.80", user.email)]
    assert OfferPriceChange.objects.count() == 1


def test_other_organisations_cannot_change_an_offer(as_client, seller, member_of, drug):
    organization, _ = seller
    offer = OfferFactory(supplier=organization, drug=drug)
    rival = OrganizationFactory(kind=OrganizationKind.MANUFACTURER)
    response = as_client(member_of(rival)).patch(f"/api/v1/offers/{offer.pk}/", {"unit_price": "1.00"})
    assert response.status_code == 404
    offer.refresh_from_db()
    assert offer.unit_price == Decimal("12.50")


def test_float_prices_are_refused(as_client, seller, drug):
    _, user = seller
    response = as_client(user).post("/api/v1/offers/", _offer_body(drug, unit_price=12.5))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "unit_price"


def test_stock_reserve_never_oversells(drug):
    from catalog.services import stock_release, stock_reserve

    offer, other = OfferFactory(drug=drug, stock=10), OfferFactory(stock=5)
    assert stock_reserve(quantities={offer.pk: 10, other.pk: 2}) == set()
    assert stock_reserve(quantities={offer.pk: 1, other.pk: 3}) == {offer.pk}  # the caller rolls back
    stock_release(offer_id=offer.pk, quantity=3)
    offer.refresh_from_db()
    other.refresh_from_db()
    assert (offer.stock, other.stock) == (3, 0)


def test_offer_lists_make_a_constant_number_of_queries(as_client, pharmacy_user):
    for _ in range(12):
        OfferFactory()
    client = as_client(pharmacy_user)
    counts = []
    for page_size in (2, 12):
        with CaptureQueriesContext(connection) as captured:
            assert len(client.get("/api/v1/offers/", {"page_size": page_size}).json()["results"]) == page_size
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_drug_proposal_waits_for_admin_approval(as_client, seller, admin_user, pharmacy_user):
    _, user = seller
    body = {
        "approval_number": "国药准字 H20003263",
        "generic_name": "阿莫西林胶囊",
        "dosage_form": "capsule",
        "specification": "0.25g",
        "package": "24粒/盒",
        "sale_unit": "盒",
        "min_unit": "粒",
        "units_per_pack": 24,
        "manufacturer_name": "珠海联邦制药股份有限公司",
        "drug_type": "chemical",
        "category": "rx",
    }
    proposed = as_client(user).post("/api/v1/drugs/", body)
    assert proposed.status_code == 201, proposed.json()
    assert (proposed.json()["status"], proposed.json()["approval_number"]) == ("pending_review", "国药准字H20003263")
    assert proposed.json()["generic_initials"] == "amxljn"
    duplicate = as_client(user).post("/api/v1/drugs/", body)
    assert (duplicate.status_code, duplicate.json()["type"]) == (409, PROBLEMS + "drug-exists")
    drug_id = proposed.json()["id"]
    assert as_client(pharmacy_user).get(f"/api/v1/drugs/{drug_id}/").status_code == 404
    assert as_client(user).post(f"/api/v1/drugs/{drug_id}/approve/", {}).status_code == 403
    approved = as_client(admin_user).post(f"/api/v1/drugs/{drug_id}/approve/", {"note": "ok"})
    assert approved.json()["status"] == "active"
    assert as_client(pharmacy_user).get(f"/api/v1/drugs/{drug_id}/").status_code == 200
    bad = as_client(user).post("/api/v1/drugs/", {**body, "approval_number": "Q123", "gtin": "6901234567890"})
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["approval_number", "gtin"]


def test_price_history_is_for_the_offer_owner_and_staff_only(as_client, seller):
    # given: an offer whose price an operator changed (the history names them)
    organization, operator = seller
    offer = OfferFactory(supplier=organization, unit_price=Decimal("10.00"))
    owner = as_client(operator)
    etag = owner.get(f"/api/v1/offers/{offer.pk}/")["ETag"]
    changed = owner.patch(f"/api/v1/offers/{offer.pk}/", {"unit_price": "12.00"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200
    competitor = MembershipFactory(organization=OrganizationFactory(), role=MemberRole.OWNER).user
    buyer = MembershipFactory(organization=OrganizationFactory(kind=OrganizationKind.PHARMACY)).user
    staff = UserFactory(staff_role="admin", is_staff=True)

    # when / then: the market still shows the offer to everyone, its histories only to its owner and staff
    for user in (competitor, buyer):
        assert as_client(user).get(f"/api/v1/offers/{offer.pk}/").status_code == 200
        refused = as_client(user).get(f"/api/v1/offers/{offer.pk}/price-history/")
        assert (refused.status_code, refused.json()["type"]) == (404, "https://pharmex.example/problems/not-found")
        assert as_client(user).get(f"/api/v1/offers/{offer.pk}/history/").status_code == 404
    for user in (operator, staff):
        history = as_client(user).get(f"/api/v1/offers/{offer.pk}/price-history/").json()["results"]
        assert [(h["old_price"], h["new_price"], h["changed_by"]) for h in history] == [
            ("10.00", "12.00", operator.email)
        ]
