"""The buyer's approvals (首营企业, 首营品种), their expiry, and the gate reason they lift."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Organization
from firstbusiness.models import FirstBusinessReview
from firstbusiness.services import document_expiry_run
from tests.factories import MembershipFactory, OfferFactory
from tests.firstbusiness.conftest import in_days, licence_copy, pdf_bytes, registration, share
from tests.orders.conftest import place
from webhooks.models import OutboxEvent


def approve(cast, drug=None, **extra):
    body = {"supplier_id": cast.supplier.pk, **({"drug_id": drug.pk} if drug else {}), **extra}
    return cast.client(cast.buyer_quality).post("/api/v1/first-business-reviews/approve/", body, format="json")


def package(cast, *, agreement_until=None, registration_until=None):
    """The supplier's licence copy, quality agreement and the drug's registration, shared with the buyer."""
    licence_copy(cast)
    from tests.firstbusiness.conftest import upload

    upload(
        cast.client(cast.supplier_quality),
        type="quality_agreement",
        title="质量保证协议",
        content=pdf_bytes("agreement"),
        valid_until=(agreement_until or in_days(200)).isoformat(),
    )
    registration(cast, valid_until=registration_until or in_days(300), content=pdf_bytes("registration"))
    share(cast)


def reasons(response) -> list[tuple[str, str]]:
    return [(e["code"], e["message"]) for e in response.json()["errors"]]


SUPPLIER_MISSING = "Your quality staff have not approved this supplier (首营企业) yet."
DRUG_MISSING = "Your quality staff have not approved this drug from this supplier (首营品种) yet."


def test_a_buyer_requiring_review_is_refused_naming_supplier_and_drug(cast):
    response = place(cast.client(cast.buyer_operator), (cast.offer.pk, 1))

    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "lines[0].offer_id", "code": "first_business_review_required", "message": SUPPLIER_MISSING},
        {"field": "lines[0].offer_id", "code": "first_business_review_required", "message": DRUG_MISSING},
    ]


def test_the_reason_is_reported_with_every_other_reason_at_once(cast):
    cast.offer.min_order_quantity = 5
    cast.offer.save()

    response = place(cast.client(cast.buyer_operator), (cast.offer.pk, 1))

    assert [e["code"] for e in response.json()["errors"]] == [
        "below_minimum_quantity",
        "first_business_review_required",
        "first_business_review_required",
    ]


def test_approving_supplier_and_drug_lets_the_order_through(cast):
    package(cast, agreement_until=in_days(200), registration_until=in_days(300))

    supplier = approve(cast, note="资质齐全")
    drug = approve(cast, cast.drug)
    placed = place(cast.client(cast.buyer_operator), (cast.offer.pk, 1))

    assert supplier.status_code == drug.status_code == 201
    # the approval lasts as long as the earliest document it rests on
    assert (supplier.json()["status"], supplier.json()["valid_until"]) == ("approved", in_days(200).isoformat())
    assert supplier.json()["in_force"] is True
    assert [entry["type"] for entry in supplier.json()["basis"]] == ["license_copy", "quality_agreement"]
    assert drug.json()["valid_until"] == in_days(300).isoformat()
    assert placed.status_code == 201, placed.json()
    events = OutboxEvent.objects.filter(event_type="first_business.approved")
    assert sorted(events.values_list("organization_id", flat=True)) == sorted([cast.buyer.pk, cast.supplier.pk] * 2)


def test_an_approval_expires_with_its_document(cast):
    package(cast, agreement_until=in_days(10))
    approve(cast)
    approve(cast, cast.drug)

    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        on_last_day = place(cast.client(cast.buyer_operator), (cast.offer.pk, 1), key="last-day")
    with time_machine.travel(timezone.now() + timedelta(days=11), tick=False):
        after = place(cast.client(cast.buyer_operator), (cast.offer.pk, 1), key="after")
        counts = document_expiry_run()

    assert on_last_day.status_code == 201, on_last_day.json()
    assert after.status_code == 409
    assert reasons(after) == [
        (
            "first_business_review_required",
            f"Your approval of this supplier (首营企业) expired on {in_days(10)}; review its renewed documents.",
        )
    ]
    assert counts["approvals_expired"] == 1
    review = FirstBusinessReview.objects.get(drug__isnull=True)
    assert review.status == "expired"
    assert sorted(
        OutboxEvent.objects.filter(event_type="first_business.approval_expired").values_list(
            "organization_id", flat=True
        )
    ) == sorted([cast.buyer.pk, cast.supplier.pk])


def test_approving_needs_the_package_shared_and_current_documents(cast):
    not_shared = approve(cast)
    share(cast)
    nothing = approve(cast)
    licence_copy(cast)
    registration(cast, valid_until=in_days(5))
    drug_ok = approve(cast, cast.drug)

    assert (not_shared.status_code, not_shared.json()["code"]) == (409, "first_business_package_not_shared")
    assert (nothing.status_code, nothing.json()["code"]) == (409, "first_business_documents_missing")
    assert drug_ok.status_code == 201
    with time_machine.travel(timezone.now() + timedelta(days=6), tick=False):
        stale = approve(cast, cast.drug)
    assert (stale.status_code, stale.json()["code"]) == (409, "first_business_document_expired")


def test_a_rejection_is_recorded_with_its_reason_and_keeps_refusing(cast):
    rejected = cast.client(cast.buyer_quality).post(
        "/api/v1/first-business-reviews/reject/",
        {"supplier_id": cast.supplier.pk, "note": "GSP 证书过期"},
        format="json",
    )
    no_reason = cast.client(cast.buyer_quality).post(
        "/api/v1/first-business-reviews/reject/", {"supplier_id": cast.supplier.pk}, format="json"
    )
    response = place(cast.client(cast.buyer_operator), (cast.offer.pk, 1))

    assert (rejected.status_code, rejected.json()["status"], rejected.json()["note"]) == (
        201,
        "rejected",
        "GSP 证书过期",
    )
    assert no_reason.status_code == 400
    assert reasons(response)[0] == (
        "first_business_review_required",
        "Your quality staff rejected this supplier (首营企业).",
    )
    history = cast.client(cast.buyer_quality).get(f"/api/v1/first-business-reviews/{rejected.json()['id']}/history/")
    assert [(h["action"], h["note"]) for h in history.json()["results"]] == [("reject", "GSP 证书过期")]


def test_only_quality_people_decide(cast, api_key_for):
    from tests.conftest import client_for

    owner = MembershipFactory(organization=cast.buyer, role="owner").user
    body = {"supplier_id": cast.supplier.pk}
    path = "/api/v1/first-business-reviews/approve/"

    assert client_for(owner).post(path, body, format="json").status_code == 403
    assert client_for(cast.buyer_operator).post(path, body, format="json").status_code == 403
    assert client_for(api_key=api_key_for(cast.buyer, "quality")).post(path, body, format="json").status_code == 403


def test_reviews_are_the_buyers_own(cast):
    package(cast)
    review_id = approve(cast).json()["id"]

    assert cast.client(cast.buyer_operator).get(f"/api/v1/first-business-reviews/{review_id}/").status_code == 200
    assert cast.client(cast.supplier_owner).get(f"/api/v1/first-business-reviews/{review_id}/").status_code == 404
    assert cast.client(cast.third_owner).get(f"/api/v1/first-business-reviews/{review_id}/").status_code == 404


def test_a_buyer_that_switched_review_off_is_not_asked(cast):
    owner = MembershipFactory(organization=cast.buyer, role="owner").user
    from tests.conftest import client_for

    switched = client_for(owner).patch(
        f"/api/v1/organizations/{cast.buyer.pk}/", {"first_business_review_required": False}, format="json"
    )
    placed = place(cast.client(cast.buyer_operator), (cast.offer.pk, 1))

    assert (switched.status_code, switched.json()["first_business_review_required"]) == (200, False)
    assert placed.status_code == 201, placed.json()


def test_the_default_follows_the_kind(db):
    kinds = {"hospital": True, "distributor": True, "pharmacy": True, "clinic": False, "manufacturer": False}
    for kind, required in kinds.items():
        organization = Organization(kind=kind)
        assert organization.requires_first_business_review is required, kind


def test_the_gate_reads_approvals_in_one_query_whatever_the_lines(cast):
    from orders.compliance import LineRequest, gate_facts, today

    offers = [OfferFactory(supplier=cast.supplier, stock=10) for _ in range(10)]
    counts = []
    for lines in (offers[:1], offers):
        with CaptureQueriesContext(connection) as queries:
            gate_facts(buyer=cast.buyer, lines=[LineRequest(o.pk, 1) for o in lines], on=today())
        counts.append(len(queries))
    cast.buyer.first_business_review = False
    with CaptureQueriesContext(connection) as not_required:
        gate_facts(buyer=cast.buyer, lines=[LineRequest(o.pk, 1) for o in offers], on=today())

    # offers, standings and approvals in one statement (orders.sql.gate_reads), then the other rules' reads
    # (procurement's three for a public hospital); a buyer that requires no review reads no approvals in it
    assert counts[0] == counts[1] == len(not_required)
    reads = [q["sql"] for q in queries.captured_queries if "firstbusiness_firstbusinessreview" in q["sql"]]
    assert len(reads) == 1 and "catalog_offer" in reads[0] and "accounts_license" in reads[0]


def test_the_market_view_marks_offers_awaiting_review_in_one_query_a_page(cast):
    other_suppliers = [OfferFactory(drug=cast.drug, stock=10).supplier for _ in range(5)]
    client = cast.client(cast.buyer_operator)
    package(cast)
    approve(cast)

    with CaptureQueriesContext(connection) as small:
        client.get(f"/api/v1/drugs/{cast.drug.pk}/offers/", {"page_size": 1})
    with CaptureQueriesContext(connection) as large:
        page = client.get(f"/api/v1/drugs/{cast.drug.pk}/offers/").json()["results"]

    assert len(small) == len(large)
    marks = {offer["supplier"]["id"]: [(m["code"], m["subject"]) for m in offer["marks"]] for offer in page}
    assert marks[cast.supplier.pk] == [("first_business_review_required", "drug")]
    for supplier in other_suppliers:
        assert marks[supplier.pk] == [
            ("first_business_review_required", "supplier"),
            ("first_business_review_required", "drug"),
        ]


def test_the_reason_reads_in_chinese(cast):
    client = cast.client(cast.buyer_operator)
    body = {"lines": [{"offer_id": cast.offer.pk, "quantity": 1}]}

    response = client.post("/api/v1/orders/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert [e["message"] for e in response.json()["errors"]] == [
        "贵机构质量人员尚未审核通过该供应商（首营企业）。",
        "贵机构质量人员尚未审核通过该供应商的该品种（首营品种）。",
    ]


def test_a_spoofed_upload_is_refused_in_chinese(cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = cast.client(cast.supplier_quality).post(
        "/api/v1/documents/",
        {
            "file": SimpleUploadedFile("a.pdf", b"<html></html>", content_type="application/pdf"),
            "type": "license_copy",
            "title": "x",
            "license_id": cast.license.pk,
        },
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )

    assert (response.status_code, response.json()["title"]) == (415, "资料须为 PDF、PNG 或 JPEG 文件（以文件内容为准）")
