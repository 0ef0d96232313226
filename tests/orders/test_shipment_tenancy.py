"""Tenancy of the shipment, traceability and recall endpoints (SPEC §5, STYLE G19): an organisation that is not a
party gets 404 for another's shipment or order — the same answer as for one that does not exist — and a party
on the wrong side gets 403; recalls and code formats are public notices, scoped by what each party took part in."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import MemberRole, OrganizationKind, OrganizationStatus
from accounts.models import Organization, OrganizationApiKey
from orders.models import CodeFormat, Order, Recall, RecallAcknowledgement, Shipment, TemperatureRecord
from pharmex.choices import StaffRole
from tests.conftest import client_for
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory, UserFactory
from tests.orders.conftest import place
from tests.orders.shipping import code, item, receive, ship, shipment_body

pytestmark = pytest.mark.django_db

MISSING = 987_654_321
READINGS = b"time,celsius\n2026-12-05T08:00:00+08:00,4.5\n"


@dataclass
class Scene:
    order: Order
    shipment: Shipment
    stranger: Organization  # a competitor: supplies the same drug, is party to nothing here
    stranger_user: object

    def stranger_client(self):
        return client_for(self.stranger_user)


@pytest.fixture
def scene(market) -> Scene:
    response = place(market.buyer_client(), (market.offer.pk, 5))
    order = Order.objects.get(pk=response.json()["id"])
    market.supplier_client().post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json")
    shipped = ship(market.supplier_client(), order, shipment_body(order, item(order.lines.get(), 2, codes=[code(1)])))
    assert shipped.status_code == 200, shipped.json()
    stranger = OfferFactory(drug=market.offer.drug).supplier
    return Scene(
        order=order,
        shipment=Shipment.objects.get(order=order),
        stranger=stranger,
        stranger_user=MembershipFactory(organization=stranger, role=MemberRole.OWNER).user,
    )


def reads(scene: Scene, shipment_id: int | None = None, order_id: int | None = None) -> list[str]:
    shipment_id = shipment_id or scene.shipment.pk
    order_id = order_id or scene.order.pk
    return [
        f"/api/v1/shipments/{shipment_id}/",
        f"/api/v1/shipments/{shipment_id}/delivery-note/",
        f"/api/v1/shipments/{shipment_id}/delivery-note.pdf/",
        f"/api/v1/shipments/{shipment_id}/codes.csv/",
        f"/api/v1/orders/{order_id}/shipments/",
    ]


def writes(scene: Scene, shipment_id: int | None = None, order_id: int | None = None) -> list[tuple[str, dict, str]]:
    shipment_id = shipment_id or scene.shipment.pk
    order_id = order_id or scene.order.pk
    return [
        (f"/api/v1/shipments/{shipment_id}/receive/", {"lines": []}, "json"),
        (f"/api/v1/shipments/{shipment_id}/temperature-record/", {}, "multipart"),
        (f"/api/v1/orders/{order_id}/close/", {}, "json"),
    ]


def post(client, path: str, body: dict, body_format: str):
    if body_format == "multipart":  # a fresh file each time: a request reads it to the end
        body = {"file": SimpleUploadedFile("logger.csv", READINGS, content_type="text/csv")}
    return client.post(path, body, format=body_format)


def test_a_foreign_organisation_gets_the_404_a_missing_object_gets(scene):
    stranger = scene.stranger_client()
    for path, missing in zip(reads(scene), reads(scene, MISSING, MISSING), strict=True):
        response = stranger.get(path)
        assert response.status_code == 404, path
        assert response.json() == stranger.get(missing).json(), path
    for (path, body, body_format), (missing, *_rest) in zip(
        writes(scene), writes(scene, MISSING, MISSING), strict=True
    ):
        response = post(stranger, path, body, body_format)
        assert response.status_code == 404, path
        assert response.json() == post(stranger, missing, body, body_format).json(), path
    # nothing happened
    scene.shipment.refresh_from_db()
    scene.order.refresh_from_db()
    assert (scene.shipment.status, scene.order.status) == ("in_transit", "partially_shipped")
    assert not TemperatureRecord.objects.exists()


def test_the_parties_and_staff_read_what_a_foreign_organisation_cannot(market, scene):
    support = client_for(UserFactory(staff_role=StaffRole.FINANCE_ADMIN, is_staff=True))
    viewer = client_for(MembershipFactory(organization=market.buyer, role=MemberRole.VIEWER).user)
    for path in reads(scene):
        for client in (market.buyer_client(), market.supplier_client(), support, viewer):
            assert client.get(path).status_code == 200, path


def test_the_wrong_side_is_refused_with_403(market, scene):
    supplier, buyer = market.supplier_client(), market.buyer_client()
    receipt_path, temperature_path, close_path = (path for path, _body, _format in writes(scene))
    assert receive(supplier, scene.shipment).status_code == 403
    assert post(buyer, temperature_path, {}, "multipart").status_code == 403
    assert buyer.post(close_path, {}, format="json").status_code == 403
    viewer = client_for(MembershipFactory(organization=market.buyer, role=MemberRole.VIEWER).user)
    assert viewer.post(receipt_path, {"lines": []}, format="json").status_code == 403
    admin = client_for(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True))
    assert admin.post(receipt_path, {"lines": []}, format="json").status_code == 403
    assert admin.post(close_path, {}, format="json").status_code == 403
    scene.order.refresh_from_db()
    assert scene.order.status == "partially_shipped"


def test_a_member_of_both_sees_what_the_organisation_it_acts_for_sees(market, scene):
    both = MembershipFactory(organization=scene.stranger, role=MemberRole.OPERATOR).user
    MembershipFactory(user=both, organization=market.buyer, role=MemberRole.OPERATOR)
    as_stranger = client_for(both, organization_id=scene.stranger.pk)
    as_buyer = client_for(both, organization_id=market.buyer.pk)
    for path in reads(scene):
        assert as_stranger.get(path).status_code == 404, path
        assert as_buyer.get(path).status_code == 200, path
    assert as_stranger.get("/api/v1/shipments/").json()["results"] == []
    # an API key acts for its own organisation only
    _, secret = OrganizationApiKey.objects.create_key(name="t", organization=scene.stranger, role=MemberRole.OPERATOR)
    assert client_for(api_key=secret).get(reads(scene)[0]).status_code == 404


def test_the_shipment_list_holds_only_the_callers_shipments(market, scene):
    # the stranger ships to someone else: the buyer and the supplier never see it
    other_buyer = OrganizationFactory(
        kind=OrganizationKind.HOSPITAL, ownership="private"
    )  # private: a public one's two-invoice chain is tests/procurement/test_two_invoice_chain.py
    other_client = client_for(MembershipFactory(organization=other_buyer, role=MemberRole.OPERATOR).user)
    offer = OfferFactory(supplier=scene.stranger)
    theirs = Order.objects.get(pk=place(other_client, (offer.pk, 1)).json()["id"])
    scene.stranger_client().post(f"/api/v1/orders/{theirs.pk}/confirm/", {}, format="json")
    ship(scene.stranger_client(), theirs, shipment_body(theirs))
    their_shipment = Shipment.objects.get(order=theirs)

    def ids(client, **query):
        response = client.get("/api/v1/shipments/", query)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(market.buyer_client()) == [scene.shipment.pk]
    assert ids(market.supplier_client()) == [scene.shipment.pk]
    assert ids(market.supplier_client(), role="buyer") == []
    assert ids(scene.stranger_client()) == [their_shipment.pk]
    assert ids(other_client) == [their_shipment.pk]
    assert ids(client_for(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True))) == [
        their_shipment.pk,
        scene.shipment.pk,
    ]
    assert market.buyer_client().get(f"/api/v1/shipments/{their_shipment.pk}/").status_code == 404
    assert ids(market.buyer_client(), order=theirs.pk) == []


def test_the_date_range_export_holds_only_what_the_caller_received(market, scene):
    assert receive(market.buyer_client(), scene.shipment).status_code == 200
    today = timezone.localdate().isoformat()
    query = {"received_from": today, "received_to": today}
    for client, expected in ((market.buyer_client(), 2), (market.supplier_client(), 1), (scene.stranger_client(), 1)):
        content = b"".join(client.get("/api/v1/shipments/codes.csv/", query).streaming_content).decode()
        assert len(content.strip().splitlines()) == expected  # the header, and the code for the buyer alone


def test_a_suspended_supplier_reads_but_does_not_close_or_add_records(market, scene):
    Organization.objects.filter(pk=market.supplier.pk).update(status=OrganizationStatus.SUSPENDED)
    supplier = market.supplier_client()
    _receipt, (temperature_path, body, body_format), (close_path, *_rest) = writes(scene)
    assert supplier.get(reads(scene)[0]).status_code == 200
    for response in (post(supplier, temperature_path, body, body_format), supplier.post(close_path, {}, format="json")):
        assert (response.status_code, response.json()["type"].rsplit("/", 1)[-1]) == (403, "organization-suspended")
    # the buyer still receives what was shipped: that ends business under way
    assert receive(market.buyer_client(), scene.shipment).status_code == 200


def test_a_trace_lookup_by_a_foreign_organisation_is_a_404(market, scene):
    assert market.buyer_client().get(f"/api/v1/trace/{code(1)}/").status_code == 200
    stranger = scene.stranger_client().get(f"/api/v1/trace/{code(1)}/")
    unknown = scene.stranger_client().get(f"/api/v1/trace/{code(999)}/")
    assert (stranger.status_code, stranger.json()) == (404, unknown.json())


@pytest.fixture
def recalled(market, scene) -> Recall:
    admin = client_for(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True))
    response = admin.post(
        "/api/v1/recalls/",
        {"drug": market.offer.drug_id, "lots": ["l2026a"], "level": "III", "reason": "包装标签错误"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return Recall.objects.get(pk=response.json()["id"])


def test_a_foreign_organisation_sees_a_recall_but_none_of_its_buyers_and_has_nothing_to_acknowledge(
    market, scene, recalled
):
    stranger = scene.stranger_client()
    assert stranger.get(f"/api/v1/recalls/{recalled.pk}/").status_code == 200  # a public notice
    assert stranger.get(f"/api/v1/recalls/{recalled.pk}/buyers/").json()["results"] == []
    assert stranger.get(f"/api/v1/recalls/{recalled.pk}/affected/").json()["results"] == []
    response = stranger.post(f"/api/v1/recalls/{recalled.pk}/acknowledge/", {"quantity_held": 0}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "recall_not_affected")
    missing = stranger.post(f"/api/v1/recalls/{MISSING}/acknowledge/", {"quantity_held": 0}, format="json")
    assert missing.status_code == 404
    assert not RecallAcknowledgement.objects.exists()
    [row] = market.buyer_client().get(f"/api/v1/recalls/{recalled.pk}/buyers/").json()["results"]
    assert (row["organization"]["id"], row["shipped_quantity"], row["acknowledgement"]) == (market.buyer.pk, 2, None)


def test_code_formats_are_public_and_declared_only_for_ones_own_drugs(market, scene):
    declared = market.supplier_client().post(
        "/api/v1/trace-code-formats/", {"drug": market.offer.drug_id, "prefix": "66", "length": 10}, format="json"
    )
    assert declared.status_code == 201, declared.json()
    stranger = scene.stranger_client()
    assert stranger.get(f"/api/v1/trace-code-formats/{declared.json()['id']}/").status_code == 200
    other_drug = OfferFactory(supplier=market.supplier).drug_id
    refused = stranger.post(
        "/api/v1/trace-code-formats/", {"drug": other_drug, "prefix": "66", "length": 10}, format="json"
    )
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("drug", "not_your_drug")]
    assert stranger.get(f"/api/v1/trace-code-formats/{MISSING}/").status_code == 404
    assert list(CodeFormat.objects.values_list("organization_id", flat=True)) == [market.supplier.pk]


def test_downloads_answer_a_client_that_asks_for_their_type(market):
    """`Accept: application/pdf` / `text/csv` is served, not refused with 406; an error stays a JSON problem."""
    from orders.models import Order, Shipment
    from tests.orders.conftest import place
    from tests.orders.shipping import item, ship, shipment_body

    order_id = place(market.buyer_client(), (market.offer.pk, 2)).json()["id"]
    market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json")
    order = Order.objects.get(pk=order_id)
    ship(market.supplier_client(), order, shipment_body(order, item(order.lines.get(), 2)))
    shipment = Shipment.objects.get(order=order)
    client = market.buyer_client()
    pdf = client.get(f"/api/v1/shipments/{shipment.pk}/delivery-note.pdf/", HTTP_ACCEPT="application/pdf")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    csv = client.get(f"/api/v1/shipments/{shipment.pk}/codes.csv/", HTTP_ACCEPT="text/csv")
    assert (csv.status_code, csv["Content-Type"]) == (200, "text/csv; charset=utf-8")
    missing = client.get("/api/v1/shipments/999999/codes.csv/", HTTP_ACCEPT="text/csv")
    assert (missing.status_code, missing["Content-Type"]) == (404, "application/problem+json")
    assert missing.json()["status"] == 404
