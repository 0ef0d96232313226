"""Periodic re-verification of trading organisations (SPEC §3), with time travel."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.choices import MemberRole, OrganizationStatus
from accounts.models import Organization, Reverification
from accounts.selectors import organization_may_trade
from accounts.services import reverification_run
from pharmex.models import AuditEvent
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db
VERIFIED = timezone.make_aware(datetime(2026, 1, 15, 10, 0))


def at(day: date):
    return time_machine.travel(timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=1))


@pytest.fixture
def merchant(db):
    organization = OrganizationFactory(last_verified_at=VERIFIED)
    organization.licenses.update(valid_from=date(2025, 1, 1), valid_until=date(2030, 1, 1))
    return organization


@pytest.fixture
def admin(db):
    return client_for(UserFactory(staff_role="admin", is_staff=True))


def test_a_review_opens_six_months_after_the_last_verification(merchant):
    with at(date(2026, 7, 14)):
        assert reverification_run() == {"opened": 0, "suspended": 0}
    with at(date(2026, 7, 15)):
        assert reverification_run() == {"opened": 1, "suspended": 0}
        assert reverification_run() == {"opened": 0, "suspended": 0}  # one open review at a time
    review = Reverification.objects.get()
    assert (review.organization_id, review.status, review.due_on) == (merchant.pk, "open", date(2026, 7, 15))
    assert AuditEvent.objects.filter(action="reverification.opened", object_id=str(review.pk)).count() == 1


def test_the_interval_and_the_grace_are_settings(settings, merchant):
    settings.REVERIFICATION_INTERVAL_MONTHS, settings.REVERIFICATION_GRACE_DAYS = 3, 10
    with at(date(2026, 4, 15)):
        assert reverification_run()["opened"] == 1
    with at(date(2026, 4, 25)):
        assert reverification_run()["suspended"] == 0
    with at(date(2026, 4, 26)):
        assert reverification_run()["suspended"] == 1


def test_overdue_by_the_grace_days_suspends_with_a_reason_and_a_passed_review_restores(merchant):
    with at(date(2026, 7, 15)):
        reverification_run()
    with at(date(2026, 8, 14)):  # 30 days past due: still in grace
        assert reverification_run()["suspended"] == 0
    with at(date(2026, 8, 15)):
        assert reverification_run()["suspended"] == 1
        assert reverification_run()["suspended"] == 0
        merchant.refresh_from_db()
        assert (merchant.status, merchant.status_reason) == ("suspended", "Re-verification overdue since 2026-07-15.")
        assert organization_may_trade(organization=merchant) is False
    assert OutboxEvent.objects.filter(event_type="organization.trading_suspended").count() == 1
    review = Reverification.objects.get()

    with at(date(2026, 8, 20)):
        reviewer = client_for(UserFactory(staff_role="admin", is_staff=True, email="reviewer@platform.test"))
        response = reviewer.post(f"/api/v1/reverifications/{review.pk}/pass/", {"note": "资质齐全"}, format="json")
        assert organization_may_trade(organization=Organization.objects.get(pk=merchant.pk)) is True

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["decided_by"]) == ("passed", "reviewer@platform.test")
    merchant.refresh_from_db()
    assert merchant.status == OrganizationStatus.VERIFIED
    assert timezone.localdate(merchant.last_verified_at) == date(2026, 8, 20)
    assert list(merchant.status_changes.values_list("action", "to_status")) == [
        ("suspend", "suspended"),
        ("reinstate", "verified"),
    ]
    # the next review is six months after this one
    with at(date(2027, 2, 19)):
        assert reverification_run()["opened"] == 0
    with at(date(2027, 2, 20)):
        assert reverification_run()["opened"] == 1


def test_a_failed_review_suspends_with_the_reviewers_reason(merchant, admin):
    with at(date(2026, 7, 15)):
        reverification_run()
    review = Reverification.objects.get()
    without_reason = admin.post(f"/api/v1/reverifications/{review.pk}/fail/", {}, format="json")
    response = admin.post(f"/api/v1/reverifications/{review.pk}/fail/", {"note": "经营许可证已注销"}, format="json")
    twice = admin.post(f"/api/v1/reverifications/{review.pk}/pass/", {}, format="json")

    assert without_reason.status_code == 400
    assert response.status_code == 200
    assert (twice.status_code, twice.json()["code"]) == (409, "invalid_transition")
    merchant.refresh_from_db()
    assert (merchant.status, merchant.status_reason) == ("suspended", "Re-verification failed: 经营许可证已注销")
    history = admin.get(f"/api/v1/reverifications/{review.pk}/history/").json()["results"]
    assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == [("fail", "open", "failed")]


def test_an_organisation_suspended_for_another_reason_is_not_restored_by_the_review(merchant, admin):
    with at(date(2026, 7, 15)):
        reverification_run()
    Organization.objects.filter(pk=merchant.pk).update(status=OrganizationStatus.SUSPENDED, status_reason="违规")
    with at(date(2026, 9, 1)):
        assert reverification_run()["suspended"] == 0
    review = Reverification.objects.get()
    assert admin.post(f"/api/v1/reverifications/{review.pk}/pass/", {}, format="json").status_code == 200
    assert Organization.objects.get(pk=merchant.pk).status == OrganizationStatus.SUSPENDED


def test_a_review_opened_late_still_gets_the_whole_grace(merchant):
    # Data older than the job (its first run): due long ago, but never due before it is opened.
    Organization.objects.filter(pk=merchant.pk).update(last_verified_at=VERIFIED - timedelta(days=1000))
    with at(date(2026, 3, 1)):
        assert reverification_run() == {"opened": 1, "suspended": 0}
    with at(date(2026, 3, 31)):
        assert reverification_run()["suspended"] == 0
    assert Reverification.objects.get().due_on == date(2026, 3, 1)


def test_pending_and_suspended_organisations_get_no_review(db):
    OrganizationFactory(status=OrganizationStatus.PENDING, last_verified_at=None)
    OrganizationFactory(status=OrganizationStatus.SUSPENDED, last_verified_at=VERIFIED)
    with at(date(2027, 1, 1)):
        assert reverification_run() == {"opened": 0, "suspended": 0}


def test_only_admins_decide_and_organisations_read_only_their_own(merchant, admin):
    with at(date(2026, 7, 15)):
        reverification_run()
    review = Reverification.objects.get()
    owner = client_for(MembershipFactory(organization=merchant, role=MemberRole.OWNER).user)
    stranger = client_for(MembershipFactory(organization=OrganizationFactory(), role=MemberRole.OWNER).user)

    assert [r["id"] for r in admin.get("/api/v1/reverifications/?status=open").json()["results"]] == [review.pk]
    assert [r["id"] for r in owner.get("/api/v1/reverifications/").json()["results"]] == [review.pk]
    assert owner.post(f"/api/v1/reverifications/{review.pk}/pass/", {}, format="json").status_code == 403
    assert stranger.get(f"/api/v1/reverifications/{review.pk}/").status_code == 404
    assert stranger.get("/api/v1/reverifications/").json()["results"] == []
    assert Reverification.objects.get().status == "open"


def test_the_admin_site_is_the_review_queue(merchant, admin_user, client):
    admin_user.is_superuser = True
    admin_user.save()
    with at(date(2026, 7, 15)):
        reverification_run()
    review = Reverification.objects.get()
    client.force_login(admin_user)
    listing = client.get("/admin/accounts/reverification/?status__exact=open")
    response = client.post(
        "/admin/accounts/reverification/",
        {"action": "pass_selected", "_selected_action": [review.pk]},
    )
    assert listing.status_code == 200
    assert merchant.legal_name in listing.content.decode()
    assert response.status_code == 302
    assert Reverification.objects.get().status == "passed"
    assert AuditEvent.objects.filter(action="reverification.pass", actor_label=admin_user.email).count() == 1


def test_the_daily_schedule_runs_the_job():
    from pharmex.schedules import SCHEDULES

    assert [entry["task"] for entry in SCHEDULES if "reverification" in entry["task"]] == [
        "accounts.tasks.reverification_run_task"
    ]
