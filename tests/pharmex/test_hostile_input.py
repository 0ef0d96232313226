"""Inputs that used to answer 500 or slip through (issue 10, RELIABILITY §10): each is a 400/409 problem now."""

from __future__ import annotations

import base64

import pytest

from accounts.choices import LicenseStatus, MemberRole
from catalog.models import Offer
from tests.accounts.helpers import problem, validation_error
from tests.factories import LicenseFactory, MembershipFactory, OfferFactory, OrganizationFactory, UserFactory
from tests.factories.settlements import received_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer_client(as_client):
    return as_client(MembershipFactory(organization=OrganizationFactory(kind="pharmacy"), role=MemberRole.OWNER).user)


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("position", ["abc", "1.5", "99999999999999999999", "１２"])
def test_a_tampered_cursor_that_decodes_is_a_400(buyer_client, position):
    response = buyer_client.get(f"/api/v1/orders/?cursor={_cursor(f'p={position}')}")
    assert (response.status_code, response.json()) == (
        400,
        validation_error([{"field": "cursor", "code": "invalid", "message": "Invalid cursor."}]),
    )


def test_json_nested_a_hundred_thousand_levels_deep_is_a_400(buyer_client):
    body = "[" * 100_000 + "]" * 100_000
    response = buyer_client.post("/api/v1/checkout/preview/", body, content_type="application/json")
    assert (response.status_code, response.json()["type"]) == (
        400,
        "https://pharmex.example/problems/malformed-request",
    )


def test_json_nested_past_the_limit_is_a_400(buyer_client):
    body = '{"lines": ' + "[" * 40 + "]" * 40 + "}"
    response = buyer_client.post("/api/v1/checkout/preview/", body, content_type="application/json")
    assert response.json() == problem(
        "malformed-request",
        400,
        "The request body could not be parsed",
        "JSON parse error - the body nests more than 32 levels.",
    )


def test_deleting_an_offer_with_order_history_is_a_409(as_client):
    supplier, buyer = OrganizationFactory(), OrganizationFactory(kind="pharmacy")
    offer = OfferFactory(supplier=supplier)
    received_order(buyer=buyer, supplier=supplier, gross="10.00", offer=offer)
    owner = MembershipFactory(organization=supplier, role=MemberRole.OWNER).user

    response = as_client(owner).delete(f"/api/v1/offers/{offer.pk}/")

    assert (response.status_code, response.json()) == (
        409,
        problem(
            "offer-has-orders",
            409,
            "This offer was ordered and stays for the record; pause it instead",
            "This offer was ordered and stays for the record; pause it instead",
            code="offer_has_orders",
        ),
    )
    assert Offer.objects.filter(pk=offer.pk).exists()


@pytest.mark.parametrize("amount", ["１.００", "1_0.00", "1e1", "", "-", "1.", ".5", "10000000000000.00"])
def test_money_is_plain_ascii_decimals_within_bounds(as_client, amount):
    finance = UserFactory(staff_role="finance_admin", is_staff=True)
    buyer = OrganizationFactory(kind="pharmacy")
    response = as_client(finance).post(
        "/api/v1/payments/", {"buyer_id": buyer.pk, "amount": amount, "value_date": "2026-11-30"}, format="json"
    )
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["amount"]


@pytest.mark.parametrize("day", ["1900-01-01", "9999-12-31", "２０２６-１１-３０", "20261130"])
def test_business_dates_are_plain_and_in_a_sane_window(as_client, day):
    finance = UserFactory(staff_role="finance_admin", is_staff=True)
    buyer = OrganizationFactory(kind="pharmacy")
    response = as_client(finance).post(
        "/api/v1/payments/", {"buyer_id": buyer.pk, "amount": "1.00", "value_date": day}, format="json"
    )
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["value_date"]


