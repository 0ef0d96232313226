"""API7 SSRF: private, loopback, link-local and metadata targets are refused at registration and before every
attempt, after DNS resolution, and the connection goes to the address that was checked (RELIABILITY §6)."""

from __future__ import annotations

import ipaddress

import pytest
from django.conf import settings

from webhooks import ssrf
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import outbox_publish, webhook_deliver

REFUSED_ADDRESSES = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT
    "169.254.169.254",  # cloud metadata
    "0.0.0.0",  # noqa: S104
    "224.0.0.1",
    "255.255.255.255",
    "192.0.0.9",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:0a00:0001::1",  # 6to4 of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
]
PUBLIC_ADDRESSES = ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_refuses_non_public_addresses(address):
    assert ssrf.blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_allows_public_addresses(address):
    assert ssrf.blocked_reason(ipaddress.ip_address(address)) is None


def test_allowed_private_networks_exempt_only_their_own_addresses():
    allowed = ssrf.parse_networks(["127.0.0.1/32", " 10.20.0.0/16 ", ""])

    assert ssrf.blocked_reason(ipaddress.ip_address("127.0.0.1"), allowed) is None
    assert ssrf.blocked_reason(ipaddress.ip_address("10.20.3.4"), allowed) is None
    assert ssrf.blocked_reason(ipaddress.ip_address("127.0.0.2"), allowed) == "a loopback address"
    assert ssrf.blocked_reason(ipaddress.ip_address("10.21.0.1"), allowed) == "a private address"
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33' is not an IP network"):
        ssrf.parse_networks(["10.0.0.0/33"])


def refused(detail: str) -> dict:
    return {
        "type": f"{settings.PROBLEM_TYPE_BASE}webhook-url-not-allowed",
        "title": "This webhook URL is not allowed",
        "status": 400,
        "detail": detail,
        "code": "webhook_url_not_allowed",
        "errors": [{"field": "url", "code": "webhook_url_not_allowed", "message": detail}],
    }


PUBLIC_ONLY = "webhooks may only call public addresses."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("https://127.0.0.1/hook", f"127.0.0.1 is a loopback address; {PUBLIC_ONLY}"),
        ("https://10.1.2.3/hook", f"10.1.2.3 is a private address; {PUBLIC_ONLY}"),
        (
            "https://169.254.169.254/latest/meta-data/",
            f"169.254.169.254 is a link-local (cloud metadata) address; {PUBLIC_ONLY}",
        ),
        ("https://[::1]:8443/hook", f"::1 is a loopback address; {PUBLIC_ONLY}"),
        ("https://[fd00:ec2::254]/", f"fd00:ec2::254 is a private address; {PUBLIC_ONLY}"),
        ("https://[::ffff:10.0.0.1]/", f"::ffff:10.0.0.1 is a private address (it embeds 10.0.0.1); {PUBLIC_ONLY}"),
        ("https://localhost/hook", f"localhost resolves to 127.0.0.1, a loopback address; {PUBLIC_ONLY}"),
        ("https://2130706433/hook", f"2130706433 resolves to 127.0.0.1, a loopback address; {PUBLIC_ONLY}"),
        ("https://intranet.example/hook", f"intranet.example resolves to 10.9.8.7, a private address; {PUBLIC_ONLY}"),
        ("https://split.example/hook", f"split.example resolves to 192.168.0.10, a private address; {PUBLIC_ONLY}"),
        ("file:///etc/passwd", "Only https:// URLs are allowed."),
        ("http://erp.example.com/hook", "Only https:// URLs are allowed."),
        ("gopher://erp.example.com/", "Only https:// URLs are allowed."),
        (
            "https://user:pw@erp.example.com/",
            "The URL must not contain credentials; authenticate deliveries by their signature.",
        ),
        ("https://nowhere.invalid/hook", "The host 'nowhere.invalid' does not resolve."),
        ("https://erp.example.com:25/hook", "Port 25 is not allowed; webhooks go to port 443 or 8443."),
        ("https://erp.example.com:5432/", "Port 5432 is not allowed; webhooks go to port 443 or 8443."),
        ("https://erp.example.com:22/", "Port 22 is not allowed; webhooks go to port 443 or 8443."),
    ],
)
def test_registration_refuses_urls_that_reach_private_networks(url, detail, fake_dns, as_client, org_a, owner_a):
    # given: names resolving as the comments say (a public + a private answer is refused as a whole)
    fake_dns["intranet.example"] = ["10.9.8.7"]
    fake_dns["split.example"] = ["93.184.215.14", "192.168.0.10"]
    fake_dns["erp.example.com"] = ["93.184.215.14"]
    fake_dns["nowhere.invalid"] = None
    assert (settings.WEBHOOK_ALLOW_HTTP, settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS) == (False, [])

    # when
    response = as_client(owner_a).post("/api/v1/webhooks/", {"url": url, "event_types": ["order.placed"]})

    # then
    assert (response.status_code, response.json()) == (400, refused(detail))
    assert WebhookEndpoint.objects.exists() is False


@pytest.mark.django_db
def test_delivery_refuses_a_host_that_now_resolves_privately(fake_dns, local_delivery, org_a, make_endpoint, receiver):
    # given: registered while public; DNS now points the name at the metadata service
    fake_dns["hooks.partner.example"] = ["169.254.169.254"]
    make_endpoint(org_a, "https://hooks.partner.example/pharmex")
    outbox_publish(event_type="order.placed", organization_ids=[org_a.pk], payload={}, object_type="order", object_id=1)
    delivery = WebhookDelivery.objects.get()

    # when
    attempt = webhook_deliver(delivery_id=delivery.pk)

    # then: not sent, logged, retried later like any failure (DNS may be fixed)
    assert attempt.error == (
        "Not sent (SSRF guard): hooks.partner.example resolves to 169.254.169.254, a link-local (cloud metadata) "
        f"address; {PUBLIC_ONLY}"
    )
    assert (attempt.status_code, attempt.ip, attempt.succeeded) == (None, None, False)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert receiver.requests == []


@pytest.mark.django_db
def test_delivery_connects_to_the_checked_address_even_if_dns_changes_afterwards(
    fake_dns, local_delivery, org_a, make_endpoint, receiver
):
    # given: a rebinding name: the first answer passes the check, later answers point inside
    answers = iter([["127.0.0.1"]])
    fake_dns["rebind.example"] = lambda: next(answers, ["10.0.0.9"])
    make_endpoint(org_a, f"http://rebind.example:{receiver.port}/hook")
    outbox_publish(event_type="order.placed", organization_ids=[org_a.pk], payload={}, object_type="order", object_id=1)

    # when
    attempt = webhook_deliver(delivery_id=WebhookDelivery.objects.get().pk)

    # then: one lookup (the check), and the request went to the checked address with the URL's host name
    assert fake_dns.lookups == ["rebind.example"]
    assert (attempt.status_code, attempt.ip) == (200, "127.0.0.1")
    [request] = receiver.requests
    assert request.headers["Host"] == f"rebind.example:{receiver.port}"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["https://erp.example.com/hook", "https://erp.example.com:8443/hook"])
def test_the_standard_https_ports_are_allowed(url, fake_dns, as_client, org_a, owner_a):
    fake_dns["erp.example.com"] = ["93.184.215.14"]
    response = as_client(owner_a).post("/api/v1/webhooks/", {"url": url, "event_types": ["order.placed"]})
    assert response.status_code == 201
