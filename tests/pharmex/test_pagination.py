"""Pagination parameters are strict: a bad value answers 400 naming it, never a silent clamp (SPEC §8)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/licenses/", "page_size=500", "page_size"),
        ("/api/v1/licenses/", "page_size=0", "page_size"),
        ("/api/v1/licenses/", "page=0", "page"),
        ("/api/v1/licenses/", "page=abc", "page"),
        ("/api/v1/orders/", "page_size=201", "page_size"),
        ("/api/v1/orders/", "cursor=cj1hYmM%3D", "cursor"),
    ],
)
def test_a_bad_page_parameter_is_a_validation_error(buyer, member_of, as_client, path, query, field):
    response = as_client(member_of(buyer)).get(f"{path}?{query}")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["field"] == field


def test_the_largest_page_is_200(buyer, member_of, as_client):
    response = as_client(member_of(buyer)).get("/api/v1/licenses/?page_size=200")
    assert response.status_code == 200
