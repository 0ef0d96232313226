"""Every error status answers RFC 9457 problem+json (SPEC §8), in English or Chinese."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from accounts.choices import MemberRole

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
BASE = "https://pharmex.example/problems/"


def license_body(**overrides) -> dict:
    body = {"type": "business", "number": "琼B-001", "valid_from": "2026-01-01", "valid_until": "2030-01-01"}
    return {**body, **overrides}


def assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == BASE + slug
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_400_lists_every_invalid_field_with_path_code_and_message(buyer, member_of, as_client):
    client = as_client(member_of(buyer, MemberRole.OWNER))
    response = client.post("/api/v1/licenses/", {"type": "nope", "valid_from": "2026-01-01"}, format="json")
    body = assert_problem(response, 400, "validation-error")
    assert body["detail"] == "The request is not valid"
    assert body["errors"] == [
        {"field": "type", "code": "invalid_choice", "message": '"nope" is not a valid choice.'},
        {"field": "number", "code": "required", "message": "This field is required."},
        {"field": "valid_until", "code": "required", "message": "This field is required."},
    ]


def test_400_for_a_field_the_caller_may_not_set(buyer, member_of, as_client):
    client = as_client(member_of(buyer, MemberRole.OWNER))
    response = client.patch(f"/api/v1/organizations/{buyer.pk}/", {"status": "verified"}, format="json")
    body = assert_problem(response, 400, "validation-error")
    assert body["errors"] == [{"field": "status", "code": "not_writable", "message": "This field cannot be set."}]


def test_400_for_malformed_json(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    response = client.post("/api/v1/licenses/", data="{not json", content_type="application/json")
    assert_problem(response, 400, "malformed-request")


def test_401_without_credentials_names_the_scheme(api_client):
    response = api_client.get("/api/v1/me/")
    body = assert_problem(response, 401, "not-authenticated")
    assert body["detail"] == "Authentication credentials were not provided."
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_401_for_a_forged_token():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoxfQ.")
    body = assert_problem(client.get("/api/v1/me/"), 401, "authentication-failed")
    assert body["detail"] == "Given token not valid for any token type"


def test_403_when_the_role_may_not_act(buyer, member_of, as_client):
    client = as_client(member_of(buyer, MemberRole.VIEWER))
    response = client.post("/api/v1/licenses/", license_body(), format="json")
    assert_problem(response, 403, "permission-denied")


def test_404_for_another_organisations_object(buyer, supplier, member_of, as_client):
    from tests.factories import LicenseFactory

    foreign = LicenseFactory(organization=supplier)
    client = as_client(member_of(buyer))
    assert_problem(client.get(f"/api/v1/licenses/{foreign.pk}/"), 404, "not-found")


def test_404_for_an_unknown_api_path_is_a_problem_too(api_client):
    assert_problem(api_client.get("/api/v1/no-such-resource/"), 404, "not-found")


def test_405_for_an_unsupported_method(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    body = assert_problem(
        client.put(f"/api/v1/organizations/{buyer.pk}/", {}, format="json"), 405, "method-not-allowed"
    )
    assert body["detail"] == 'Method "PUT" not allowed.'


def test_409_for_a_transition_from_the_wrong_state(buyer, admin_user, as_client):
    response = as_client(admin_user).post(f"/api/v1/organizations/{buyer.pk}/verify/", {}, format="json")
    body = assert_problem(response, 409, "invalid-transition")
    assert body["code"] == "invalid_transition"
    assert body["detail"] == "Cannot verify an organisation that is verified."


def test_412_for_a_stale_if_match(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    etag = client.get(f"/api/v1/organizations/{buyer.pk}/")["ETag"]
    assert (
        client.patch(
            f"/api/v1/organizations/{buyer.pk}/", {"address": "海口"}, format="json", HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )
    stale = client.patch(f"/api/v1/organizations/{buyer.pk}/", {"address": "三亚"}, format="json", HTTP_IF_MATCH=etag)
    assert_problem(stale, 412, "precondition-failed")
    buyer.refresh_from_db()
    assert buyer.address == "海口"


def test_413_for_a_body_over_the_upload_limit(buyer, member_of, as_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = as_client(member_of(buyer))
    response = client.post("/api/v1/licenses/", license_body(number="x" * 5000), format="json")
    assert_problem(response, 413, "payload-too-large")


def test_415_for_a_body_that_is_not_json(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    response = client.post("/api/v1/licenses/", data="type=business", content_type="text/plain")
    assert_problem(response, 415, "unsupported-media-type")


def test_422_for_an_idempotency_key_reused_with_another_body(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    assert client.post("/api/v1/licenses/", license_body(), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    response = client.post("/api/v1/licenses/", license_body(number="other"), format="json", HTTP_IDEMPOTENCY_KEY="k")
    body = assert_problem(response, 422, "idempotency-key-reused")
    assert body["code"] == "idempotency_key_reused"


def test_429_with_retry_after(buyer, member_of, as_client, throttle_budget):
    throttle_budget("principal", "2/min")  # the clock stopped 20 s into a minute: the window ends 40 s later
    client = as_client(member_of(buyer))
    assert [client.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/me/")
    assert_problem(response, 429, "throttled")
    assert response["Retry-After"] == "40"


def test_500_is_a_problem_without_internals(buyer, member_of, as_client, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("accounts.apis.licenses.selectors.license_list", explode)
    client = as_client(member_of(buyer))
    client.raise_request_exception = False
    response = client.get("/api/v1/licenses/")
    body = assert_problem(response, 500, "server-error")
    assert "secret" not in response.content.decode()
    assert body["detail"] == "Internal server error"


def test_chinese_titles_and_messages_with_accept_language(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    response = client.post("/api/v1/licenses/", {"type": "business"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-CN")
    body = assert_problem(response, 400, "validation-error")
    assert body["title"] == "请求无效"
    assert body["errors"][0] == {"field": "number", "code": "required", "message": "该字段是必填项。"}
    assert response["Content-Language"] == "zh-hans"


def test_chinese_domain_error_title(buyer, admin_user, as_client):
    response = as_client(admin_user).post(
        f"/api/v1/organizations/{buyer.pk}/verify/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9"
    )
    body = assert_problem(response, 409, "invalid-transition")
    assert body["title"] == "当前状态下不允许此操作"


def test_dates_are_iso_and_timestamps_utc(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    created = client.post("/api/v1/licenses/", license_body(), format="json").json()
    assert created["valid_from"] == date(2026, 1, 1).isoformat()
    assert created["created_at"].endswith("Z")
