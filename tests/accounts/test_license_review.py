"""Licence submission and review rules: owners submit and correct, admins decide, approved licences are locked."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.choices import LicenseStatus, LicenseType
from accounts.models import License
from pharmex.api.etag import etag_for
from pharmex.models import AuditEvent
from tests.accounts.helpers import audit_rows, license_body, not_writable, problem, validation_error
from tests.factories import LicenseFactory

pytestmark = pytest.mark.django_db

LOCKED = "An approved licence cannot be changed; submit a renewal instead"
BUSINESS = {"type": "business", "number": "BL-1", "valid_from": "2024-01-01", "valid_until": "2044-01-01"}


@pytest.fixture
def approved(cast) -> License:
    return License.objects.get(organization=cast.org_a, status=LicenseStatus.APPROVED)


def pending_of(cast, **fields) -> License:
    return LicenseFactory(
        organization=cast.org_a,
        type=LicenseType.BUSINESS,
        number="BL-1",
        scope_tags=[],
        status=fields.pop("status", LicenseStatus.PENDING),
        valid_from=date(2024, 1, 1),
        valid_until=date(2044, 1, 1),
        **fields,
    )


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_an_approved_licence_is_locked(cast, approved, method):
    # given
    before = license_body(approved)

    # when
    client = cast.client("owner")
    if method == "patch":
        response = client.patch(f"/api/v1/licenses/{approved.pk}/", {"number": "琼X"}, format="json")
    else:
        response = client.delete(f"/api/v1/licenses/{approved.pk}/")

    # then
    assert (response.status_code, response.json()) == (
        409,
        problem("license-locked", 409, LOCKED, LOCKED, code="license_locked"),
    )
    assert license_body(approved) == before
    assert AuditEvent.objects.exists() is False


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("status", [LicenseStatus.APPROVED, LicenseStatus.REJECTED])
def test_only_a_pending_licence_is_reviewed(cast, action, status):
    # given
    license = pending_of(cast, status=status)

    # when
    response = cast.client("admin").post(f"/api/v1/licenses/{license.pk}/{action}/", {"note": "再审"}, format="json")

    # then
    title = "This action is not allowed in the current state"
    assert (response.status_code, response.json()) == (
        409,
        problem(
            "invalid-transition",
            409,
            title,
            f"Cannot {action} a licence that is {status}.",
            code="invalid_transition",
        ),
    )
    license.refresh_from_db()
    assert (license.status, license.reviewed_at) == (status, None)
    assert AuditEvent.objects.exists() is False


def test_a_rejection_needs_a_note(cast):
    # given
    license = pending_of(cast)

    # when
    response = cast.client("admin").post(f"/api/v1/licenses/{license.pk}/reject/", {}, format="json")

    # then
    assert (response.status_code, response.json()) == (
        400,
        validation_error([{"field": "note", "code": "required", "message": "This field is required."}]),
    )
    license.refresh_from_db()
    assert license.status == LicenseStatus.PENDING


def test_a_rejected_licence_corrected_by_the_owner_returns_to_review(cast):
    # given
    license = pending_of(cast)
    assert (
        cast.client("admin")
        .post(f"/api/v1/licenses/{license.pk}/reject/", {"note": "编号与原件不符"}, format="json")
        .status_code
        == 200
    )

    # when
    response = cast.client("owner").patch(f"/api/v1/licenses/{license.pk}/", {"number": "BL-2"}, format="json")

    # then
    license.refresh_from_db()
    assert (response.status_code, response.json()) == (200, license_body(license))
    assert (license.number, license.status) == ("BL-2", LicenseStatus.PENDING)
    assert response.headers["ETag"] == etag_for(license)
    owner, admin = cast.users["owner"].pk, cast.users["admin"].pk
    assert audit_rows() == [
        ("license.rejected", "user", admin, cast.org_a.pk, "license", str(license.pk)),
        ("license.updated", "user", owner, cast.org_a.pk, "license", str(license.pk)),
        ("license.resubmit", "user", owner, cast.org_a.pk, "license", str(license.pk)),
    ]
    assert list(AuditEvent.objects.order_by("id").values_list("changes", flat=True)) == [
        {"status": ["pending", "rejected"], "note": "编号与原件不符"},
        {"number": ["BL-1", "BL-2"]},
        {"status": ["rejected", "pending"], "note": "Corrected after rejection."},
    ]
    assert list(license.status_changes.values_list("action", "from_status", "to_status", "actor", "note")) == [
        ("reject", "pending", "rejected", cast.users["admin"].email, "编号与原件不符"),
        ("resubmit", "rejected", "pending", cast.users["owner"].email, "Corrected after rejection."),
    ]


def test_the_owner_deletes_a_pending_licence_and_it_is_audited(cast):
    # given
    license = pending_of(cast)

    # when
    response = cast.client("owner").delete(f"/api/v1/licenses/{license.pk}/")

    # then
    assert response.status_code == 204
    assert License.objects.filter(pk=license.pk).exists() is False
    assert audit_rows() == [
        ("license.deleted", "user", cast.users["owner"].pk, cast.org_a.pk, "license", str(license.pk))
    ]
    assert AuditEvent.objects.get().changes == {"number": "BL-1", "type": "business"}


def test_a_licence_patch_with_a_stale_etag_is_refused(cast):
    # given
    license = pending_of(cast)
    stale = cast.client("owner").get(f"/api/v1/licenses/{license.pk}/").headers["ETag"]
    License.objects.filter(pk=license.pk).update(number="BL-9")  # someone else's change bumps the version
    license.save(update_fields=["updated_at"])
    license.refresh_from_db()

    # when
    response = cast.client("owner").patch(
        f"/api/v1/licenses/{license.pk}/", {"number": "BL-2"}, format="json", HTTP_IF_MATCH=stale
    )

    # then
    title = "The resource has changed since you read it"
    assert (response.status_code, response.json()) == (
        412,
        problem(
            "precondition-failed",
            412,
            title,
            f"Current ETag is {etag_for(license)}; read the resource again.",
            code="precondition_failed",
        ),
    )
    license.refresh_from_db()
    assert license.number == "BL-9"


@pytest.mark.parametrize(
    ("_case", "body", "expected"),
    [
        ("owners cannot self-approve", {**BUSINESS, "status": "approved"}, not_writable("status")),
        (
            "nor file for another organisation",
            {**BUSINESS, "organization": 999, "review_note": "ok"},
            not_writable("organization", "review_note"),
        ),
        (
            "validity ends before it starts",
            {**BUSINESS, "valid_until": "2023-12-31"},
            validation_error(
                [{"field": "valid_until", "code": "date_range", "message": "Must not be before valid_from."}]
            ),
        ),
        (
            "unknown scope tag",
            {**BUSINESS, "scope_tags": ["chemical", "narcotics"]},
            validation_error(
                [{"field": "scope_tags[1]", "code": "invalid_choice", "message": '"narcotics" is not a valid choice.'}]
            ),
        ),
    ],
)
def test_licence_submission_refuses_invalid_input(cast, _case, body, expected):
    # when
    response = cast.client("owner").post("/api/v1/licenses/", body, format="json")

    # then
    assert (response.status_code, response.json()) == (400, expected)
    assert License.objects.filter(number="BL-1").exists() is False
    assert AuditEvent.objects.exists() is False


def test_the_same_licence_number_cannot_be_submitted_twice(cast):
    # given
    pending_of(cast)

    # when
    response = cast.client("owner").post("/api/v1/licenses/", BUSINESS, format="json")

    # then
    assert (response.status_code, response.json()) == (
        400,
        validation_error(
            [
                {
                    "field": None,
                    "code": "unique_together",
                    "message": "License with this Organization, Type and Number already exists.",
                }
            ]
        ),
    )
    assert License.objects.filter(number="BL-1").count() == 1
    assert AuditEvent.objects.exists() is False


def test_a_validity_change_is_checked_against_the_stored_start(cast):
    # given: valid from 2024-01-01
    license = pending_of(cast)

    # when
    response = cast.client("owner").patch(
        f"/api/v1/licenses/{license.pk}/", {"valid_until": "2023-06-30"}, format="json"
    )

    # then
    assert (response.status_code, response.json()) == (
        400,
        validation_error([{"field": "valid_until", "code": "date_range", "message": "Must not be before valid_from."}]),
    )
    license.refresh_from_db()
    assert license.valid_until == date(2044, 1, 1)
