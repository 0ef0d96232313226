"""Hainan Free Trade Port in the catalogue (SPEC §4a): customs status set at listing and moved only forward by a
recorded declaration, special-licensed drugs listed and shown only to whom may order them, the organisation's
Hainan standing read through the API and verified in the admin site."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.choices import MemberRole, OrganizationKind
from accounts.models import Organization
from catalog.choices import CustomsStatus
from catalog.models import CustomsStatusChange, LechengApproval, Offer
from pharmex.models import AuditEvent
from tests.factories import DrugFactory, LicenseFactory, MembershipFactory, OfferFactory, OrganizationFactory
from tests.orders.hainan import approval, lecheng_institution, special_drug, special_offer
from tests.pharmex.test_admin_audit import save, staff_client  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
PROBLEMS = "https://pharmex.example/problems/"


def history(offer: Offer) -> list[tuple]:
    return list(
        CustomsStatusChange.objects.filter(offer=offer)
        .order_by("id")
        .values_list("action", "from_status", "to_status", "data")
    )


# --- customs status: set at listing, then only forward ----------------------------------------------------------


def test_an_offer_is_listed_with_its_customs_status_and_the_listing_is_its_first_customs_event(as_client, seller, drug):
    _, user = seller

    response = as_client(user).post(
        "/api/v1/offers/", {"drug": drug.pk, "unit_price": "12.50", "stock": 100, "customs_status": "bonded"}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["customs_status"], body["second_line_clearance"], body["value_added_exempt"]) == (
        "bonded",
        False,
        False,
    )
    assert history(Offer.objects.get()) == [("list", "", "bonded", {})]
    created = AuditEvent.objects.get(action="offer.created", object_id=str(body["id"]))
    assert created.changes["customs_status"] == "bonded"


def test_bonded_goods_are_entered_as_zero_tariff_then_duty_paid_each_step_recorded(as_client, seller, drug):
    organization, user = seller
    offer = OfferFactory(supplier=organization, drug=drug, customs_status=CustomsStatus.BONDED)
    client = as_client(user)

    entered = client.post(
        f"/api/v1/offers/{offer.pk}/customs-status/",
        {"customs_status": "zero_tariff", "declaration_number": "460120260000000001"},
    )
    paid = client.post(
        f"/api/v1/offers/{offer.pk}/customs-status/",
        {"customs_status": "duty_paid", "declaration_number": "460120260000000002", "note": "补缴税款"},
    )

    assert (entered.status_code, entered.json()["customs_status"]) == (200, "zero_tariff")
    assert (paid.status_code, paid.json()["customs_status"]) == (200, "duty_paid")
    assert history(offer) == [
        ("enter_zero_tariff", "bonded", "zero_tariff", {"declaration_number": "460120260000000001"}),
        ("pay_duty", "zero_tariff", "duty_paid", {"declaration_number": "460120260000000002"}),
    ]
    listed = client.get(f"/api/v1/offers/{offer.pk}/customs-history/").json()["results"]
    assert [(e["action"], e["to_status"], e["data"]) for e in listed] == [
        ("pay_duty", "duty_paid", {"declaration_number": "460120260000000002"}),
        ("enter_zero_tariff", "zero_tariff", {"declaration_number": "460120260000000001"}),
    ]
    assert list(
        AuditEvent.objects.filter(object_type="offer_customs", object_id=str(offer.pk))
        .order_by("id")
        .values_list("action", "organization_id")
    ) == [("offer_customs.enter_zero_tariff", organization.pk), ("offer_customs.pay_duty", organization.pk)]


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (CustomsStatus.DUTY_PAID, "zero_tariff"),
        (CustomsStatus.ZERO_TARIFF, "zero_tariff"),
        (CustomsStatus.DUTY_PAID, "duty_paid"),
        (CustomsStatus.LECHENG_SPECIAL, "duty_paid"),
    ],
)
def test_the_customs_status_never_moves_back_or_sideways(as_client, seller, start, to):
    organization, user = seller
    offer = OfferFactory(supplier=organization, customs_status=start)

    response = as_client(user).post(
        f"/api/v1/offers/{offer.pk}/customs-status/", {"customs_status": to, "declaration_number": "460120260000000003"}
    )

    assert response.status_code == 409
    assert response.json()["type"] == PROBLEMS + "invalid-transition"
    assert (Offer.objects.get(pk=offer.pk).customs_status, history(offer)) == (start, [])


def test_a_declaration_number_is_required_and_only_the_supplier_records_it(as_client, seller, buyer, member_of):
    organization, user = seller
    offer = OfferFactory(supplier=organization, customs_status=CustomsStatus.BONDED)
    url = f"/api/v1/offers/{offer.pk}/customs-status/"

    missing = as_client(user).post(url, {"customs_status": "duty_paid"})
    stranger = as_client(member_of(OrganizationFactory(), MemberRole.OPERATOR)).post(
        url, {"customs_status": "duty_paid", "declaration_number": "460120260000000004"}
    )
    history_of_stranger = as_client(member_of(buyer, MemberRole.OPERATOR)).get(
        f"/api/v1/offers/{offer.pk}/customs-history/"
    )

    assert [e["field"] for e in missing.json()["errors"]] == ["declaration_number"]
    assert stranger.status_code == 404
    assert history_of_stranger.status_code == 404
    assert Offer.objects.get(pk=offer.pk).customs_status == CustomsStatus.BONDED


# --- special-licensed drugs -------------------------------------------------------------------------------------


def test_a_special_licensed_drug_has_its_foreign_authorisation_instead_of_an_approval_number():
    drug = special_drug()
    assert (drug.approval_number, drug.foreign_ma_country) == ("", "US")
    with transaction.atomic(), pytest.raises(IntegrityError):
        DrugFactory(approval_number="", special_licensed=True, foreign_ma_country="")
    with transaction.atomic(), pytest.raises(IntegrityError):
        special_drug(approval_number="国药准字H20003263")


def test_special_licensed_drugs_are_listed_only_as_lecheng_special_and_never_by_a_lecheng_institution(
    as_client, seller, drug
):
    _, user = seller
    special = special_drug()
    client = as_client(user)

    wrong = client.post("/api/v1/offers/", {"drug": special.pk, "unit_price": "900.00", "stock": 5})
    ordinary = client.post(
        "/api/v1/offers/", {"drug": drug.pk, "unit_price": "9.00", "stock": 5, "customs_status": "lecheng_special"}
    )
    right = client.post(
        "/api/v1/offers/", {"drug": special.pk, "unit_price": "900.00", "stock": 5, "customs_status": "lecheng_special"}
    )
    institution = lecheng_institution(kind=OrganizationKind.DISTRIBUTOR, ownership="", trading=False)
    LicenseFactory(organization=institution, scope_tags=["chemical", "rx"])
    onward = as_client(MembershipFactory(organization=institution, role=MemberRole.OPERATOR).user).post(
        "/api/v1/offers/", {"drug": special.pk, "unit_price": "950.00", "stock": 1, "customs_status": "lecheng_special"}
    )

    assert [(r.status_code, [e["code"] for e in r.json().get("errors", [])]) for r in (wrong, ordinary, onward)] == [
        (400, ["customs_status_not_allowed"]),
        (400, ["customs_status_not_allowed"]),
        (400, ["customs_status_not_allowed"]),
    ]
    assert right.status_code == 201, right.json()
    assert Offer.objects.count() == 1


def test_special_licensed_drugs_are_shown_only_to_institutions_holding_an_approval(as_client, buyer, member_of):
    offer = special_offer(OrganizationFactory())
    ordinary = OfferFactory(supplier=offer.supplier)
    institution = lecheng_institution()
    approval(institution, offer.drug)
    pharmacy = as_client(member_of(buyer, MemberRole.OPERATOR))
    approved = as_client(member_of(institution, MemberRole.OPERATOR))

    def seen(client) -> tuple:
        return (
            sorted(o["id"] for o in client.get("/api/v1/offers/").json()["results"]),
            client.get(f"/api/v1/offers/{offer.pk}/").status_code,
            client.get(f"/api/v1/drugs/{offer.drug_id}/").status_code,
            offer.drug_id in [d["id"] for d in client.get("/api/v1/drugs/").json()["results"]],
        )

    assert seen(pharmacy) == ([ordinary.pk], 404, 404, False)
    assert seen(approved) == (sorted([ordinary.pk, offer.pk]), 200, 200, True)


# --- where an organisation stands -------------------------------------------------------------------------------


def test_the_organisation_shows_its_hainan_standing(as_client, member_of):
    institution = lecheng_institution(zero_tariff_registration="HN-ZT-000001", zero_tariff_verified_at=timezone.now())

    body = as_client(member_of(institution)).get(f"/api/v1/organizations/{institution.pk}/").json()

    assert {key: body[key] for key in ("city_county", "lecheng_institution", "zero_tariff_beneficiary")} == {
        "city_county": "琼海市",
        "lecheng_institution": True,
        "zero_tariff_beneficiary": True,
    }
    assert body["lecheng_designation_number"] == institution.lecheng_designation_number
    assert body["zero_tariff_registration"] == "HN-ZT-000001"


def test_an_admin_entering_a_designation_verifies_it_and_the_edit_is_audited(staff_client):  # noqa: F811
    organization = OrganizationFactory(kind=OrganizationKind.HOSPITAL)
    assert organization.is_lecheng_institution(timezone.localdate()) is False

    save(
        staff_client,
        f"/admin/accounts/organization/{organization.pk}/change/",
        city_county="琼海市",
        lecheng_designation_number="琼卫医政〔2025〕7号",
        zero_tariff_registration="HN-ZT-000002",
    )

    organization = Organization.objects.get(pk=organization.pk)
    assert organization.is_lecheng_institution(timezone.localdate()) is True
    assert organization.is_zero_tariff_beneficiary is True
    assert (organization.lecheng_verified_by, organization.zero_tariff_verified_by) == ("root@platform.test",) * 2
    changes = AuditEvent.objects.get(action="organization.updated", object_id=str(organization.pk)).changes
    assert {"lecheng_designation_number", "lecheng_verified_by", "zero_tariff_verified_at"} <= set(changes)


def test_an_admin_entering_the_value_added_certificate_verifies_the_exemption(staff_client):  # noqa: F811
    offer = OfferFactory(customs_status=CustomsStatus.ZERO_TARIFF)

    save(staff_client, f"/admin/catalog/offer/{offer.pk}/change/", value_added_certificate_number="HN-VA-2026-009")

    offer = Offer.objects.get(pk=offer.pk)
    assert offer.value_added_exempt(timezone.localdate()) is True
    assert offer.value_added_verified_by == "root@platform.test"


def test_admins_keep_the_lecheng_approvals_in_the_admin_site(staff_client):  # noqa: F811
    institution, plain = lecheng_institution(), OrganizationFactory(kind=OrganizationKind.HOSPITAL)
    drug, ordinary = special_drug(), DrugFactory()
    form = {
        "number": "琼药特许〔2026〕0099号",
        "quantity": "30",
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
    }

    refused = staff_client.post(
        "/admin/catalog/lechengapproval/add/", {**form, "institution": plain.pk, "drug": ordinary.pk}
    )
    added = staff_client.post("/admin/catalog/lechengapproval/add/", {**form, "institution": institution.pk,
                                                                       "drug": drug.pk})  # fmt: skip

    assert set(refused.context["adminform"].form.errors) == {"institution", "drug"}
    assert added.status_code == 302
    created = LechengApproval.objects.get()
    assert (created.institution, created.drug, created.quantity, created.used) == (institution, drug, 30, 0)
    assert AuditEvent.objects.get(action="lecheng_approval.created").organization_id == institution.pk


def test_a_drug_shows_its_foreign_authorisation(as_client, member_of):
    institution = lecheng_institution()
    drug = special_drug(foreign_product_name="Examplimab Injection")
    approval(institution, drug)

    body = as_client(member_of(institution)).get(f"/api/v1/drugs/{drug.pk}/").json()

    assert {
        key: body[key]
        for key in (
            "approval_number",
            "special_licensed",
            "foreign_ma_country",
            "foreign_ma_holder",
            "foreign_product_name",
        )
    } == {
        "approval_number": "",
        "special_licensed": True,
        "foreign_ma_country": "US",
        "foreign_ma_holder": "Example Therapeutics Inc.",
        "foreign_product_name": "Examplimab Injection",
    }
