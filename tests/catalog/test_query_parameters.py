"""The catalogue API holds its inputs to the documented schema (what schemathesis checks, ST201/ST101)."""

import pytest

from catalog.choices import DrugType
from tests.factories import DrugFactory, OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(as_client, pharmacy_user):
    return as_client(pharmacy_user)


def _errors(response) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/api/v1/offers/", "own=null", [("own", "invalid")]),
        ("/api/v1/offers/", "own=", [("own", "blank")]),
        ("/api/v1/offers/", "own=true&own=true", [("own", "repeated")]),
        ("/api/v1/offers/", "drug=0.5", [("drug", "invalid")]),
        ("/api/v1/offers/", "status=", [("status", "blank")]),
        ("/api/v1/drugs/", "has_offers=yes", [("has_offers", "invalid")]),
        ("/api/v1/drugs/", "nrdl_listed=true&nrdl_listed=false", [("nrdl_listed", "repeated")]),
        ("/api/v1/drugs/", "id_gte=1.5", [("id_gte", "invalid")]),
        ("/api/v1/drugs/", "id_lt=", [("id_lt", "blank")]),
        ("/api/v1/drugs/", "search=a&search=b", [("search", "repeated")]),
        ("/api/v1/drugs/", "category=rx&category=", [("category", "blank")]),
        ("/api/v1/drugs/", "category=rx&category=xx", [("category", "invalid_choice")]),
        ("/api/v1/drugs/", "category=", [("category", "blank")]),
    ],
)
def test_malformed_query_parameters_are_refused_not_ignored(client, path, query, expected):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400, response.json()
    assert _errors(response) == expected


def test_booleans_and_repeated_choices_still_work(client, pharmacy_user):
    DrugFactory(generic_name="阿莫西林胶囊", category="rx")
    DrugFactory(generic_name="感冒灵颗粒", category="otc_a")
    assert client.get("/api/v1/drugs/?category=rx&category=otc_a&nrdl_listed=false").json()["count"] == 2
    assert client.get("/api/v1/offers/?own=false").status_code == 200
    assert client.get("/api/v1/offers/?own=true").json()["results"] == []


@pytest.mark.parametrize(
    "path",
    ["/api/v1/drugs/null,null/", "/api/v1/drugs/null,null/offers/", "/api/v1/drugs/-1/", "/api/v1/offers/x/",
     "/api/v1/offers/1.5/price-history/", "/api/v1/offer-imports/abc/"],
)  # fmt: skip
def test_ids_in_paths_are_integers_or_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_market_view_refuses_a_malformed_filter(client):
    drug = DrugFactory()
    OfferFactory(drug=drug)
    response = client.get(f"/api/v1/drugs/{drug.pk}/offers/?province=460000&province=440000")
    assert (response.status_code, _errors(response)) == (400, [("province", "repeated")])


def test_listing_an_unknown_drug_is_a_field_error(as_client, seller):
    _, user = seller
    response = as_client(user).post("/api/v1/offers/", {"drug": 999_999_999, "unit_price": "12.50", "stock": 1})
    assert (response.status_code, _errors(response)) == (400, [("drug", "does_not_exist")])


def test_decoction_pieces_without_an_approval_number_have_a_blank_format(client):
    drug = DrugFactory(approval_number="", drug_type=DrugType.TCM_DECOCTION)
    assert client.get(f"/api/v1/drugs/{drug.pk}/").json()["approval_format"] == ""
