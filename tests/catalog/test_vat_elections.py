"""Simplified VAT (3%): elected per drug by its supplier, for eligible drugs only, locked for 36 months (SPEC §4)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import MemberRole
from catalog.models import Offer, SimplifiedVatElection
from catalog.tasks import import_job_run_task
from pharmex.calendar import add_months
from pharmex.models import AuditEvent
from tests.factories import DrugFactory, MembershipFactory, OfferFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
PROBLEMS = "https://pharmex.example/problems/"


@pytest.fixture
def offer(seller):
    organization, _ = seller
    return OfferFactory(supplier=organization, drug=DrugFactory(simplified_vat_class="anticancer"))


def elect(client, offer, **body):
    return client.post(f"/api/v1/offers/{offer.pk}/simplified-vat/", body, format="json")


def end(client, offer):
    return client.delete(f"/api/v1/offers/{offer.pk}/simplified-vat/")


def test_an_eligible_drug_is_elected_with_its_start_date_and_the_offer_follows(as_client, seller, offer):
    _, user = seller
    client = as_client(user)
    today = timezone.localdate()

    response = elect(client, offer)

    assert response.status_code == 201, response.json()
    assert {k: response.json()[k] for k in ("drug", "started_on", "locked_until", "ended_on")} == {
        "drug": offer.drug_id,
        "started_on": today.isoformat(),
        "locked_until": add_months(today, 36).isoformat(),
        "ended_on": None,
    }
    shown = client.get(f"/api/v1/offers/{offer.pk}/").json()
    assert shown["vat_rate"] == "0.03"
    assert shown["simplified_vat"] == {
        "started_on": today.isoformat(),
        "locked_until": add_months(today, 36).isoformat(),
    }
    assert AuditEvent.objects.filter(action="offer.vat_elected", object_id=str(offer.pk)).count() == 1


def test_an_earlier_start_is_recorded_and_the_future_is_refused(as_client, seller, offer):
    _, user = seller
    future = elect(as_client(user), offer, started_on=(timezone.localdate() + timedelta(days=1)).isoformat())
    earlier = elect(as_client(user), offer, started_on="2025-03-31")
    assert future.status_code == 400
    assert (earlier.json()["started_on"], earlier.json()["locked_until"]) == ("2025-03-31", "2028-03-31")


def test_ineligible_drugs_and_a_second_election_are_refused(as_client, seller, offer):
    organization, user = seller
    client = as_client(user)
    chemical = OfferFactory(supplier=organization, drug=DrugFactory())
    assert (elect(client, chemical).status_code, elect(client, chemical).json()["type"]) == (
        409,
        PROBLEMS + "vat-election-not-allowed",
    )
    assert elect(client, offer).status_code == 201
    again = elect(client, offer)
    assert (again.status_code, again.json()["type"]) == (409, PROBLEMS + "vat-election-not-allowed")
    assert SimplifiedVatElection.objects.count() == 1


def test_the_rate_stays_3_percent_while_the_election_runs(as_client, seller, offer):
    _, user = seller
    client = as_client(user)
    elect(client, offer)
    response = client.patch(f"/api/v1/offers/{offer.pk}/", {"vat_rate": "0.13"}, format="json")
    assert (response.status_code, response.json()["type"]) == (400, PROBLEMS + "vat-rate-not-allowed")
    assert Offer.objects.get(pk=offer.pk).vat_rate == Decimal("0.03")


def test_the_election_is_locked_for_36_months_then_may_end(as_client, seller, offer):
    _, user = seller
    started = date(2026, 8, 31)
    with time_machine.travel(started, tick=False):
        elect(as_client(user), offer)
    locked_until = date(2029, 8, 31)

    with time_machine.travel(locked_until - timedelta(days=1), tick=False):
        early = end(as_client(user), offer)
    with time_machine.travel(locked_until, tick=False):
        ended = end(as_client(user), offer)
        after = end(as_client(user), offer)

    assert (early.status_code, early.json()["type"]) == (409, PROBLEMS + "vat-election-locked")
    assert ended.status_code == 200, ended.json()
    assert (ended.json()["vat_rate"], ended.json()["simplified_vat"]) == ("0.13", None)
    assert after.status_code == 404
    election = SimplifiedVatElection.objects.get()
    assert (election.started_on, election.locked_until, election.ended_on) == (started, locked_until, locked_until)


def test_only_the_suppliers_sellers_elect(as_client, seller, offer, pharmacy_user):
    organization, _ = seller
    viewer = MembershipFactory(organization=organization, role=MemberRole.VIEWER).user
    stranger = MembershipFactory(organization=OrganizationFactory(), role=MemberRole.OWNER).user
    assert elect(as_client(viewer), offer).status_code == 403
    assert elect(as_client(pharmacy_user), offer).status_code == 404  # another organisation's offer: not found
    assert elect(as_client(stranger), offer).status_code == 404
    assert SimplifiedVatElection.objects.exists() is False


def test_the_offer_import_needs_the_election_for_3_percent(
    as_client, seller, offer, django_capture_on_commit_callbacks
):
    _, user = seller
    client = as_client(user)
    other = DrugFactory(simplified_vat_class="biologic")

    def run(content: bytes) -> dict:
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(
                "/api/v1/offer-imports/", {"file": SimpleUploadedFile("o.csv", content)}, format="multipart"
            )
        import_job_run_task.run(response.json()["id"])
        return client.get(f"/api/v1/offer-imports/{response.json()['id']}/").json()

    elect(client, offer)
    job = run(f"drug_id,unit_price,stock,vat_rate\n{offer.drug_id},9.00,10,3%\n{other.pk},9.00,10,3%\n".encode())

    assert job["counts"] == {"created": 0, "updated": 1, "unchanged": 0, "failed": 1}
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(3, "vat_rate")]
    assert Offer.objects.get(pk=offer.pk).vat_rate == Decimal("0.03")
