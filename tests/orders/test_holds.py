"""A drug that leaves the market takes its offers off at once and holds its open orders until an admin decides."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from accounts.choices import MemberRole
from catalog.choices import DrugType, OfferStatus, SpecialClass
from catalog.models import Drug, Offer
from catalog.services import drug_registration_expiry_run, drug_update
from orders.models import Order
from pharmex.actor import SYSTEM_ACTOR
from pharmex.models import AuditEvent
from tests.conftest import client_for
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory, UserFactory
from tests.orders.conftest import place
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return client_for(UserFactory(staff_role="admin", is_staff=True))


def placed_order(market, *lines) -> Order:
    response = place(market.buyer_client(), *(lines or [(market.offer.pk, 5)]))
    assert response.status_code == 201, response.json()
    return Order.objects.get(pk=response.json()["id"])


def hold_of(order: Order) -> tuple[str, str]:
    order.refresh_from_db()
    return order.hold_status, order.hold_reason


def test_a_drug_reclassified_into_a_banned_class_pauses_its_offers_and_holds_its_open_orders(market, admin):
    drug = market.offer.drug
    other_supplier_offer = OfferFactory(drug=drug)
    placed = placed_order(market)
    confirmed = placed_order(market)
    market.supplier_client().post(f"/api/v1/orders/{confirmed.pk}/confirm/", {}, format="json")
    cancelled = placed_order(market)
    market.buyer_client().post(f"/api/v1/orders/{cancelled.pk}/cancel/", {}, format="json")
    unrelated = placed_order(market, (OfferFactory(supplier=market.supplier).pk, 1))

    response = admin.patch(f"/api/v1/drugs/{drug.pk}/", {"special_class": SpecialClass.PSYCHOTROPIC_II}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["market_exit_at"] is not None
    assert set(Offer.objects.filter(drug=drug).values_list("status", flat=True)) == {OfferStatus.PAUSED}
    assert list(Offer.objects.get(pk=other_supplier_offer.pk).status_changes.values_list("action", "data")) == [
        ("pause", {"reason": "network_sale_banned"})
    ]
    assert hold_of(placed) == hold_of(confirmed) == ("held", "network_sale_banned")
    assert hold_of(cancelled) == hold_of(unrelated) == ("none", "")
    assert list(placed.events.values_list("action", "from_status", "to_status")) == [
        ("place", "", "placed"),
        ("hold", "none", "held"),
    ]
    assert AuditEvent.objects.filter(action="order.held").count() == 2
    assert AuditEvent.objects.filter(action="drug.left_market", object_id=str(drug.pk)).count() == 1
    assert OutboxEvent.objects.filter(event_type="order.held").count() == 4  # to the buyer and the supplier
    # the buyer sees why
    body = market.buyer_client().get(f"/api/v1/orders/{placed.pk}/").json()
    assert body["hold"]["status"] == "held"
    assert body["hold"]["reason"] == "network_sale_banned"


def test_it_happens_in_the_transaction_of_the_change(market):
    order = placed_order(market)
    with pytest.raises(RuntimeError), transaction.atomic():
        drug_update(drug=market.offer.drug, actor=SYSTEM_ACTOR, data={"drug_type": DrugType.BLOOD_PRODUCT})
        raise RuntimeError("the change fails later on")
    assert Offer.objects.get(pk=market.offer.pk).status == OfferStatus.ACTIVE
    assert hold_of(order) == ("none", "")
    assert Drug.objects.get(pk=market.offer.drug_id).market_exit_at is None


def test_a_held_order_cannot_be_confirmed_until_an_admin_releases_it(market, admin):
    order = placed_order(market)
    drug_update(drug=market.offer.drug, actor=SYSTEM_ACTOR, data={"drug_type": DrugType.VACCINE})

    refused = market.supplier_client().post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json")
    released = admin.post(f"/api/v1/orders/{order.pk}/release-hold/", {"note": "批次在禁售前生产"}, format="json")
    confirmed = market.supplier_client().post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json")

    assert refused.status_code == 409
    assert [e["code"] for e in refused.json()["errors"]] == ["order_held"]
    assert released.status_code == 200, released.json()
    assert released.json()["hold"]["status"] == "released"
    assert released.json()["hold"]["decided_at"] is not None
    assert confirmed.status_code == 200
    assert list(order.events.values_list("action", flat=True)) == ["place", "hold", "release_hold", "confirm"]
    assert OutboxEvent.objects.filter(event_type="order.hold_released", object_id=str(order.pk)).count() == 2


def test_an_admin_cancels_a_held_order_and_its_stock_comes_back(market, admin):
    order = placed_order(market)
    drug_update(drug=market.offer.drug, actor=SYSTEM_ACTOR, data={"drug_type": DrugType.VACCINE})

    without_reason = admin.post(f"/api/v1/orders/{order.pk}/cancel-held/", {}, format="json")
    response = admin.post(f"/api/v1/orders/{order.pk}/cancel-held/", {"note": "药品已禁售"}, format="json")

    assert without_reason.status_code == 400
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["hold"]["status"]) == ("cancelled", "cancelled")
    assert Offer.objects.get(pk=market.offer.pk).stock == 100
    assert AuditEvent.objects.filter(action="order.cancel_held", object_id=str(order.pk)).count() == 1
    assert OutboxEvent.objects.filter(event_type="order.cancelled", object_id=str(order.pk)).count() == 2


def test_only_platform_admins_decide_and_only_on_held_orders(market, admin):
    order = placed_order(market)
    not_held = admin.post(f"/api/v1/orders/{order.pk}/release-hold/", {}, format="json")
    drug_update(drug=market.offer.drug, actor=SYSTEM_ACTOR, data={"drug_type": DrugType.VACCINE})
    owner = client_for(MembershipFactory(organization=market.buyer, role=MemberRole.OWNER).user)

    assert (not_held.status_code, not_held.json()["code"]) == (409, "order_not_held")
    for client in (owner, market.supplier_client()):
        assert client.post(f"/api/v1/orders/{order.pk}/release-hold/", {}, format="json").status_code == 403
        assert client.post(f"/api/v1/orders/{order.pk}/cancel-held/", {"note": "x"}, format="json").status_code == 403
    assert admin.post("/api/v1/orders/987654/release-hold/", {}, format="json").status_code == 404
    assert hold_of(order) == ("held", "network_sale_banned")


def test_the_admins_queue_lists_held_orders_and_parties_see_only_theirs(market, admin):
    held = placed_order(market)
    other_market_order = placed_order(market, (OfferFactory(supplier=market.supplier).pk, 1))
    drug_update(drug=market.offer.drug, actor=SYSTEM_ACTOR, data={"drug_type": DrugType.VACCINE})
    stranger = client_for(MembershipFactory(organization=OrganizationFactory(), role=MemberRole.OWNER).user)

    assert [o["id"] for o in admin.get("/api/v1/orders/?held=true").json()["results"]] == [held.pk]
    ended = placed_order(market, (OfferFactory(supplier=market.supplier).pk, 1))
    Order.objects.filter(pk=ended.pk).update(hold_status="held", status="cancelled")  # its buyer cancelled it
    assert [o["id"] for o in admin.get("/api/v1/orders/?held=true").json()["results"]] == [held.pk]
    assert [o["id"] for o in admin.get("/api/v1/orders/?held=false").json()["results"]] == [
        ended.pk,
        other_market_order.pk,
    ]
    assert [o["id"] for o in market.buyer_client().get("/api/v1/orders/?held=true").json()["results"]] == [held.pk]
    assert stranger.get("/api/v1/orders/?held=true").json()["results"] == []
    assert stranger.get(f"/api/v1/orders/{held.pk}/").status_code == 404


def test_the_nightly_job_takes_expired_registrations_off_the_market_once(market, admin):
    drug = market.offer.drug
    drug.registration_valid_until = timezone.localdate() + timedelta(days=3)
    drug.save()
    order = placed_order(market)
    market_view = f"/api/v1/drugs/{drug.pk}/offers/"

    later = timezone.now() + timedelta(days=4)
    with time_machine.travel(later):
        hidden_before_the_job = market.buyer_client().get(market_view).json()["results"]
        assert drug_registration_expiry_run() == 1
        assert drug_registration_expiry_run() == 0  # a rerun changes nothing
    assert admin.post(f"/api/v1/orders/{order.pk}/release-hold/", {}, format="json").status_code == 200
    with time_machine.travel(later):
        assert drug_registration_expiry_run() == 0  # nor undoes the admin's release

    assert hidden_before_the_job == []
    assert Offer.objects.get(pk=market.offer.pk).status == OfferStatus.PAUSED
    assert hold_of(order) == ("released", "registration_expired")
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        reactivate = market.supplier_client().patch(
            f"/api/v1/offers/{market.offer.pk}/", {"status": "active"}, format="json"
        )
    assert (reactivate.status_code, reactivate.json()["code"]) == (409, "registration_expired")


def test_a_renewed_registration_clears_the_exit_and_a_later_ban_holds_released_orders_again(market, admin):
    drug = market.offer.drug
    order = placed_order(market)
    yesterday = timezone.localdate() - timedelta(days=1)
    drug_update(drug=drug, actor=SYSTEM_ACTOR, data={"registration_valid_until": yesterday})
    admin.post(f"/api/v1/orders/{order.pk}/release-hold/", {}, format="json")

    # banned on top of the expiry: a new reason, so the released order is held again
    drug_update(drug=drug, actor=SYSTEM_ACTOR, data={"drug_type": DrugType.BLOOD_PRODUCT})
    assert hold_of(order) == ("held", "network_sale_banned")

    drug_update(
        drug=drug,
        actor=SYSTEM_ACTOR,
        data={"drug_type": DrugType.CHEMICAL, "registration_valid_until": yesterday + timedelta(days=1000)},
    )
    assert (Drug.objects.get(pk=drug.pk).market_exit_at, Drug.objects.get(pk=drug.pk).market_exit_reason) == (None, "")
    assert hold_of(order) == ("held", "network_sale_banned")  # what is held stays held until an admin decides


def test_the_hold_messages_speak_chinese(market, admin):
    order = placed_order(market)
    not_held = admin.post(f"/api/v1/orders/{order.pk}/release-hold/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert not_held.json()["title"] == "该订单未被暂扣：无需处理"
    drug_update(drug=market.offer.drug, actor=SYSTEM_ACTOR, data={"drug_type": DrugType.VACCINE})
    refused = market.supplier_client().post(
        f"/api/v1/orders/{order.pk}/confirm/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert refused.json()["errors"][0]["message"].startswith("该订单已被暂扣（")


def test_a_held_order_does_not_ship_and_an_admin_closes_the_rest_of_a_partly_shipped_one(market, admin):
    """A partly shipped order is held like any open one; the admin's cancel closes what is left to ship (its
    reservation back to stock) instead of cancelling goods already on their way, which are received as usual."""
    from orders.models import Shipment
    from tests.orders.shipping import item, receive, ship, shipment_body

    order = placed_order(market)
    market.supplier_client().post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json")
    line = order.lines.get()
    assert ship(market.supplier_client(), order, shipment_body(order, item(line, 2))).status_code == 200
    admin.patch(
        f"/api/v1/drugs/{market.offer.drug_id}/", {"special_class": SpecialClass.PSYCHOTROPIC_II}, format="json"
    )
    assert hold_of(order) == ("held", "network_sale_banned")

    refused = ship(market.supplier_client(), order, shipment_body(order, item(line, 3)))
    assert (refused.status_code, [e["code"] for e in refused.json()["errors"]]) == (409, ["order_held"])

    stock_before = Offer.objects.get(pk=market.offer.pk).stock
    response = admin.post(f"/api/v1/orders/{order.pk}/cancel-held/", {"note": "药品已禁售"}, format="json")
    assert response.status_code == 200, response.json()
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.status, order.hold_status, line.shipped_quantity, line.closed_quantity) == (
        "shipped",
        "cancelled",
        2,
        3,
    )
    assert Offer.objects.get(pk=market.offer.pk).stock == stock_before + 3
    assert receive(market.buyer_client(), Shipment.objects.get(order=order)).status_code == 200
    order.refresh_from_db()
    assert order.status == "received"
