"""A regulator (SPEC §7a): reads everything about organisations in its jurisdiction through the same API, writes
nothing, and every read it makes is itself in the audit log."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.choices import OrganizationKind
from accounts.models import Organization
from accounts.serializers import RegistrationOrganizationInput
from orders.models import Order, Shipment
from pharmex.choices import StaffRole
from pharmex.models import AuditEvent
from tests.conftest import client_for
from tests.factories import DrugFactory, OrganizationFactory, UserFactory
from tests.factories.accounts import valid_uscc
from tests.orders.conftest import place
from tests.orders.shipping import code, item, receive, ship, shipment_body

pytestmark = pytest.mark.django_db

HAINAN, GUANGDONG = "460000", "440000"


@pytest.fixture
def flow(market) -> Order:
    """A placed, confirmed, shipped and received order between two Hainan organisations."""
    order_id = place(market.buyer_client(), (market.offer.pk, 2)).json()["id"]
    market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json")
    order = Order.objects.get(pk=order_id)
    body = shipment_body(order, item(order.lines.get(), 2, codes=[code(1), code(2)]))
    assert ship(market.supplier_client(), order, body).status_code == 200
    assert receive(market.buyer_client(), Shipment.objects.get(order=order)).status_code == 200
    return order


def _today() -> dict:
    today = timezone.localdate().isoformat()
    return {"date_from": today, "date_to": today}


def test_a_regulator_reads_everything_in_its_jurisdiction(market, flow, regulator_factory):
    _, client, _ = regulator_factory(HAINAN)
    shipment = Shipment.objects.get(order=flow)

    orders = client.get("/api/v1/orders/")
    assert orders.status_code == 200
    assert [o["id"] for o in orders.json()["results"]] == [flow.pk]
    assert client.get(f"/api/v1/orders/{flow.pk}/").status_code == 200
    assert client.get(f"/api/v1/orders/{flow.pk}/events/").status_code == 200
    assert [s["id"] for s in client.get("/api/v1/shipments/").json()["results"]] == [shipment.pk]
    assert client.get(f"/api/v1/shipments/{shipment.pk}/delivery-note/").status_code == 200

    organizations = client.get("/api/v1/organizations/").json()["results"]
    assert {market.buyer.pk, market.supplier.pk} <= {o["id"] for o in organizations}
    assert client.get(f"/api/v1/organizations/{market.supplier.pk}/history/").status_code == 200
    licences = client.get("/api/v1/licenses/").json()["results"]
    assert {market.buyer.pk, market.supplier.pk} <= {item["organization"] for item in licences}
    assert client.get("/api/v1/suspected-diversions/").status_code == 200
    assert client.get(f"/api/v1/offers/{market.offer.pk}/history/").status_code == 200
    proposed = DrugFactory(status="pending_review", proposed_by=market.supplier)
    assert client.get(f"/api/v1/drugs/{proposed.pk}/").status_code == 200
    trace = client.get(f"/api/v1/trace/{code(1)}/")
    assert trace.status_code == 200, trace.json()
    assert (len(trace.json()["hops"]), trace.json()["holder"]["id"]) == (1, market.buyer.pk)

    purchases = client.get("/api/v1/records/purchases/", {**_today(), "organization": market.buyer.pk})
    assert purchases.status_code == 200
    assert [r["order_number"] for r in purchases.json()["results"]] == [flow.number]
    sales = client.get("/api/v1/records/sales/export/", {**_today(), "organization": market.supplier.pk})
    assert sales.status_code == 200
    # it must say whose records: it has none of its own
    assert client.get("/api/v1/records/sales/", _today()).status_code == 400


def test_outside_its_jurisdiction_a_regulator_finds_nothing(market, flow, regulator_factory):
    _, client, _ = regulator_factory(GUANGDONG)
    assert client.get("/api/v1/orders/").json()["results"] == []
    assert client.get(f"/api/v1/orders/{flow.pk}/").status_code == 404
    assert client.get(f"/api/v1/shipments/{Shipment.objects.get(order=flow).pk}/").status_code == 404
    assert client.get(f"/api/v1/organizations/{market.buyer.pk}/").status_code == 404
    assert client.get(f"/api/v1/offers/{market.offer.pk}/history/").status_code == 404
    assert client.get(f"/api/v1/trace/{code(1)}/").status_code == 404
    records = client.get("/api/v1/records/purchases/", {**_today(), "organization": market.buyer.pk})
    assert records.status_code == 404


HAIKOU, QIONGHAI = "460100", "469002"  # city/county jurisdiction codes (pharmex.divisions)


def test_a_city_regulator_reads_its_city_s_organisations_and_finds_nothing_of_another_city(
    market, flow, regulator_factory
):
    # both parties in Haikou: the supplier by its city's name, the buyer by a district of it
    Organization.objects.filter(pk=market.supplier.pk).update(city_county="海口市")
    Organization.objects.filter(pk=market.buyer.pk).update(city_county="海口市龙华区")
    shipment = Shipment.objects.get(order=flow)

    _, haikou, _ = regulator_factory(HAIKOU)
    assert [o["id"] for o in haikou.get("/api/v1/orders/").json()["results"]] == [flow.pk]
    assert haikou.get(f"/api/v1/orders/{flow.pk}/").status_code == 200
    assert haikou.get(f"/api/v1/shipments/{shipment.pk}/").status_code == 200
    assert haikou.get(f"/api/v1/organizations/{market.buyer.pk}/").status_code == 200
    assert haikou.get(f"/api/v1/offers/{market.offer.pk}/history/").status_code == 200
    assert haikou.get(f"/api/v1/trace/{code(1)}/").status_code == 200
    purchases = haikou.get("/api/v1/records/purchases/", {**_today(), "organization": market.buyer.pk})
    assert [r["order_number"] for r in purchases.json()["results"]] == [flow.number]

    # another city of the same province: nothing, every detail a 404
    _, qionghai, _ = regulator_factory(QIONGHAI)
    assert qionghai.get("/api/v1/orders/").json()["results"] == []
    assert qionghai.get(f"/api/v1/orders/{flow.pk}/").status_code == 404
    assert qionghai.get(f"/api/v1/shipments/{shipment.pk}/").status_code == 404
    assert qionghai.get(f"/api/v1/organizations/{market.buyer.pk}/").status_code == 404
    assert qionghai.get(f"/api/v1/offers/{market.offer.pk}/history/").status_code == 404
    assert qionghai.get(f"/api/v1/trace/{code(1)}/").status_code == 404
    records = qionghai.get("/api/v1/records/purchases/", {**_today(), "organization": market.buyer.pk})
    assert records.status_code == 404

    # one party in Qionghai: that regulator reads the order (one of its organisations is a party), not Haikou's
    # other organisation's detail
    Organization.objects.filter(pk=market.buyer.pk).update(city_county="琼海市")
    assert qionghai.get(f"/api/v1/orders/{flow.pk}/").status_code == 200
    assert qionghai.get(f"/api/v1/organizations/{market.buyer.pk}/").status_code == 200
    assert qionghai.get(f"/api/v1/organizations/{market.supplier.pk}/").status_code == 404
    assert haikou.get(f"/api/v1/organizations/{market.buyer.pk}/").status_code == 404


def test_a_regulator_writes_nothing(market, flow, regulator_factory):
    regulator, client, _ = regulator_factory(HAINAN)
    order_id = place(market.buyer_client(), (market.offer.pk, 1)).json()["id"]
    before = AuditEvent.objects.exclude(action="regulator.read").count()
    for path, body in (
        (f"/api/v1/orders/{order_id}/confirm/", {}),
        (f"/api/v1/orders/{order_id}/reject/", {"note": "检查"}),
        ("/api/v1/orders/", {"lines": [{"offer_id": market.offer.pk, "quantity": 1}]}),
        (f"/api/v1/organizations/{market.buyer.pk}/suspend/", {"reason": "检查"}),
        ("/api/v1/recalls/", {}),
        (f"/api/v1/organizations/{regulator.pk}/invitations/", {"email": "x@example.com", "role": "viewer"}),
    ):
        response = client.post(path, body, format="json")
        assert response.status_code == 403, (path, response.json())
    assert (
        client.patch(f"/api/v1/organizations/{regulator.pk}/", {"contact_phone": "1"}, format="json").status_code == 403
    )
    assert AuditEvent.objects.exclude(action="regulator.read").count() == before
    assert Order.objects.get(pk=order_id).status == "placed"


def test_every_regulator_read_is_recorded_for_the_platform_admins(market, flow, regulator_factory):
    regulator, client, user = regulator_factory(HAINAN)
    assert client.get(f"/api/v1/orders/{flow.pk}/").status_code == 200
    assert client.get("/api/v1/records/purchases/", {**_today(), "organization": market.buyer.pk}).status_code == 200
    assert client.get(f"/api/v1/orders/{flow.pk + 1000}/").status_code == 404  # looking is recorded too

    reads = list(AuditEvent.objects.filter(action="regulator.read").order_by("id"))
    assert [(r.object_id, r.changes["status"]) for r in reads] == [
        (f"/api/v1/orders/{flow.pk}/", 200),
        ("/api/v1/records/purchases/", 200),
        (f"/api/v1/orders/{flow.pk + 1000}/", 404),
    ]
    assert {(r.actor_label, r.organization_id) for r in reads} == {(user.email, regulator.pk)}
    assert reads[1].changes["query"]["organization"] == [str(market.buyer.pk)]

    admin = client_for(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True))
    listed = admin.get("/api/v1/audit-events/", {"action": "regulator.read"}).json()["results"]
    assert len(listed) == 3
    # a trading organisation's reads are not recorded as regulator reads
    market.buyer_client().get(f"/api/v1/orders/{flow.pk}/")
    assert AuditEvent.objects.filter(action="regulator.read").count() == 3


def test_a_regulator_cannot_register_itself_and_only_a_regulator_has_a_jurisdiction(db):
    assert OrganizationKind.REGULATOR not in RegistrationOrganizationInput().fields["kind"].choices
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationFactory(kind=OrganizationKind.PHARMACY, jurisdiction=[HAINAN])


def test_platform_admins_create_a_regulator_and_its_inspectors_join_to_read(market, flow):
    admin = client_for(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True))
    body = {
        "legal_name": "海南省药品监督管理局",
        "uscc": valid_uscc(990_001),
        "province_code": HAINAN,
        "jurisdiction": [HAINAN],
        "inspectors": ["Inspector@example.com"],
    }
    assert market.buyer_client().post("/api/v1/regulators/", body, format="json").status_code == 403
    response = admin.post("/api/v1/regulators/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["kind"], created["jurisdiction"], created["status"]) == ("regulator", [HAINAN], "verified")
    assert admin.post("/api/v1/regulators/", {**body, "jurisdiction": ["123456"]}, format="json").status_code == 400
    # a city/county code is a jurisdiction too; a code that is neither a province nor a Hainan city/county is not
    not_a_city = admin.post("/api/v1/regulators/", {**body, "jurisdiction": ["460199"]}, format="json")
    assert (not_a_city.status_code, not_a_city.json()["errors"][0]["code"]) == (400, "jurisdiction_code")
    city = admin.post(
        "/api/v1/regulators/",
        {**body, "uscc": valid_uscc(990_003), "legal_name": "海口市市场监督管理局", "jurisdiction": [HAIKOU]},
        format="json",
    )
    assert (city.status_code, city.json()["jurisdiction"]) == (201, [HAIKOU]), city.json()
    assert admin.post("/api/v1/regulators/", body, format="json").status_code == 409  # the same authority twice

    inspector = UserFactory(email="inspector@example.com")
    invitation = client_for(inspector).get("/api/v1/invitations/").json()["results"][0]
    accepted = client_for(inspector).post(f"/api/v1/invitations/{invitation['id']}/accept/", {}, format="json")
    assert accepted.status_code in (200, 201), accepted.json()
    reader = client_for(inspector)
    assert reader.get(f"/api/v1/orders/{flow.pk}/").status_code == 200
    assert reader.post(f"/api/v1/orders/{flow.pk}/cancel/", {}, format="json").status_code == 403


def test_platform_admins_create_a_regulator_in_the_admin_site(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    form = {
        "legal_name": "广东省药品监督管理局",
        "uscc": valid_uscc(990_002),
        "kind": "regulator",
        "ownership": "",
        "province_code": GUANGDONG,
        "jurisdiction": "440000,460000",
        "credit_terms_days": "30",
        "min_shelf_life_days": "180",
        "first_business_review": "unknown",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "licenses-TOTAL_FORMS": "0",
        "licenses-INITIAL_FORMS": "0",
    }
    response = client.post("/admin/accounts/organization/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Organization.objects.get(uscc=form["uscc"])
    assert (created.kind, created.jurisdiction) == ("regulator", ["440000", "460000"])

    # a trading organisation has no jurisdiction: the form says so
    refused = client.post(
        "/admin/accounts/organization/add/",
        {**form, "uscc": valid_uscc(990_003), "kind": "distributor", "legal_name": "某医药有限公司"},
    )
    assert refused.status_code == 200
    assert "Only a regulator has a jurisdiction." in refused.content.decode()


def test_platform_admins_add_and_remove_inspectors_of_an_existing_regulator(market, flow, regulator_factory):
    regulator, owner_client, _ = regulator_factory(HAINAN)
    admin_user = UserFactory(staff_role=StaffRole.ADMIN, is_staff=True)
    admin = client_for(admin_user)
    url = f"/api/v1/regulators/{regulator.pk}/inspectors/"

    # neither the regulator itself nor a trader may add inspectors
    assert owner_client.post(url, {"email": "new@example.com"}, format="json").status_code == 403
    assert market.buyer_client().post(url, {"email": "new@example.com"}, format="json").status_code == 403

    invited = admin.post(url, {"email": "New.Inspector@example.com"}, format="json")
    assert invited.status_code == 201, invited.json()
    assert (invited.json()["email"], invited.json()["role"], invited.json()["status"]) == (
        "new.inspector@example.com",
        "viewer",
        "pending",
    )
    assert admin.post(url, {"email": "not-an-email"}, format="json").status_code == 400
    assert (
        admin.post(
            f"/api/v1/regulators/{market.buyer.pk}/inspectors/", {"email": "x@example.com"}, format="json"
        ).status_code
        == 404
    )
    listed = admin.get(url).json()
    assert [i["email"] for i in listed["pending_invitations"]] == ["new.inspector@example.com"]

    inspector = UserFactory(email="new.inspector@example.com")
    reader = client_for(inspector)
    invitation_id = invited.json()["id"]
    assert reader.post(f"/api/v1/invitations/{invitation_id}/accept/", {}, format="json").status_code in (200, 201)
    reader = client_for(inspector)
    assert reader.get(f"/api/v1/orders/{flow.pk}/").status_code == 200
    assert reader.post(f"/api/v1/orders/{flow.pk}/cancel/", {}, format="json").status_code == 403
    # a member already: inviting again is a conflict
    assert admin.post(url, {"email": "new.inspector@example.com"}, format="json").status_code == 409

    listed = admin.get(url).json()
    member = next(m for m in listed["members"] if m["email"] == "new.inspector@example.com")
    assert (member["role"], listed["pending_invitations"]) == ("viewer", [])
    assert owner_client.delete(f"{url}{member['id']}/").status_code == 403
    assert admin.delete(f"{url}{member['id']}/").status_code == 204
    assert admin.delete(f"{url}{member['id']}/").status_code == 404
    assert client_for(inspector).get(f"/api/v1/orders/{flow.pk}/").status_code in (403, 404)

    audited = AuditEvent.objects.filter(organization_id=regulator.pk, action__startswith="regulator.inspector_")
    assert sorted(audited.values_list("action", "actor_user_id")) == [
        ("regulator.inspector_invited", admin_user.pk),
        ("regulator.inspector_removed", admin_user.pk),
    ]
