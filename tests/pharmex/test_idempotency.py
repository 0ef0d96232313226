"""Idempotency-Key on creating POSTs (SPEC §8; RELIABILITY IDEM-1..7)."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.apis import licenses as licenses_api
from accounts.models import License
from pharmex.api.idempotency import purge_expired_keys
from pharmex.models import IdempotencyKey
from tests.concurrency import run_concurrently
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory

BODY = {"type": "business", "number": "琼IDEM-1", "valid_from": "2026-01-01", "valid_until": "2030-01-01"}


@pytest.mark.django_db
def test_idem_1_a_replay_returns_the_first_response_and_creates_nothing(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    first = client.post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    again = client.post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"]
    assert "Idempotent-Replayed" not in first
    assert License.objects.filter(organization=buyer, type="business").count() == 1


@pytest.mark.django_db
def test_idem_2_the_same_key_with_another_body_is_refused(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    client.post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-2")
    response = client.post(
        "/api/v1/licenses/", {**BODY, "number": "other"}, format="json", HTTP_IDEMPOTENCY_KEY="key-2"
    )
    assert response.status_code == 422
    assert list(License.objects.filter(organization=buyer, type="business").values_list("number", flat=True)) == [
        "琼IDEM-1"
    ]


@pytest.mark.django_db
def test_idem_6_keys_are_scoped_to_the_organisation(buyer, supplier, member_of, as_client):
    mine = as_client(member_of(buyer)).post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    theirs = as_client(member_of(supplier)).post(
        "/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["organization"] == supplier.pk != mine.json()["organization"]


@pytest.mark.django_db
def test_idempotency_scope_is_shared_by_members_and_api_keys_of_one_organisation(
    buyer, member_of, api_key_for, as_client
):
    first = as_client(member_of(buyer)).post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    other_owner = as_client(member_of(buyer)).post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert other_owner["Idempotent-Replayed"] == "true"
    assert other_owner.json() == first.json()


@pytest.mark.django_db
def test_idem_7_a_refused_request_does_not_use_up_the_key(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    invalid = client.post(
        "/api/v1/licenses/", {**BODY, "valid_until": "1999-01-01"}, format="json", HTTP_IDEMPOTENCY_KEY="key-7"
    )
    assert invalid.status_code == 400
    assert not IdempotencyKey.objects.exists()
    fixed = client.post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-7")
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed


@pytest.mark.django_db(transaction=True)
def test_a_key_still_in_flight_answers_409_and_the_finished_request_then_replays(monkeypatch):
    # given: a request with key K that is still running (held inside its transaction)
    organization = OrganizationFactory()
    owner = MembershipFactory(organization=organization).user
    inside, release = threading.Event(), threading.Event()
    license_create = licenses_api.services.license_create

    def slow_license_create(**kwargs):
        inside.set()
        assert release.wait(10)
        return license_create(**kwargs)

    monkeypatch.setattr(licenses_api.services, "license_create", slow_license_create)
    first: list = []

    def send_first() -> None:
        try:
            first.append(client_for(owner).post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="K"))
        finally:
            connection.close()

    thread = threading.Thread(target=send_first)
    thread.start()
    assert inside.wait(10)

    # when: a retry arrives meanwhile, then the first request finishes, then the retry is sent again
    try:
        during = client_for(owner).post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="K")
    finally:
        release.set()
        thread.join()
    after = client_for(owner).post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="K")

    # then: 409 while running, the stored answer afterwards, and one licence
    assert (during.status_code, during.json()["code"], during["Retry-After"]) == (409, "idempotency_key_in_flight", "1")
    assert (first[0].status_code, after.status_code, after["Idempotent-Replayed"]) == (201, 201, "true")
    assert after.json() == first[0].json()
    assert License.objects.filter(organization=organization, type="business").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_request_that_crashes_leaves_no_claim_and_the_retry_runs_afresh(monkeypatch):
    organization = OrganizationFactory()
    client = client_for(MembershipFactory(organization=organization).user)
    client.raise_request_exception = False
    license_create = licenses_api.services.license_create

    def crash(**kwargs):
        license_create(**kwargs)  # the work is done, then the process fails before answering
        raise RuntimeError("worker lost")

    monkeypatch.setattr(licenses_api.services, "license_create", crash)
    assert client.post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="K").status_code == 500
    assert (IdempotencyKey.objects.exists(), License.objects.filter(type="business").exists()) == (False, False)

    monkeypatch.setattr(licenses_api.services, "license_create", license_create)
    retry = client.post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="K")
    assert (retry.status_code, "Idempotent-Replayed" in retry) == (201, False)


@pytest.mark.django_db
def test_idem_5_after_24_hours_the_key_is_forgotten(buyer, member_of, as_client):
    owner = member_of(buyer)
    as_client(owner).post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="old")
    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1)):
        assert purge_expired_keys() == 1
        response = as_client(owner).post(
            "/api/v1/licenses/", {**BODY, "number": "new"}, format="json", HTTP_IDEMPOTENCY_KEY="old"
        )
    assert response.status_code == 201


@pytest.mark.django_db
def test_a_key_past_its_24_hours_is_new_again_even_before_the_purge(buyer, member_of, as_client):
    owner = member_of(buyer)
    first = as_client(owner).post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="stale")
    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1)):
        client = as_client(owner)  # a fresh token: the first one has expired
        again = client.post("/api/v1/licenses/", {**BODY, "number": "new"}, format="json", HTTP_IDEMPOTENCY_KEY="stale")
        replay = client.post(
            "/api/v1/licenses/", {**BODY, "number": "new"}, format="json", HTTP_IDEMPOTENCY_KEY="stale"
        )
    assert (first.status_code, again.status_code, replay.status_code) == (201, 201, 201)
    assert again.json()["id"] != first.json()["id"]
    assert (replay["Idempotent-Replayed"], replay.json()) == ("true", again.json())
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.django_db
def test_an_invalid_key_is_a_validation_error(buyer, member_of, as_client):
    response = as_client(member_of(buyer)).post(
        "/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.django_db(transaction=True)
def test_idem_3_concurrent_retries_create_exactly_one_object():
    # given: 12 clients on their own database connections sending the same request at once
    organization = OrganizationFactory()
    owner = MembershipFactory(organization=organization).user
    clients = [client_for(owner) for _ in range(12)]

    def send(index: int) -> tuple[int, dict]:
        response = clients[index].post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="race")
        return response.status_code, response.json()

    results = run_concurrently(12, send)

    # then: one licence; every answer is the created object or "still in flight"; never a 5xx
    assert License.objects.filter(organization=organization, type="business").count() == 1
    statuses = sorted(status for status, _ in results)
    assert set(statuses) <= {201, 409}
    created = {body["id"] for status, body in results if status == 201}
    assert len(created) == 1
    assert all(body["code"] == "idempotency_key_in_flight" for status, body in results if status == 409)


@pytest.mark.django_db
def test_a_replayed_api_key_creation_never_stores_or_returns_the_secret(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    first = client.post(
        "/api/v1/api-keys/", {"name": "erp", "role": "operator"}, format="json", HTTP_IDEMPOTENCY_KEY="key-once"
    )
    replay = client.post(
        "/api/v1/api-keys/", {"name": "erp", "role": "operator"}, format="json", HTTP_IDEMPOTENCY_KEY="key-once"
    )
    secret = first.json()["key"]
    assert first.status_code == replay.status_code == 201
    assert secret.startswith(first.json()["prefix"] + ".")
    assert replay.json() == {**first.json(), "key": None}
    stored = IdempotencyKey.objects.get(key="key-once")
    assert secret not in str(stored.response_body)


@pytest.mark.django_db
def test_an_upload_is_fingerprinted_by_its_content_not_its_name(supplier, member_of, as_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_client(member_of(supplier))
    header = "approval_number,specification,unit_price,stock\n"

    def upload(content: str):
        return client.post(
            "/api/v1/offer-imports/",
            {"file": SimpleUploadedFile("offers.csv", content.encode())},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first = upload(header + "国药准字H20003263,0.25g,12.50,100\n")
    same = upload(header + "国药准字H20003263,0.25g,12.50,100\n")
    other = upload(header + "国药准字H20003263,0.25g,99.00,100\n")
    assert (first.status_code, same.status_code, other.status_code) == (202, 202, 422)
    assert same["Idempotent-Replayed"] == "true"
    assert same.json()["id"] == first.json()["id"]
