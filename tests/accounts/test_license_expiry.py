"""The daily licence job (SPEC §3): warn 30 and 7 days ahead, stop trading at expiry until a renewal is approved."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from accounts.choices import LicenseStatus, LicenseType, MemberRole, OrganizationKind
from accounts.models import License
from accounts.selectors import organization_may_trade
from accounts.services import license_expiry_run
from accounts.tasks import license_expiry_run_task
from pharmex.models import AuditEvent
from pharmex.schedules import SCHEDULES
from tests.accounts.helpers import audit_rows
from tests.factories import LicenseFactory, MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo(settings.TIME_ZONE)
ISSUED = date(2027, 3, 1)
EXPIRES = ISSUED + timedelta(days=40)  # 2027-04-10
RETAIL = "Drug retail licence (药品经营许可证·零售)"


def travel(time_machine, day: date) -> datetime:
    """Stop the clock at 09:00 Beijing time on `day` (the job runs just after midnight, any hour will do)."""
    moment = datetime.combine(day, time(9, 0), tzinfo=SHANGHAI)
    time_machine.move_to(moment, tick=False)
    return moment


@pytest.fixture
def pharmacy(time_machine):
    travel(time_machine, ISSUED)
    organization = OrganizationFactory(kind=OrganizationKind.PHARMACY, legal_name="琼海市康民大药房", trading=False)
    owner = MembershipFactory(organization=organization, role=MemberRole.OWNER, user__email="owner@kangmin.test").user
    MembershipFactory(organization=organization, role=MemberRole.OPERATOR, user__email="operator@kangmin.test")
    license = LicenseFactory(
        organization=organization,
        type=LicenseType.DRUG_RETAIL,
        number="琼DA0460001",
        valid_from=date(2022, 4, 11),
        valid_until=EXPIRES,
    )
    return organization, owner, license


def run_job(django_capture_on_commit_callbacks, day: date) -> tuple[dict, int]:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        counts = license_expiry_run(today=day)
    return counts, len(callbacks)


def sent() -> list[tuple]:
    return [(message.subject, message.body, message.from_email, message.to) for message in mail.outbox]


def warning_email(days: int, to: str) -> tuple:
    return (
        f"PharmEx: licence 琼DA0460001 expires in {days} days",
        f"Your {RETAIL} 琼DA0460001 expires on 2027-04-10. "
        "Upload the renewed licence before then to keep trading without interruption.",
        settings.DEFAULT_FROM_EMAIL,
        [to],
    )


def suspension_email(to: str) -> tuple:
    return (
        "PharmEx: trading suspended — licence expired",
        f"Your {RETAIL} 琼DA0460001 expired on 2027-04-10. "
        "Your offers are hidden and orders are refused until a renewed licence is approved.",
        settings.DEFAULT_FROM_EMAIL,
        [to],
    )


def test_warns_at_30_and_7_days_then_suspends_until_a_renewal_is_approved(
    pharmacy, time_machine, django_capture_on_commit_callbacks, as_client, admin_user
):
    organization, owner, license = pharmacy
    org_id, lic_id = organization.pk, str(license.pk)
    assert organization_may_trade(organization=organization) is True

    # when: 31 days before expiry, nothing is due yet
    travel(time_machine, EXPIRES - timedelta(days=31))
    assert run_job(django_capture_on_commit_callbacks, EXPIRES - timedelta(days=31)) == (
        {"warned": 0, "expired": 0},
        0,
    )
    assert mail.outbox == []

    # when: 30 days before expiry
    day = EXPIRES - timedelta(days=30)
    travel(time_machine, day)
    counts, callbacks = run_job(django_capture_on_commit_callbacks, day)

    # then: one warning to the owner (not the operator), and its audit record
    assert (counts, callbacks) == ({"warned": 1, "expired": 0}, 1)
    assert sent() == [warning_email(30, owner.email)]
    warning = AuditEvent.objects.get(action="license.expiry_warning")
    assert (warning.actor_type, warning.actor_label, warning.actor_user_id) == ("system", "system", None)
    assert (warning.organization_id, warning.object_type, warning.object_id) == (org_id, "license", lic_id)
    assert warning.changes == {"days_left": 30, "valid_until": "2027-04-10"}

    # when: the job runs again the same day, and on the following days
    for day in (EXPIRES - timedelta(days=30), EXPIRES - timedelta(days=29), EXPIRES - timedelta(days=8)):
        travel(time_machine, day)
        assert run_job(django_capture_on_commit_callbacks, day) == ({"warned": 0, "expired": 0}, 0)

    # then: nothing new
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="license.expiry_warning").count() == 1

    # when: 7 days before expiry
    day = EXPIRES - timedelta(days=7)
    travel(time_machine, day)
    counts, callbacks = run_job(django_capture_on_commit_callbacks, day)

    # then: the second warning
    assert (counts, callbacks) == ({"warned": 1, "expired": 0}, 1)
    assert sent() == [warning_email(30, owner.email), warning_email(7, owner.email)]
    assert list(
        AuditEvent.objects.filter(action="license.expiry_warning").order_by("id").values_list("changes", flat=True)
    ) == [
        {"days_left": 30, "valid_until": "2027-04-10"},
        {"days_left": 7, "valid_until": "2027-04-10"},
    ]

    # when: the last valid day and the days in between
    for day in (EXPIRES - timedelta(days=6), EXPIRES):
        travel(time_machine, day)
        assert run_job(django_capture_on_commit_callbacks, day) == ({"warned": 0, "expired": 0}, 0)

    # then: still trading on the last day of validity
    assert organization_may_trade(organization=organization) is True

    # when: the day after expiry
    day = EXPIRES + timedelta(days=1)
    moment = travel(time_machine, day)
    counts, callbacks = run_job(django_capture_on_commit_callbacks, day)

    # then: trading stops, the owner is told, and both facts are audited
    assert (counts, callbacks) == ({"warned": 0, "expired": 1}, 1)
    assert organization_may_trade(organization=organization) is False
    assert sent()[2:] == [suspension_email(owner.email)]
    license.refresh_from_db()
    assert license.expiry_notified_at == moment
    assert audit_rows(organization_id=org_id, action__in=["license.expired", "organization.trading_suspended"]) == [
        ("license.expired", "system", None, org_id, "license", lic_id),
        ("organization.trading_suspended", "system", None, org_id, "organization", str(org_id)),
    ]
    assert AuditEvent.objects.get(action="organization.trading_suspended").changes == {
        "reason": "trading licence expired",
        "license": license.pk,
    }

    # when: the job runs again
    assert run_job(django_capture_on_commit_callbacks, day) == ({"warned": 0, "expired": 0}, 0)

    # then: nothing new
    assert len(mail.outbox) == 3
    assert AuditEvent.objects.filter(action="organization.trading_suspended").count() == 1

    # when: the owner submits the renewed licence and an admin approves it
    response = as_client(owner).post(
        "/api/v1/licenses/",
        {
            "type": "drug_retail",
            "number": "琼DA0460002",
            "scope_tags": ["chemical", "otc", "rx"],
            "valid_from": "2027-04-11",
            "valid_until": "2032-04-10",
        },
        format="json",
    )
    assert response.status_code == 201
    renewal = License.objects.get(number="琼DA0460002")
    assert organization_may_trade(organization=organization) is False
    response = as_client(admin_user).post(f"/api/v1/licenses/{renewal.pk}/approve/", {}, format="json")

    # then: trading is restored, and that is audited
    assert response.status_code == 200
    assert organization_may_trade(organization=organization) is True
    assert audit_rows(organization_id=org_id, action="organization.trading_restored") == [
        ("organization.trading_restored", "user", admin_user.pk, org_id, "organization", str(org_id))
    ]
    assert AuditEvent.objects.get(action="organization.trading_restored").changes == {"license": renewal.pk}


def test_a_renewal_approved_before_expiry_keeps_trading_without_interruption(
    pharmacy, time_machine, django_capture_on_commit_callbacks
):
    # given: the renewal, starting the day after expiry, is already approved
    organization, _, license = pharmacy
    LicenseFactory(
        organization=organization,
        type=LicenseType.DRUG_RETAIL,
        number="琼DA0460002",
        valid_from=EXPIRES + timedelta(days=1),
        valid_until=EXPIRES + timedelta(days=5 * 365),
    )
    day = EXPIRES + timedelta(days=1)
    travel(time_machine, day)

    # when
    counts, callbacks = run_job(django_capture_on_commit_callbacks, day)

    # then: the old licence's expiry is recorded, but trading is not suspended and nobody is alarmed
    assert (counts, callbacks) == ({"warned": 0, "expired": 1}, 0)
    assert organization_may_trade(organization=organization) is True
    assert mail.outbox == []
    assert audit_rows(organization_id=organization.pk) == [
        ("license.expired", "system", None, organization.pk, "license", str(license.pk))
    ]


def test_an_expired_licence_that_is_not_the_trading_licence_does_not_suspend(
    pharmacy, time_machine, django_capture_on_commit_callbacks
):
    # given: the business licence (营业执照) expires, the trading licence stays valid
    organization, _, license = pharmacy
    license.valid_until = date(2030, 1, 1)
    license.save()
    business = LicenseFactory(organization=organization, type=LicenseType.BUSINESS, number="BL-1", valid_until=EXPIRES)
    day = EXPIRES + timedelta(days=1)
    travel(time_machine, day)

    # when
    counts, callbacks = run_job(django_capture_on_commit_callbacks, day)

    # then
    assert (counts, callbacks) == ({"warned": 0, "expired": 1}, 0)
    assert organization_may_trade(organization=organization) is True
    assert audit_rows(organization_id=organization.pk) == [
        ("license.expired", "system", None, organization.pk, "license", str(business.pk))
    ]


def test_a_licence_first_seen_inside_the_7_day_window_gets_one_warning(
    pharmacy, time_machine, django_capture_on_commit_callbacks
):
    # given: the job first sees the licence 5 days before expiry
    _, _, license = pharmacy
    day = EXPIRES - timedelta(days=5)
    travel(time_machine, day)

    # when
    first = run_job(django_capture_on_commit_callbacks, day)
    later = run_job(django_capture_on_commit_callbacks, EXPIRES - timedelta(days=2))

    # then
    assert (first, later) == (({"warned": 1, "expired": 0}, 1), ({"warned": 0, "expired": 0}, 0))
    assert [message.subject for message in mail.outbox] == ["PharmEx: licence 琼DA0460001 expires in 5 days"]
    license.refresh_from_db()
    assert license.expiry_warning_sent_days == 7


@pytest.mark.parametrize("status", [LicenseStatus.PENDING, LicenseStatus.REJECTED])
def test_licences_not_approved_are_neither_warned_nor_expired(status, time_machine, django_capture_on_commit_callbacks):
    # given
    travel(time_machine, ISSUED)
    organization = OrganizationFactory(kind=OrganizationKind.PHARMACY, trading=False)
    MembershipFactory(organization=organization, role=MemberRole.OWNER)
    LicenseFactory(organization=organization, status=status, valid_from=date(2022, 1, 1), valid_until=EXPIRES)

    # when
    for day in (EXPIRES - timedelta(days=30), EXPIRES - timedelta(days=7), EXPIRES + timedelta(days=1)):
        travel(time_machine, day)
        assert run_job(django_capture_on_commit_callbacks, day) == ({"warned": 0, "expired": 0}, 0)

    # then
    assert mail.outbox == []
    assert AuditEvent.objects.exists() is False


def test_the_celery_task_body_runs_the_job_for_today(pharmacy, time_machine, django_capture_on_commit_callbacks):
    # given
    _, owner, license = pharmacy
    travel(time_machine, EXPIRES - timedelta(days=30))

    # when: the task body, as a worker would call it (today from the clock)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = license_expiry_run_task.run()

    # then
    assert result == {"warned": 1, "expired": 0}
    assert len(callbacks) == 1
    assert sent() == [warning_email(30, owner.email)]
    assert audit_rows(action="license.expiry_warning") == [
        ("license.expiry_warning", "system", None, license.organization_id, "license", str(license.pk))
    ]


def test_the_task_is_registered_under_its_scheduled_name_and_acknowledged_late():
    assert license_expiry_run_task.name == "accounts.tasks.license_expiry_run_task"
    assert license_expiry_run_task.acks_late is True


def test_the_daily_schedule_exists_and_setup_schedules_installs_it():
    # given
    expected = {
        "name": "Licence expiry warnings and suspension",
        "task": "accounts.tasks.license_expiry_run_task",
        "crontab": {"minute": "5", "hour": "0"},
    }
    assert [entry for entry in SCHEDULES if entry["task"] == "accounts.tasks.license_expiry_run_task"] == [expected]

    # when
    call_command("setup_schedules", stdout=StringIO())

    # then
    task = PeriodicTask.objects.get(name="Licence expiry warnings and suspension")
    assert (task.task, task.enabled, task.interval) == ("accounts.tasks.license_expiry_run_task", True, None)
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == ("5", "0", settings.TIME_ZONE)


@pytest.mark.django_db
def test_expiry_warnings_and_suspension_reach_the_organisations_webhook_outbox():
    from datetime import timedelta

    from django.utils import timezone

    from accounts.services import license_expiry_run
    from tests.factories import OrganizationFactory
    from webhooks.models import OutboxEvent

    organization = OrganizationFactory()
    license = organization.licenses.get()
    license.valid_until = timezone.localdate() + timedelta(days=5)
    license.save()

    license_expiry_run(today=timezone.localdate())
    license_expiry_run(today=timezone.localdate() + timedelta(days=6))

    events = list(OutboxEvent.objects.filter(organization=organization).order_by("id"))
    assert [e.event_type for e in events] == ["license.expiring", "organization.trading_suspended"]
    assert events[0].payload["days_left"] == 5
    assert events[1].payload["reason"] == "trading licence expired"