def test_a_unit_price_too_large_to_multiply_safely_is_refused(as_client):
    supplier = OrganizationFactory()
    owner = MembershipFactory(organization=supplier, role=MemberRole.OWNER).user
    offer = OfferFactory(supplier=supplier)
    response = as_client(owner).patch(
        f"/api/v1/offers/{offer.pk}/", {"unit_price": "9999999999999999.99"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "unit_price"


@pytest.mark.parametrize("hidden", ["\u202e", "\u200b", "\x1b[31m", "\ufeff", "\u2028"])
def test_control_and_invisible_characters_are_refused_in_text(as_client, hidden):
    owner = MembershipFactory(role=MemberRole.OWNER).user
    response = as_client(owner).post(
        "/api/v1/licenses/",
        {"type": "business", "number": f"BL{hidden}-1", "valid_from": "2026-01-01", "valid_until": "2030-01-01"},
        format="json",
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == ("number", "invalid_character")


def test_ordinary_chinese_text_and_line_breaks_pass(as_client):
    owner = MembershipFactory(role=MemberRole.OWNER).user
    organization = owner.memberships.get().organization
    response = as_client(owner).patch(
        f"/api/v1/organizations/{organization.pk}/", {"address": "海南省海口市\n龙华区 1 号"}, format="json"
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/orders/", "buyer"),
        ("/api/v1/offers/", "supplier_name"),
        ("/api/v1/drugs/", "q"),
        ("/api/v1/licenses/", "org"),
        ("/api/v1/audit-events/", "actor"),
        ("/api/v1/reports/receivables-aging/", "buyer"),
    ],
)
def test_unknown_query_parameters_are_a_400(buyer_client, path, parameter):
    response = buyer_client.get(f"{path}?{parameter}=1")
    assert (response.status_code, response.json()) == (
        400,
        validation_error([{"field": parameter, "code": "unknown_parameter", "message": "Unknown query parameter."}]),
    )


def test_known_query_parameters_still_work(buyer_client):
    assert buyer_client.get("/api/v1/orders/?status=placed&page_size=5").status_code == 200
    assert buyer_client.get("/api/v1/offers/?own=false&province=460000").status_code == 200
    assert buyer_client.get("/api/schema/?format=json").status_code == 200


def test_list_filters_are_unknown_on_a_detail_url(as_client):
    """The schema documents a view's filters on its lists only: on a URL naming one object they are a 400, not a
    silent narrowing of the lookup into a 404."""
    owner = MembershipFactory(organization=OrganizationFactory(kind="pharmacy"), role=MemberRole.OWNER).user
    buyer = owner.memberships.get().organization
    order = received_order(buyer=buyer, supplier=OrganizationFactory(kind="distributor"), gross="10.00")
    offer = OfferFactory()
    client = as_client(owner)
    for path, parameter in [
        (f"/api/v1/orders/{order.pk}/", "status"),
        (f"/api/v1/orders/{order.pk}/events/", "status"),
        (f"/api/v1/offers/{offer.pk}/", "status"),
        # Nor do the list's paging parameters, where the action pages nothing.
        (f"/api/v1/orders/{order.pk}/", "page_size"),
        (f"/api/v1/orders/{order.pk}/", "cursor"),
        (f"/api/v1/offers/{offer.pk}/", "page"),
    ]:
        assert client.get(path).status_code == 200, path
        response = client.get(f"{path}?{parameter}=1")
        assert (response.status_code, response.json()) == (
            400,
            validation_error(
                [{"field": parameter, "code": "unknown_parameter", "message": "Unknown query parameter."}]
            ),
        ), path


def test_a_detail_action_that_lists_pages_what_it_declares(as_client, admin_user):
    """A history on one object takes its paging parameters; a method no action serves takes none."""
    owner = MembershipFactory(organization=OrganizationFactory(kind="pharmacy"), role=MemberRole.OWNER).user
    order = received_order(
        buyer=owner.memberships.get().organization, supplier=OrganizationFactory(kind="distributor"), gross="10.00"
    )
    events = as_client(owner).get(f"/api/v1/orders/{order.pk}/events/?page_size=1")
    assert (events.status_code, events.json()["results"]) == (200, []), events.content
    offer = OfferFactory()
    prices = as_client(admin_user).get(f"/api/v1/offers/{offer.pk}/price-history/?page=1&page_size=5")
    assert (prices.status_code, sorted(prices.json())) == (200, ["count", "next", "previous", "results"])
    licence = LicenseFactory(status=LicenseStatus.PENDING)
    approve = f"/api/v1/licenses/{licence.pk}/approve/"
    assert as_client(admin_user).get(approve).status_code == 405
    assert as_client(admin_user).get(f"{approve}?page=1").json()["errors"][0]["code"] == "unknown_parameter"


def test_a_detail_action_acts_on_the_object_its_url_names_whatever_the_query(as_client, admin_user):
    """A write addressed to one object is not narrowed by the list's filters in its query string."""
    licence = LicenseFactory(status=LicenseStatus.PENDING)
    offer = OfferFactory()
    client = as_client(admin_user)
    response = client.post(f"/api/v1/licenses/{licence.pk}/approve/?status=rejected", {}, format="json")
    assert response.status_code == 200, response.content
    response = client.post(f"/api/v1/offers/{offer.pk}/suspend/?status=paused", {"reason": "recall"}, format="json")
    assert response.status_code == 200, response.content
    licence.refresh_from_db()
    offer.refresh_from_db()
    assert (licence.status, offer.status) == (LicenseStatus.APPROVED, "suspended")
