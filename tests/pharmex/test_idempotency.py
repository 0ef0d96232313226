"""Idempotency-Key on creating POSTs (SPEC §8; RELIABILITY IDEM-1..7)."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.models import License
from pharmex.api.idempotency import purge_expired_keys
from pharmex.models import IdempotencyKey
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


@pytest.mark.django_db
def test_a_key_still_in_flight_answers_409(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    client.post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-f")
    # as if the first request were still running
    IdempotencyKey.objects.update(status=IdempotencyKey.Status.IN_FLIGHT, locked_at=timezone.now())
    response = client.post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-f")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_flight"


@pytest.mark.django_db
def test_an_abandoned_claim_is_taken_over_after_the_lock_timeout(buyer, member_of, as_client):
    client = as_client(member_of(buyer))
    IdempotencyKey.objects.create(
        scope=f"org:{buyer.pk}",
        key="crashed",
        method="POST",
        path="/api/v1/licenses/",
        fingerprint="x",
        created_at=timezone.now() - timedelta(minutes=5),
        locked_at=timezone.now() - timedelta(minutes=5),
    )
    response = client.post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="crashed")
    assert response.status_code == 201


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
    barrier = threading.Barrier(12)
    results: list[tuple[int, dict]] = []

    def send() -> None:
        client = client_for(owner)
        barrier.wait()
        try:
            response = client.post("/api/v1/licenses/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="race")
            results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

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
