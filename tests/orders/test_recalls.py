"""Recalls (SPEC §5): the drug's MAH or an admin recalls lots (matched normalised); those lots no longer ship;
affected buyers are told, acknowledge with what they still hold, and the recall shows who has not."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from django.db import connection
from django.utils import timezone

from accounts.actor import actor_for_user
from accounts.choices import MemberRole, OrganizationKind
from accounts.models import Organization
from catalog.choices import DrugStatus
from catalog.models import Drug, Offer
from orders.models import Order, Recall, RecallAcknowledgement, Shipment
from orders.services import shipping
from pharmex.choices import StaffRole
from procurement.services import designation_accept, designation_create
from tests.conftest import client_for
from tests.factories import DrugFactory, MembershipFactory, OfferFactory, OrganizationFactory, UserFactory
from tests.orders.conftest import place
from tests.orders.shipping import item, ship, shipment_body
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


@dataclass
class Org:
    organization: Organization
    user: object

    @property
    def pk(self) -> int:
        return self.organization.pk

    def client(self):
        return client_for(self.user)


def org(kind: str, name: str, role: str = MemberRole.OPERATOR) -> Org:
    organization = OrganizationFactory(kind=kind, legal_name=name)
    return Org(organization, MembershipFactory(organization=organization, role=role).user)


@dataclass
class World:
    drug: Drug
    mah: Org
    distributor: Org
    pharmacy: Org  # shipped lot ＡＢ01 (full-width)
    hospital: Org  # shipped lot "a b01"
    clinic: Org  # shipped lot CD02: not affected
    admin: object
    offer: Offer

    def admin_client(self):
        return client_for(self.admin)


def sold(buyer: Org, seller: Org, offer: Offer, lot: str, quantity: int) -> Shipment:
    response = place(buyer.client(), (offer.pk, quantity))
    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    assert seller.client().post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json").status_code == 200
    shipped = ship(seller.client(), order, shipment_body(order, item(order.lines.get(), quantity, lot=lot)))
    assert shipped.status_code == 200, shipped.json()
    return Shipment.objects.get(order=order)


@pytest.fixture
def world(db) -> World:
    mah = org(OrganizationKind.MANUFACTURER, "海南制药厂", role=MemberRole.OWNER)
    drug = DrugFactory(generic_name="阿莫西林胶囊", mah_organization=mah.organization, mah_name="海南制药厂")
    distributor = org(OrganizationKind.DISTRIBUTOR, "海南康泰医药有限公司")
    offer = OfferFactory(supplier=distributor.organization, drug=drug, stock=100)
    pharmacy = org(OrganizationKind.PHARMACY, "海口康宁大药房")
    # The hospital is public: it buys the drug from a delivery enterprise its MAH designated (SPEC §5a).
    hospital = org(OrganizationKind.HOSPITAL, "海口市人民医院")
    designation = designation_create(
        actor=actor_for_user(mah.user),
        drug_id=drug.pk,
        distributor_id=distributor.pk,
        valid_from=timezone.localdate(),
        buyer_ids=[hospital.pk],
    )
    designation_accept(actor=actor_for_user(distributor.user), designation=designation)
    world = World(
        drug=drug,
        mah=mah,
        distributor=distributor,
        pharmacy=pharmacy,
        hospital=hospital,
        clinic=org(OrganizationKind.PHARMACY, "三亚诊所药房"),
        admin=UserFactory(staff_role=StaffRole.ADMIN, is_staff=True),
        offer=offer,
    )
    sold(world.pharmacy, distributor, offer, "ＡＢ01", 4)
    sold(world.hospital, distributor, offer, "a b01", 6)
    sold(world.clinic, distributor, offer, "CD02", 2)
    return world


def recall(client, drug_id: int, lots=("ab 01",), level: str = "II", **headers):
    return client.post(
        "/api/v1/recalls/",
        {"drug": drug_id, "lots": list(lots), "level": level, "reason": "溶出度不合格"},
        format="json",
        **headers,
    )


def acknowledge(client, recall_id: int, quantity_held: int = 0, note: str = ""):
    return client.post(
        f"/api/v1/recalls/{recall_id}/acknowledge/", {"quantity_held": quantity_held, "note": note}, format="json"
    )


def buyers(client, recall_id: int) -> list[tuple[str, int, int | None]]:
    """(buyer name, units of the recalled lots shipped to it, quantity held as acknowledged or None)."""
    response = client.get(f"/api/v1/recalls/{recall_id}/buyers/")
    assert response.status_code == 200, response.json()
    return [
        (
            row["organization"]["legal_name"],
            row["shipped_quantity"],
            row["acknowledgement"] and row["acknowledgement"]["quantity_held"],
        )
        for row in response.json()["results"]
    ]


def test_the_mah_recalls_its_drug_and_every_spelling_of_the_lot_is_affected(world):
    response = recall(world.mah.client(), world.drug.pk, lots=["ab 01", " ab 01 "], level="I")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["drug"], body["drug_name"], body["lots"], body["level"], body["issuing_organization"]) == (
        world.drug.pk,
        "阿莫西林胶囊",
        ["ab 01"],
        "I",
        world.mah.pk,
    )
    recalled = Recall.objects.get()
    assert recalled.lot_keys == ["AB01"]
    issued = OutboxEvent.objects.filter(event_type="recall.issued").order_by("organization_id")
    assert sorted(issued.values_list("organization_id", flat=True)) == sorted([world.pharmacy.pk, world.hospital.pk])
    told = issued.get(organization_id=world.pharmacy.pk).payload
    assert (told["recall_id"], told["level"], told["drug_id"], told["lots"]) == (
        recalled.pk,
        "I",
        world.drug.pk,
        ["ab 01"],
    )
    assert [(s["lot_number"], s["quantity"]) for s in told["shipments"]] == [("ＡＢ01", 4)]

    affected = world.admin_client().get(f"/api/v1/recalls/{recalled.pk}/affected/").json()["results"]
    assert sorted((row["buyer"]["legal_name"], row["lot_number"], row["quantity"]) for row in affected) == [
        ("海口市人民医院", "a b01", 6),
        ("海口康宁大药房", "ＡＢ01", 4),
    ]


def test_a_recalled_lot_no_longer_ships_in_any_spelling(world):
    recall(world.mah.client(), world.drug.pk)
    response = place(world.clinic.client(), (world.offer.pk, 1))
    order = Order.objects.get(pk=response.json()["id"])
    world.distributor.client().post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json")
    for lot in ("AB01", "ＡＢ０１", "a-b01 ".replace("-", " "), "Ab\u300001"):
        refused = ship(world.distributor.client(), order, shipment_body(order, item(order.lines.get(), 1, lot=lot)))
        assert (refused.status_code, refused.json()["code"], refused.json()["errors"][0]["field"]) == (
            409,
            "recalled_lot",
            "lines[0].lot_number",
        ), lot
    fine = ship(world.distributor.client(), order, shipment_body(order, item(order.lines.get(), 1, lot="AB011")))
    assert fine.status_code == 200, fine.json()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("distributor", 403),  # a supplier of the drug, but not its holder
        ("pharmacy", 403),
        ("stranger_mah", 403),  # the holder of other drugs
        ("finance_admin", 403),
        ("admin", 201),
        ("mah", 201),
        ("mah_viewer", 403),
    ],
)
def test_who_may_recall(world, who, status):
    other_mah = org(OrganizationKind.MANUFACTURER, "某某制药")
    DrugFactory(mah_organization=other_mah.organization)
    clients = {
        "distributor": world.distributor.client,
        "pharmacy": world.pharmacy.client,
        "stranger_mah": other_mah.client,
        "finance_admin": lambda: client_for(UserFactory(staff_role=StaffRole.FINANCE_ADMIN, is_staff=True)),
        "admin": world.admin_client,
        "mah": world.mah.client,
        "mah_viewer": lambda: client_for(
            MembershipFactory(organization=world.mah.organization, role=MemberRole.VIEWER).user
        ),
    }
    response = recall(clients[who](), world.drug.pk)
    assert response.status_code == status, response.json()
    assert Recall.objects.count() == (1 if status == 201 else 0)
    assert OutboxEvent.objects.filter(event_type="recall.issued").count() == (2 if status == 201 else 0)
    if who == "admin":
        assert response.json()["issuing_organization"] is None


def test_the_mah_may_recall_a_withdrawn_drug(world):
    # a withdrawal of the approval often comes with a recall of what is on the market
    Drug.objects.filter(pk=world.drug.pk).update(status=DrugStatus.WITHDRAWN)
    response = recall(world.mah.client(), world.drug.pk)
    assert response.status_code == 201, response.json()
    assert recall(world.distributor.client(), world.drug.pk).status_code == 400  # others: no such drug


def test_a_recall_names_a_drug_and_a_lot(world):
    unknown = recall(world.admin_client(), 999_999)
    assert [(e["field"], e["code"]) for e in unknown.json()["errors"]] == [("drug", "does_not_exist")]
    blank = recall(world.mah.client(), world.drug.pk, lots=["  ", "\u3000"])
    assert [(e["field"], e["code"]) for e in blank.json()["errors"]] == [("lots[0]", "blank"), ("lots[1]", "blank")]
    assert not Recall.objects.exists()


def test_affected_buyers_acknowledge_once_with_what_they_hold(world):
    recall_id = recall(world.mah.client(), world.drug.pk).json()["id"]

    response = acknowledge(world.pharmacy.client(), recall_id, quantity_held=3, note="已封存3盒")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["recall"], body["organization"], body["quantity_held"], body["note"]) == (
        recall_id,
        world.pharmacy.pk,
        3,
        "已封存3盒",
    )
    again = acknowledge(world.pharmacy.client(), recall_id, quantity_held=1)
    assert (again.status_code, again.json()["code"]) == (409, "recall_already_acknowledged")
    assert RecallAcknowledgement.objects.get().quantity_held == 3

    told = OutboxEvent.objects.filter(event_type="recall.acknowledged")
    assert sorted(told.values_list("organization_id", flat=True)) == sorted([world.mah.pk, world.pharmacy.pk])
    assert told.get(organization_id=world.mah.pk).payload == {
        "recall_id": recall_id,
        "organization_id": world.pharmacy.pk,
        "quantity_held": 3,
    }


@pytest.mark.parametrize("who", ["clinic", "distributor", "mah"])
def test_an_organisation_that_received_none_of_the_lots_has_nothing_to_acknowledge(world, who):
    recall_id = recall(world.mah.client(), world.drug.pk).json()["id"]
    response = acknowledge(getattr(world, who).client(), recall_id)
    assert (response.status_code, response.json()["code"]) == (409, "recall_not_affected")
    assert not RecallAcknowledgement.objects.exists()
    assert not OutboxEvent.objects.filter(event_type="recall.acknowledged").exists()


def test_staff_do_not_acknowledge_and_a_negative_quantity_is_refused(world):
    recall_id = recall(world.mah.client(), world.drug.pk).json()["id"]
    assert acknowledge(world.admin_client(), recall_id).status_code == 403
    negative = acknowledge(world.pharmacy.client(), recall_id, quantity_held=-1)
    assert [(e["field"], e["code"]) for e in negative.json()["errors"]] == [("quantity_held", "min_value")]
    missing = world.pharmacy.client().post(f"/api/v1/recalls/{recall_id}/acknowledge/", {}, format="json")
    assert [(e["field"], e["code"]) for e in missing.json()["errors"]] == [("quantity_held", "required")]


def test_the_recall_shows_who_has_not_acknowledged(world):
    recall_id = recall(world.mah.client(), world.drug.pk).json()["id"]
    acknowledge(world.hospital.client(), recall_id, quantity_held=5)

    everyone = [("海口康宁大药房", 4, None), ("海口市人民医院", 6, 5)]  # in organisation order (pharmacy first)
    assert buyers(world.admin_client(), recall_id) == everyone
    assert buyers(world.mah.client(), recall_id) == everyone
    assert buyers(world.distributor.client(), recall_id) == everyone  # the buyers it shipped the lots to
    assert buyers(world.pharmacy.client(), recall_id) == [("海口康宁大药房", 4, None)]
    assert buyers(world.hospital.client(), recall_id) == [("海口市人民医院", 6, 5)]
    assert buyers(world.clinic.client(), recall_id) == []
    stranger = org(OrganizationKind.DISTRIBUTOR, "无关医药公司")
    assert buyers(stranger.client(), recall_id) == []


def test_the_recalls_buyers_are_paged_one_row_a_buyer_summed_over_its_shipments(world):
    sold(world.pharmacy, world.distributor, world.offer, "ab 01", 3)  # a second shipment of the lot, spelt anew
    recall_id = recall(world.mah.client(), world.drug.pk).json()["id"]
    client = world.admin_client()

    first = client.get(f"/api/v1/recalls/{recall_id}/buyers/", {"page_size": 1}).json()
    second = client.get(first["next"]).json()

    assert (first["count"], first["previous"], second["next"]) == (2, None, None)
    rows = [
        (row["organization"]["legal_name"], row["shipped_quantity"]) for row in first["results"] + second["results"]
    ]
    assert rows == [("海口康宁大药房", 7), ("海口市人民医院", 6)]
    bad = client.get(f"/api/v1/recalls/{recall_id}/buyers/", {"page_size": 201})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (400, "page_size")


def _lock_waiters() -> int:
    """Backends of this database waiting for a row lock (the recall, queued behind the shipment)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_shipment_racing_a_recall_is_either_refused_or_told_of_it(monkeypatch):
    """The shipment has read the recalls (none yet) when the MAH recalls its lot: the recall waits for it and
    counts it among the affected — never a shipment of a recalled lot whose buyer is not told."""
    mah = org(OrganizationKind.MANUFACTURER, "海南制药厂", role=MemberRole.OWNER)
    pharmacy = org(OrganizationKind.PHARMACY, "海口康宁大药房")
    drug = DrugFactory(mah_organization=mah.organization)
    offer = OfferFactory(supplier=mah.organization, drug=drug, stock=10)
    order = Order.objects.get(pk=place(pharmacy.client(), (offer.pk, 2)).json()["id"])
    assert mah.client().post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json").status_code == 200
    body = shipment_body(order, item(order.lines.get(), 2, lot="X1"))

    read, resume, results = threading.Event(), threading.Event(), {}
    original = shipping._recalled_lots

    def recalls_read_then_paused(drug_ids):
        found = original(drug_ids)
        if threading.current_thread().name == "shipper":
            read.set()
            resume.wait(timeout=60)
        return found

    monkeypatch.setattr(shipping, "_recalled_lots", recalls_read_then_paused)

    def run(name, call):
        try:
            results[name] = call()
        finally:
            connection.close()

    shipper = threading.Thread(
        name="shipper", target=run, args=("ship", lambda: ship(mah.client(), order, body).status_code)
    )
    recaller = threading.Thread(
        target=run, args=("recall", lambda: recall(mah.client(), drug.pk, lots=["x1"]).status_code)
    )
    shipper.start()
    assert read.wait(timeout=60)
    recaller.start()
    # let the recall go as far as it can: to its end, or to the lock the shipment holds
    for _ in range(600):
        if not recaller.is_alive() or _lock_waiters():
            break
        recaller.join(timeout=0.05)
    resume.set()
    shipper.join()
    recaller.join()

    assert results["recall"] == 201
    if results["ship"] == 200:  # the shipment committed first: the recall must count it
        told = OutboxEvent.objects.get(event_type="recall.issued", organization_id=pharmacy.pk)
        assert [(s["lot_number"], s["quantity"]) for s in told.payload["shipments"]] == [("X1", 2)]
    else:
        assert results["ship"] == 409
        assert not Shipment.objects.filter(order=order).exists()
