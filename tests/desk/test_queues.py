"""The review queues on the admin index (issue 18): each a filtered changelist with its count, linked from the
index, and the decisions taken there go through the services the API calls, audited the same way, with a reason
asked on an intermediate page where the API asks one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone

from accounts.choices import LicenseStatus, OrganizationStatus
from accounts.models import License, Organization
from catalog.choices import DrugStatus
from desk.queues import QUEUES
from orders.choices import OrderStatus
from pharmex.models import AuditEvent
from settlements.choices import BankLineStatus, StatementStatus
from tests.desk.records import bank_lines, order, statement
from tests.factories import DrugFactory, LicenseFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db
LICENCES = "/admin/accounts/license/"


@pytest.fixture
def queued(buyer, supplier):
    """Records in most queues, and records beside them that are not in any."""
    LicenseFactory.create_batch(2, status=LicenseStatus.PENDING)
    LicenseFactory(status=LicenseStatus.REJECTED)
    OrganizationFactory(status=OrganizationStatus.PENDING, last_verified_at=None)
    DrugFactory(status=DrugStatus.PENDING_REVIEW)
    DrugFactory()
    statement(supplier=supplier, status=StatementStatus.DISPUTED)
    statement(supplier=supplier, status=StatementStatus.ISSUED)
    bank_lines(("1.00", BankLineStatus.UNMATCHED), ("2.00", BankLineStatus.AMBIGUOUS), ("3.00", BankLineStatus.MATCHED))
    late = order(buyer=buyer, supplier=supplier, placed_at=timezone.now(), gross="5.00", status=OrderStatus.CONFIRMED)
    late.overdue_at = timezone.now()
    late.save(update_fields=["overdue_at"])
    order(buyer=buyer, supplier=supplier, placed_at=timezone.now(), gross="5.00", status=OrderStatus.CONFIRMED)
    return {
        "licences": 2,
        "organisations": 1,
        "reverifications": 0,
        "documents": 0,
        "drugs": 1,
        "diversions": 0,
        "bank_lines": 2,
        "statements": 1,
        "overdue_shipments": 1,
    }


def test_each_queue_on_the_index_counts_the_rows_its_changelist_shows(client, reviewer, queued):
    # given
    client.force_login(reviewer)
    # when
    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    # then: every queue is on the index with its count and link, and the link lists exactly that many rows
    assert index.status_code == 200
    html = index.content.decode()
    assert {queue.key for queue in QUEUES} == set(queued)
    for queue in QUEUES:
        assert f'id="queue-{queue.key}"' in html
        assert queue.url().replace("&", "&amp;") in html
        shown = {item["key"]: item["count"] for item in index.context["queues"]}
        assert shown[queue.key] == queued[queue.key], queue.key
        changelist = client.get(queue.url())
        assert changelist.status_code == 200, queue.key
        assert changelist.context["cl"].result_count == queued[queue.key], queue.key
    assert "待审核证照" in html and "经营看板" in html  # in Chinese


def test_queues_are_shown_only_to_staff_who_may_open_them(client, queued):
    # given: staff without any permission in the admin site
    client.force_login(UserFactory(is_staff=True))
    # when
    index = client.get("/admin/")
    # then
    assert index.status_code == 200
    assert index.context["queues"] == [] and 'id="queue-' not in index.content.decode()


def test_a_licence_approved_from_the_queue_is_audited_as_the_api_audits_it(client, reviewer):
    # given: a renewal awaiting review
    licence = LicenseFactory(status=LicenseStatus.PENDING)
    client.force_login(reviewer)
    # when: the reviewer selects it in the queue and approves
    response = client.post(
        f"{LICENCES}?status__exact=pending",
        {"action": "approve_selected", ACTION_CHECKBOX_NAME: [licence.pk]},
        follow=True,
    )
    # then
    assert response.status_code == 200
    licence.refresh_from_db()
    assert licence.status == LicenseStatus.APPROVED and licence.reviewed_by == reviewer
    event = AuditEvent.objects.get(action="license.approved", object_id=str(licence.pk))
    assert event.actor_label == reviewer.email and event.actor_user_id == reviewer.pk


def test_rejecting_a_licence_asks_a_reason_first(client, reviewer):
    # given
    licence = LicenseFactory(status=LicenseStatus.PENDING)
    client.force_login(reviewer)
    selection = {"action": "reject_selected", ACTION_CHECKBOX_NAME: [licence.pk]}
    # when: the action is chosen: a page asks the reason, nothing is decided yet
    page = client.post(LICENCES, selection, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "驳回证照" in page.content.decode()
    assert License.objects.get(pk=licence.pk).status == LicenseStatus.PENDING
    # when: confirmed without a reason: refused, still pending
    empty = client.post(LICENCES, {**selection, "apply": "1", "reason": " "})
    assert empty.status_code == 200 and empty.context["form"].errors
    assert License.objects.get(pk=licence.pk).status == LicenseStatus.PENDING
    # when: confirmed with one
    done = client.post(LICENCES, {**selection, "apply": "1", "reason": "证照复印件模糊"})
    # then: rejected with the reason as its review note, audited
    assert done.status_code == 302
    licence.refresh_from_db()
    assert licence.status == LicenseStatus.REJECTED and licence.review_note == "证照复印件模糊"
    assert AuditEvent.objects.filter(action="license.rejected", object_id=str(licence.pk)).count() == 1


def test_organisations_are_verified_or_suspended_with_a_reason_from_their_queue(client, reviewer):
    pending = OrganizationFactory(status=OrganizationStatus.PENDING, last_verified_at=None)
    doubtful = OrganizationFactory(status=OrganizationStatus.PENDING, last_verified_at=None)
    client.force_login(reviewer)
    url = "/admin/accounts/organization/?status__exact=pending"

    client.post(url, {"action": "verify_selected", ACTION_CHECKBOX_NAME: [pending.pk]})
    client.post(
        url, {"action": "suspend_selected", ACTION_CHECKBOX_NAME: [doubtful.pk], "apply": "1", "reason": "地址不符"}
    )

    assert Organization.objects.get(pk=pending.pk).status == OrganizationStatus.VERIFIED
    suspended = Organization.objects.get(pk=doubtful.pk)
    assert suspended.status == OrganizationStatus.SUSPENDED and suspended.status_reason == "地址不符"
    assert set(AuditEvent.objects.filter(object_type="organization").values_list("object_id", "action")) >= {
        (str(pending.pk), "organization.verify"),
        (str(doubtful.pk), "organization.suspend"),
    }


def test_a_drug_proposal_is_rejected_with_a_reason(client, reviewer):
    proposal = DrugFactory(status=DrugStatus.PENDING_REVIEW)
    client.force_login(reviewer)

    client.post(
        "/admin/catalog/drug/",
        {"action": "withdraw_selected", ACTION_CHECKBOX_NAME: [proposal.pk], "apply": "1", "reason": "批准文号不符"},
    )

    proposal.refresh_from_db()
    assert proposal.status == DrugStatus.WITHDRAWN and proposal.status_note == "批准文号不符"


def test_a_disputed_statement_is_resolved_with_an_adjustment(client, reviewer, supplier):
    disputed = statement(supplier=supplier, status=StatementStatus.DISPUTED, net="100.00")
    client.force_login(reviewer)

    client.post(
        "/admin/settlements/statement/",
        {
            "action": "resolve_dispute",
            ACTION_CHECKBOX_NAME: [disputed.pk],
            "apply": "1",
            "reason": "运费计入",
            "amount": "12.50",
        },
    )

    disputed.refresh_from_db()
    assert disputed.status == StatementStatus.ISSUED and disputed.revision == 2
    assert disputed.net == disputed.gross + disputed.adjustments and str(disputed.adjustments) == "12.50"


def test_only_licences_still_pending_are_decided(client, reviewer):
    decided = LicenseFactory(status=LicenseStatus.REJECTED, valid_until=timezone.localdate() + timedelta(days=9))
    client.force_login(reviewer)

    client.post(LICENCES, {"action": "approve_selected", ACTION_CHECKBOX_NAME: [decided.pk]})

    assert License.objects.get(pk=decided.pk).status == LicenseStatus.REJECTED


def test_a_reason_asked_for_every_row_selected_across_pages_applies_to_all_of_them(client, reviewer):
    # given: two licences awaiting review, "select all" chosen on the changelist
    first, second = LicenseFactory.create_batch(2, status=LicenseStatus.PENDING)
    client.force_login(reviewer)
    selection = {"action": "reject_selected", ACTION_CHECKBOX_NAME: [first.pk], "select_across": "1"}
    # when: the intermediate page is shown, then confirmed as the page posts it back
    page = client.post(LICENCES, selection)
    assert page.context["select_across"] == "1" and len(page.context["objects"]) == 2
    client.post(LICENCES, {**selection, "apply": "1", "reason": "材料不全"})
    # then
    assert set(License.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {"rejected"}
