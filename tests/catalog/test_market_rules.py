"""What may be listed (SPEC §4): the complete ban list, registration validity, ceiling periods with history, and the
drug master data import of them; deleting an ordered offer."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from catalog.choices import DrugType, OfferStatus
from catalog.models import CeilingPrice, Drug, Offer
from catalog.tasks import import_job_run_task
from orders.models import Order
from pharmex.models import AuditEvent
from tests.conftest import client_for
from tests.factories import DrugFactory, MembershipFactory, OfferFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
PROBLEMS = "https://pharmex.example/problems/"


def _offer_body(drug, **overrides):
    return {"drug": drug.pk, "unit_price": "12.50", "stock": 100, **overrides}


@pytest.mark.parametrize("drug_type", [DrugType.INSTITUTION_PREPARATION, DrugType.TCM_FORMULA_GRANULE])
def test_institution_preparations_and_formula_granules_cannot_be_listed(as_client, seller, drug_type):
    _, user = seller
    response = as_client(user).post(
        "/api/v1/offers/", _offer_body(DrugFactory(drug_type=drug_type, approval_number=""))
    )
    assert response.status_code == 409
    assert response.json()["type"] == PROBLEMS + "network-sale-banned"
    assert [e["code"] for e in response.json()["errors"]] == [drug_type]
    assert Offer.objects.exists() is False


def test_a_drug_whose_registration_expired_cannot_be_listed_or_reactivated(as_client, seller):
    organization, user = seller
    yesterday = timezone.localdate() - timedelta(days=1)
    expired = DrugFactory(registration_valid_until=yesterday)
    paused = OfferFactory(supplier=organization, drug=DrugFactory(registration_valid_until=yesterday),
                          status=OfferStatus.PAUSED)  # fmt: skip
    client = as_client(user)

    listing = client.post("/api/v1/offers/", _offer_body(expired))
    reactivation = client.patch(f"/api/v1/offers/{paused.pk}/", {"status": "active"}, format="json")

    for response in (listing, reactivation):
        assert response.status_code == 409
        assert response.json()["type"] == PROBLEMS + "registration-expired"
    assert Offer.objects.filter(drug=expired).exists() is False


def test_drug_output_shows_the_new_master_data(as_client, pharmacy_user):
    today = timezone.localdate()
    drug = DrugFactory(registration_valid_until=today + timedelta(days=10), restricted_class="ephedrine_compound",
                       simplified_vat_class="anticancer", ceiling_price=Decimal("30.00"),
                       ceiling_effective_from=today - timedelta(days=5))  # fmt: skip
    body = as_client(pharmacy_user).get(f"/api/v1/drugs/{drug.pk}/").json()
    assert {
        k: body[k]
        for k in (
            "registration_valid_until",
            "restricted_class",
            "simplified_vat_class",
            "market_exit_at",
            "ceiling_price",
            "ceiling_effective_from",
        )
    } == {
        "registration_valid_until": (today + timedelta(days=10)).isoformat(),
        "restricted_class": "ephedrine_compound",
        "simplified_vat_class": "anticancer",
        "market_exit_at": None,
        "ceiling_price": "30.00",
        "ceiling_effective_from": (today - timedelta(days=5)).isoformat(),
    }


# --- ceiling prices ---------------------------------------------------------------------------------------------


def test_admins_set_ceiling_periods_and_everyone_reads_their_history(as_client, admin_user, pharmacy_user):
    today = timezone.localdate()
    drug = DrugFactory(ceiling_price=Decimal("20.00"), ceiling_effective_from=today - timedelta(days=100))
    admin = as_client(admin_user)

    future = admin.post(
        f"/api/v1/drugs/{drug.pk}/ceiling-prices/",
        {"price": "18.00", "effective_from": (today + timedelta(days=10)).isoformat(), "note": "第九批集采"},
        format="json",
    )
    conflict = admin.post(
        f"/api/v1/drugs/{drug.pk}/ceiling-prices/",
        {"price": "17.00", "effective_from": (today + timedelta(days=10)).isoformat()},
        format="json",
    )
    refused = as_client(pharmacy_user).post(
        f"/api/v1/drugs/{drug.pk}/ceiling-prices/",
        {"price": "1.00", "effective_from": today.isoformat()},
        format="json",
    )
    history = as_client(pharmacy_user).get(f"/api/v1/drugs/{drug.pk}/ceiling-prices/").json()["results"]
    shown = as_client(pharmacy_user).get(f"/api/v1/drugs/{drug.pk}/").json()

    assert future.status_code == 201, future.json()
    assert (conflict.status_code, conflict.json()["type"]) == (409, PROBLEMS + "ceiling-period-conflict")
    assert refused.status_code == 403
    assert [(p["price"], p["effective_from"], p["effective_until"]) for p in history] == [
        ("18.00", (today + timedelta(days=10)).isoformat(), None),
        ("20.00", (today - timedelta(days=100)).isoformat(), (today + timedelta(days=9)).isoformat()),
    ]
    assert (shown["ceiling_price"], shown["ceiling_effective_from"]) == (
        "20.00",
        (today - timedelta(days=100)).isoformat(),
    )
    assert AuditEvent.objects.filter(action="drug.ceiling_set", object_id=str(drug.pk)).count() == 1


def test_a_ceiling_price_patched_on_the_drug_starts_a_new_period(as_client, admin_user):
    drug = DrugFactory()
    response = as_client(admin_user).patch(
        f"/api/v1/drugs/{drug.pk}/",
        {"ceiling_price": "9.90", "ceiling_effective_from": timezone.localdate().isoformat()},
        format="json",
    )
    half = as_client(admin_user).patch(f"/api/v1/drugs/{drug.pk}/", {"ceiling_price": "9.80"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["ceiling_price"] == "9.90"
    assert half.status_code == 400
    assert list(CeilingPrice.objects.filter(drug=drug).values_list("price", flat=True)) == [Decimal("9.90")]


def test_the_market_marks_offers_above_the_ceiling_in_force_today(as_client, pharmacy_user):
    today = timezone.localdate()
    drug = DrugFactory(ceiling_price=Decimal("10.00"), ceiling_effective_from=today + timedelta(days=1))  # not yet
    OfferFactory(drug=drug, unit_price=Decimal("12.00"))
    rows = as_client(pharmacy_user).get(f"/api/v1/drugs/{drug.pk}/offers/").json()["results"]
    assert [(r["unit_price"], r["above_ceiling"], r["drug"]["ceiling_price"]) for r in rows] == [("12.00", False, None)]


# --- the drug master-data import ---------------------------------------------------------------------------------


def _import_drugs(client, content: bytes, django_capture_on_commit_callbacks) -> dict:
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/api/v1/drug-imports/", {"file": SimpleUploadedFile("drugs.csv", content)}, format="multipart"
        )
    assert response.status_code == 202, response.json()
    import_job_run_task.run(response.json()["id"])
    return client.get(f"/api/v1/drug-imports/{response.json()['id']}/").json()


HEADER = "批准文号,通用名称,剂型,规格,包装,销售单位,最小单位,包装数量,生产企业,drug_type,category"


def test_the_drug_import_sets_ceilings_registration_and_classes_and_a_rerun_changes_nothing(
    as_client, admin_user, django_capture_on_commit_callbacks, tmp_path
):
    client = as_client(admin_user)
    row = "国药准字H10960123,伪麻黄碱片,片剂,30mg,12片/盒,盒,片,12,测试制药,chemical,otc_a"
    content = (
        f"{HEADER},限价,限价生效日期,文号有效期,限制类别,简易计税类别\n"
        f"{row},8.50,2026-01-01,2030-12-31,ephedrine_compound,\n"
    ).encode()

    first = _import_drugs(client, content, django_capture_on_commit_callbacks)
    again = _import_drugs(client, content, django_capture_on_commit_callbacks)

    assert first["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "failed": 0}, first["errors"]
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 1, "failed": 0}, again["errors"]
    drug = Drug.objects.get()
    assert (drug.restricted_class, str(drug.registration_valid_until)) == ("ephedrine_compound", "2030-12-31")
    assert list(drug.ceiling_prices.values_list("price", "effective_from")) == [(Decimal("8.50"), date(2026, 1, 1))]
    # a file without the class column never declassifies the drug
    path = tmp_path / "drugs.csv"
    path.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    call_command("import_drugs", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Drug.objects.get().restricted_class == "ephedrine_compound"


def test_an_imported_expiry_takes_the_drug_off_the_market(as_client, admin_user, django_capture_on_commit_callbacks):
    drug = DrugFactory(approval_number="国药准字H10960123", generic_name="伪麻黄碱片", specification="30mg",
                       package="12片/盒")  # fmt: skip
    offer = OfferFactory(drug=drug)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    content = (
        f"{HEADER},文号有效期\n"
        f"国药准字H10960123,伪麻黄碱片,片剂,30mg,12片/盒,盒,片,12,测试制药,chemical,otc_a,{yesterday}\n"
    ).encode()
    job = _import_drugs(as_client(admin_user), content, django_capture_on_commit_callbacks)
    assert job["counts"]["updated"] == 1, job["errors"]
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.PAUSED
    assert Drug.objects.get(pk=drug.pk).market_exit_reason == "registration_expired"


# --- the bug: DELETE of an ordered offer -------------------------------------------------------------------------


def test_deleting_an_offer_with_order_lines_answers_409_with_a_problem_and_keeps_it(as_client):
    from tests.orders.conftest import place

    supplier = OrganizationFactory()
    buyer = OrganizationFactory(kind="pharmacy")
    offer = OfferFactory(supplier=supplier)
    assert place(client_for(MembershipFactory(organization=buyer).user), (offer.pk, 1)).status_code == 201
    seller = as_client(MembershipFactory(organization=supplier).user)

    response = seller.delete(f"/api/v1/offers/{offer.pk}/")
    unordered = seller.delete(f"/api/v1/offers/{OfferFactory(supplier=supplier).pk}/")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": PROBLEMS + "offer-has-orders",
        "title": "This offer was ordered and stays for the record; pause it instead",
        "status": 409,
        "detail": "This offer was ordered and stays for the record; pause it instead",
        "code": "offer_has_orders",
    }
    assert Offer.objects.filter(pk=offer.pk).exists()
    assert Order.objects.count() == 1
    assert unordered.status_code == 204
