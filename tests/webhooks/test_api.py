"""The webhooks API: who may call what (exact statuses), the secret shown once, the delivery log, redelivery."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import MemberRole
from accounts.models import Organization, OrganizationApiKey, User
from pharmex.models import AuditEvent
from tests.accounts.helpers import iso, not_authenticated, not_found, permission_denied, problem
from tests.factories import MembershipFactory
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import outbox_publish, webhook_deliver
from webhooks.signing import iso_utc
from webhooks.tasks import webhook_deliver_task

pytestmark = pytest.mark.django_db

ERP_URL = "https://erp.example.com/pharmex/events"
CALLERS = ("anonymous", "owner", "operator", "finance", "viewer", "api_key", "other_owner", "admin")


@dataclass(frozen=True)
class Cast:
    org_a: Organization
    org_b: Organization
    users: dict[str, User]
    api_key_secret: str
    endpoint: WebhookEndpoint  # organisation A's
    delivery: WebhookDelivery  # to that endpoint
    make_client: object

    def client(self, caller: str):
        if caller == "anonymous":
            return self.make_client()
        if caller == "api_key":
            return self.make_client(api_key=self.api_key_secret)
        return self.make_client(self.users[caller])


@pytest.fixture
def cast(org_a, org_b, owner_a, admin_user, as_client, make_endpoint, fake_dns) -> Cast:
    fake_dns["erp.example.com"] = ["93.184.215.14"]
    users = {"owner": owner_a, "admin": admin_user}
    for role in (MemberRole.OPERATOR, MemberRole.FINANCE, MemberRole.VIEWER):
        users[str(role)] = MembershipFactory(organization=org_a, role=role, user__email=f"{role}@a.test").user
    users["other_owner"] = MembershipFactory(organization=org_b, role=MemberRole.OWNER, user__email="o@b.test").user
    _, secret = OrganizationApiKey.objects.create_key(name="ERP", organization=org_a, role=MemberRole.OPERATOR)
    endpoint = make_endpoint(org_a, ERP_URL, ["order.placed", "order.shipped"], description="ERP")
    [event] = outbox_publish(
        event_type="order.placed",
        organization_ids=[org_a.pk],
        payload={"order_id": 1},
        object_type="order",
        object_id=1,
    )
    delivery = WebhookDelivery.objects.get(event=event)
    return Cast(org_a, org_b, users, secret, endpoint, delivery, as_client)


def table(**expected: int) -> list[tuple[str, int]]:
    assert tuple(expected) == CALLERS
    return list(expected.items())


def assert_refused(response, status: int) -> None:
    expected = {401: not_authenticated(), 403: permission_denied(), 404: not_found()}[status]
    assert (response.status_code, response.json()) == (status, expected)
    assert response.headers["Content-Type"] == "application/problem+json"


def endpoint_body(endpoint: WebhookEndpoint, **extra) -> dict:
    endpoint.refresh_from_db()
    return {
        "id": endpoint.pk,
        "organization": endpoint.organization_id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "is_active": endpoint.is_active,
        "previous_secret_expires_at": iso(endpoint.previous_secret_expires_at) if endpoint.previous_secret else None,
        "created_at": iso(endpoint.created_at),
        "updated_at": iso(endpoint.updated_at),
        **extra,
    }


def delivery_body(delivery: WebhookDelivery) -> dict:
    delivery.refresh_from_db()
    event = delivery.event
    return {
        "id": delivery.pk,
        "event": {
            "id": str(event.event_id),
            "type": event.event_type,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "created_at": iso(event.created_at),
        },
        "status": delivery.status,
        "attempts": delivery.attempts,
        "max_attempts": delivery.max_attempts,
        "next_attempt_at": iso(delivery.next_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "succeeded_at": iso(delivery.succeeded_at),
        "created_at": iso(delivery.created_at),
        "updated_at": iso(delivery.updated_at),
    }


def delivery_detail_body(delivery: WebhookDelivery) -> dict:
    return {
        **delivery_body(delivery),
        "data": delivery.event.payload,
        "attempt_log": [
            {
                "number": attempt.number,
                "attempted_at": iso(attempt.attempted_at),
                "url": attempt.url,
                "ip": attempt.ip,
                "status_code": attempt.status_code,
                "succeeded": attempt.succeeded,
                "error": attempt.error,
                "duration_ms": attempt.duration_ms,
                "response_body": attempt.response_body,
            }
            for attempt in delivery.attempt_log.order_by("number")
        ],
    }


# --- the permission matrix -------------------------------------------------------------------------------------
READERS = table(
    anonymous=401, owner=200, operator=200, finance=403, viewer=403, api_key=200, other_owner=404, admin=200
)


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(anonymous=401, owner=200, operator=200, finance=403, viewer=403, api_key=200, other_owner=200, admin=200),
)
def test_list_endpoints(cast, caller, expected):
    response = cast.client(caller).get("/api/v1/webhooks/")

    if expected != 200:
        return assert_refused(response, expected)
    # other organisations see only their own (none); admins see every organisation's
    own = [] if caller == "other_owner" else [endpoint_body(cast.endpoint)]
    assert response.status_code == 200
    assert response.json() == {"count": len(own), "next": None, "previous": None, "results": own}


@pytest.mark.parametrize(("caller", "expected"), READERS)
def test_retrieve_endpoint(cast, caller, expected):
    response = cast.client(caller).get(f"/api/v1/webhooks/{cast.endpoint.pk}/")

    if expected != 200:
        return assert_refused(response, expected)
    assert (response.status_code, response.json()) == (200, endpoint_body(cast.endpoint))  # never the secret


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(anonymous=401, owner=201, operator=403, finance=403, viewer=403, api_key=403, other_owner=201, admin=403),
)
def test_create_endpoint(cast, caller, expected):
    response = cast.client(caller).post("/api/v1/webhooks/", {"url": ERP_URL, "event_types": ["recall.issued"]})

    if expected != 201:
        assert_refused(response, expected)
        assert WebhookEndpoint.objects.count() == 1
        return
    created = WebhookEndpoint.objects.get(pk=response.json()["id"])
    own = cast.org_b if caller == "other_owner" else cast.org_a
    assert created.organization == own
    assert response.json() == endpoint_body(created, secret=created.secret)


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(anonymous=401, owner=200, operator=403, finance=403, viewer=403, api_key=403, other_owner=404, admin=403),
)
def test_update_endpoint(cast, caller, expected):
    response = cast.client(caller).patch(f"/api/v1/webhooks/{cast.endpoint.pk}/", {"description": "changed"})

    if expected != 200:
        assert_refused(response, expected)
        assert WebhookEndpoint.objects.get().description == "ERP"
        return
    assert (response.status_code, response.json()) == (200, endpoint_body(cast.endpoint))
    assert cast.endpoint.description == "changed"


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(anonymous=401, owner=204, operator=403, finance=403, viewer=403, api_key=403, other_owner=404, admin=403),
)
def test_delete_endpoint(cast, caller, expected):
    response = cast.client(caller).delete(f"/api/v1/webhooks/{cast.endpoint.pk}/")

    if expected != 204:
        assert_refused(response, expected)
        assert WebhookEndpoint.objects.exists()
        return
    assert response.status_code == 204
    assert (WebhookEndpoint.objects.exists(), WebhookDelivery.objects.exists()) == (False, False)


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(anonymous=401, owner=200, operator=403, finance=403, viewer=403, api_key=403, other_owner=404, admin=403),
)
def test_rotate_secret(cast, caller, expected):
    old_secret = cast.endpoint.secret

    response = cast.client(caller).post(f"/api/v1/webhooks/{cast.endpoint.pk}/rotate-secret/", {})

    if expected != 200:
        assert_refused(response, expected)
        assert WebhookEndpoint.objects.get().secret == old_secret
        return
    cast.endpoint.refresh_from_db()
    assert cast.endpoint.secret != old_secret
    assert (response.status_code, response.json()) == (200, endpoint_body(cast.endpoint, secret=cast.endpoint.secret))


@pytest.mark.parametrize(("caller", "expected"), READERS)
def test_list_deliveries(cast, caller, expected):
    response = cast.client(caller).get(f"/api/v1/webhooks/{cast.endpoint.pk}/deliveries/")

    if expected != 200:
        return assert_refused(response, expected)
    assert response.json() == {"next": None, "previous": None, "results": [delivery_body(cast.delivery)]}


@pytest.mark.parametrize(("caller", "expected"), READERS)
def test_retrieve_delivery(cast, caller, expected):
    response = cast.client(caller).get(f"/api/v1/webhooks/{cast.endpoint.pk}/deliveries/{cast.delivery.pk}/")

    if expected != 200:
        return assert_refused(response, expected)
    assert (response.status_code, response.json()) == (200, delivery_detail_body(cast.delivery))


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(anonymous=401, owner=202, operator=202, finance=403, viewer=403, api_key=202, other_owner=404, admin=403),
)
def test_redeliver(cast, caller, expected, monkeypatch, django_capture_on_commit_callbacks):
    # given: a delivery that gave up
    sent: list[int] = []
    monkeypatch.setattr(webhook_deliver_task, "apply_async", lambda args, countdown=None: sent.append(args[0]))
    WebhookDelivery.objects.filter(pk=cast.delivery.pk).update(
        status=DeliveryStatus.GAVE_UP, attempts=15, next_attempt_at=None, dispatched_at=None
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.client(caller).post(
            f"/api/v1/webhooks/{cast.endpoint.pk}/deliveries/{cast.delivery.pk}/redeliver/"
        )

    # then
    if expected != 202:
        assert_refused(response, expected)
        assert (WebhookDelivery.objects.get().status, sent) == (DeliveryStatus.GAVE_UP, [])
        return
    assert (response.status_code, response.json()) == (202, delivery_detail_body(cast.delivery))
    assert (cast.delivery.status, cast.delivery.attempts, cast.delivery.max_attempts) == (
        DeliveryStatus.PENDING,
        15,
        16,
    )
    assert sent == [cast.delivery.pk]
    assert AuditEvent.objects.filter(action="webhook_delivery.redelivered", object_id=str(cast.delivery.pk)).exists()


# --- behaviour ---------------------------------------------------------------------------------------------------
def test_the_secret_is_shown_on_create_only_and_a_replay_redacts_it(cast):
    # given
    client = cast.client("owner")
    body = {"url": ERP_URL, "event_types": ["order.shipped", "order.placed", "order.placed"], "description": "WMS"}

    # when
    created = client.post("/api/v1/webhooks/", body, HTTP_IDEMPOTENCY_KEY="wms-1")
    replayed = client.post("/api/v1/webhooks/", body, HTTP_IDEMPOTENCY_KEY="wms-1")

    # then
    endpoint = WebhookEndpoint.objects.get(description="WMS")
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    assert endpoint.event_types == ["order.placed", "order.shipped"]  # registry order, no repeats
    assert (created.status_code, created.json()) == (201, endpoint_body(endpoint, secret=endpoint.secret))
    assert (replayed.status_code, replayed.json()) == (201, endpoint_body(endpoint, secret=None))
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert endpoint.secret not in client.get(f"/api/v1/webhooks/{endpoint.pk}/").content.decode()
    audit = AuditEvent.objects.get(action="webhook_endpoint.created", object_id=str(endpoint.pk))
    assert audit.changes == {
        "url": ERP_URL,
        "event_types": ["order.placed", "order.shipped"],
        "description": "WMS",
        "is_active": True,
    }
    assert endpoint.secret not in str(AuditEvent.objects.values_list("changes", flat=True))


def test_create_validates_the_event_types_and_refuses_unknown_fields(cast):
    response = cast.client("owner").post(
        "/api/v1/webhooks/",
        {"url": ERP_URL, "event_types": ["order.placed", "order.teleported"], "secret": "mine"},
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "secret", "code": "not_writable", "message": "This field cannot be set."}
    ]

    response = cast.client("owner").post("/api/v1/webhooks/", {"url": ERP_URL, "event_types": ["order.teleported"]})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "event_types[0]", "code": "invalid_choice", "message": '"order.teleported" is not a valid choice.'}
    ]

    response = cast.client("owner").post("/api/v1/webhooks/", {"url": ERP_URL, "event_types": []})

    assert response.json()["errors"] == [
        {"field": "event_types", "code": "min_length", "message": "Ensure this field has at least 1 elements."}
    ]
    assert WebhookEndpoint.objects.count() == 1


def test_changing_the_url_checks_it_again_and_changes_are_audited(cast):
    client = cast.client("owner")

    refused = client.patch(f"/api/v1/webhooks/{cast.endpoint.pk}/", {"url": "https://10.0.0.8/hook"})
    changed = client.patch(f"/api/v1/webhooks/{cast.endpoint.pk}/", {"event_types": ["recall.issued"]})

    assert refused.status_code == 400
    assert refused.json()["type"] == f"{settings.PROBLEM_TYPE_BASE}webhook-url-not-allowed"
    assert (changed.status_code, changed.json()) == (200, endpoint_body(cast.endpoint))
    assert cast.endpoint.url == ERP_URL
    audit = AuditEvent.objects.get(action="webhook_endpoint.updated")
    assert audit.changes == {"event_types": [["order.placed", "order.shipped"], ["recall.issued"]]}


def test_rotation_can_keep_the_previous_secret_for_a_while(cast):
    before = timezone.now()

    response = cast.client("owner").post(
        f"/api/v1/webhooks/{cast.endpoint.pk}/rotate-secret/", {"keep_previous_hours": 24}
    )

    cast.endpoint.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["previous_secret_expires_at"] == iso_utc(cast.endpoint.previous_secret_expires_at)
    assert 24 * 3600 - 5 < (cast.endpoint.previous_secret_expires_at - before).total_seconds() < 24 * 3600 + 5
    assert len(cast.endpoint.signing_secrets()) == 2


def test_delivery_log_is_newest_first_cursor_paginated_with_constant_queries(cast):
    # given: six deliveries to the endpoint
    for number in range(5):
        outbox_publish(
            event_type="order.shipped",
            organization_ids=[cast.org_a.pk],
            payload={"n": number},
            object_type="order",
            object_id=number,
        )
    client = cast.client("owner")
    url = f"/api/v1/webhooks/{cast.endpoint.pk}/deliveries/"
    ids = list(WebhookDelivery.objects.order_by("-pk").values_list("pk", flat=True))

    # when
    with CaptureQueriesContext(connection) as small:
        first = client.get(url, {"page_size": 2})
    second = client.get(first.json()["next"])
    with CaptureQueriesContext(connection) as large:
        everything = client.get(url, {"page_size": 6})
    filtered = client.get(url, {"event_type": "order.placed"})

    # then
    assert [d["id"] for d in first.json()["results"]] == ids[:2]
    assert [d["id"] for d in second.json()["results"]] == ids[2:4]
    assert [d["id"] for d in everything.json()["results"]] == ids
    assert [d["id"] for d in filtered.json()["results"]] == [cast.delivery.pk]
    assert len(small.captured_queries) == len(large.captured_queries)


def test_a_delivery_is_only_found_under_its_own_endpoint(cast, make_endpoint):
    other = make_endpoint(cast.org_a, "https://erp.example.com/other", ["order.placed"])

    response = cast.client("owner").get(f"/api/v1/webhooks/{other.pk}/deliveries/{cast.delivery.pk}/")

    assert_refused(response, 404)


def test_delivery_detail_shows_the_attempt_log(cast, receiver, local_delivery):
    # given: the endpoint points at the local receiver, which fails once
    WebhookEndpoint.objects.filter(pk=cast.endpoint.pk).update(url=receiver.url())
    receiver.answer(500)
    webhook_deliver(delivery_id=cast.delivery.pk)

    # when
    response = cast.client("operator").get(f"/api/v1/webhooks/{cast.endpoint.pk}/deliveries/{cast.delivery.pk}/")

    # then
    assert (response.status_code, response.json()) == (200, delivery_detail_body(cast.delivery))
    [attempt] = response.json()["attempt_log"]
    assert (attempt["number"], attempt["status_code"], attempt["error"]) == (1, 500, "HTTP 500 Internal Server Error")


def test_redelivery_to_a_disabled_endpoint_is_refused(cast):
    WebhookEndpoint.objects.filter(pk=cast.endpoint.pk).update(is_active=False)

    response = cast.client("owner").post(
        f"/api/v1/webhooks/{cast.endpoint.pk}/deliveries/{cast.delivery.pk}/redeliver/"
    )

    assert (response.status_code, response.json()) == (
        409,
        problem(
            "webhook-endpoint-inactive",
            409,
            "The webhook endpoint is disabled; enable it before redelivering",
            "The webhook endpoint is disabled; enable it before redelivering",
            code="webhook_endpoint_inactive",
        ),
    )


def test_redelivery_while_an_attempt_runs_is_refused(cast):
    WebhookDelivery.objects.filter(pk=cast.delivery.pk).update(
        claimed_until=timezone.now() + timezone.timedelta(minutes=1)
    )

    response = cast.client("owner").post(
        f"/api/v1/webhooks/{cast.endpoint.pk}/deliveries/{cast.delivery.pk}/redeliver/"
    )

    assert (response.status_code, response.json()["code"]) == (409, "webhook_delivery_in_progress")


def test_an_organisation_registers_at_most_twenty_endpoints(cast, make_endpoint):
    for number in range(19):
        make_endpoint(cast.org_a, f"https://erp.example.com/{number}")

    response = cast.client("owner").post("/api/v1/webhooks/", {"url": ERP_URL, "event_types": ["order.placed"]})

    assert (response.status_code, response.json()["code"]) == (409, "webhook_endpoint_limit")
    assert WebhookEndpoint.objects.filter(organization=cast.org_a).count() == 20


def test_list_filters_are_strict(cast):
    client = cast.client("owner")
    deliveries = f"/api/v1/webhooks/{cast.endpoint.pk}/deliveries/"

    assert [e["id"] for e in client.get("/api/v1/webhooks/", {"is_active": "true"}).json()["results"]] == [
        cast.endpoint.pk
    ]
    assert client.get("/api/v1/webhooks/", {"is_active": "false"}).json()["results"] == []
    assert client.get(deliveries, {"status": "gave_up"}).json()["results"] == []
    assert [d["id"] for d in client.get(deliveries, {"status": "pending"}).json()["results"]] == [cast.delivery.pk]
    refused = [
        client.get("/api/v1/webhooks/", {"is_active": "null"}),
        client.get("/api/v1/webhooks/?is_active=true&is_active=false"),
        client.get(deliveries, {"status": "lost"}),
        client.get(deliveries, {"event_type": "order.teleported"}),
    ]
    assert [(r.status_code, r.json()["errors"][0]["code"]) for r in refused] == [
        (400, "invalid"),
        (400, "repeated"),
        (400, "invalid_choice"),
        (400, "invalid_choice"),
    ]
