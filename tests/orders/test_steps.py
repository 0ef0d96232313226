"""The trading rules checked again after placement (SPEC §3): confirm, ship and receive."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.actor import actor_for_user
from accounts.choices import OrganizationStatus
from accounts.models import License
from catalog.choices import DrugType, RestrictedClass, Storage
from catalog.models import Offer
from orders.compliance import buyer_may_receive_reasons, supplier_may_ship_reasons
from orders.errors import StepNotAllowed
from orders.models import Order
from orders.services import order_confirm, order_reject
from pharmex.models import AuditEvent
from tests.factories import DrugFactory, LicenseFactory, OfferFactory
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db


def placed_order(market, *lines) -> Order:
    response = place(market.buyer_client(), *(lines or [(market.offer.pk, 5)]))
    assert response.status_code == 201, response.json()
    return Order.objects.get(pk=response.json()["id"])


def confirm(market, order, **headers):
    return market.supplier_client().post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json", **headers)


def codes(reasons) -> list[tuple[str, str]]:
    return [(r.field, r.code) for r in reasons]


def test_a_supplier_whose_licence_lapsed_after_placement_cannot_confirm_and_the_order_waits(market):
    order = placed_order(market)
    License.objects.filter(organization=market.supplier).update(valid_until=timezone.localdate() + timedelta(days=1))
    audit_before = AuditEvent.objects.count()

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = confirm(market, order)

    assert response.status_code == 409
    body = response.json()
    assert body["type"].endswith("/step-not-allowed")
    assert body["errors"] == [
        {
            "field": "supplier",
            "code": "supplier_may_not_trade",
            "message": "Your organisation may not trade now: it must be verified and hold a valid licence.",
        }
    ]
    order.refresh_from_db()
    assert (order.status, list(order.events.values_list("action", flat=True))) == ("placed", ["place"])
    assert AuditEvent.objects.count() == audit_before
    assert Offer.objects.get(pk=market.offer.pk).stock == 95  # nothing released: the order waits

    # a renewed licence lets it go on
    LicenseFactory(organization=market.supplier, valid_until=timezone.localdate() + timedelta(days=400))
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert confirm(market, order).status_code == 200


def test_a_suspended_supplier_may_not_confirm_but_may_still_reject(market):
    # The API refuses a suspended organisation's writes before any service runs; the service says why on its own.
    order = placed_order(market)
    market.supplier.status = OrganizationStatus.SUSPENDED
    market.supplier.save()
    actor = actor_for_user(market.supplier_operator)

    with pytest.raises(StepNotAllowed) as refused:
        order_confirm(order=order, actor=actor)
    order_reject(order=order, actor=actor, note="停业整顿")

    assert [e["code"] for e in refused.value.errors] == ["supplier_may_not_trade"]
    order.refresh_from_db()
    assert order.status == "rejected"


def test_the_refusal_speaks_chinese(market):
    order = placed_order(market)
    License.objects.filter(organization=market.supplier).update(valid_until=timezone.localdate() - timedelta(days=1))
    body = confirm(market, order, HTTP_ACCEPT_LANGUAGE="zh-CN").json()
    assert body["title"] == "交易规则目前不允许此操作；订单保持等待"
    assert body["errors"][0]["message"] == "贵机构目前不能交易：须经平台审核并持有有效资质。"


def test_ship_reasons_are_the_suppliers_standing_and_the_hold(market):
    order = placed_order(market)
    assert supplier_may_ship_reasons(order) == []
    License.objects.filter(organization=market.supplier).update(valid_until=timezone.localdate() - timedelta(days=1))
    Order.objects.filter(pk=order.pk).update(hold_status="held", hold_reason="registration_expired")
    order.refresh_from_db()
    assert codes(supplier_may_ship_reasons(order)) == [
        ("supplier", "supplier_may_not_trade"),
        ("order", "order_held"),
    ]


def test_receive_reasons_are_the_buyers_scope_for_the_goods(market):
    cold = OfferFactory(
        supplier=market.supplier, drug=DrugFactory(drug_type=DrugType.BIOLOGIC, storage=Storage.COLD_CHAIN)
    )
    anabolic = OfferFactory(supplier=market.supplier, drug=DrugFactory(restricted_class=RestrictedClass.NONE))
    LicenseFactory(organization=market.buyer, type="business", scope_tags=["biologics", "cold_chain"])
    order = placed_order(market, (market.offer.pk, 1), (cold.pk, 1), (anabolic.pk, 1))
    assert buyer_may_receive_reasons(order) == []

    # the buyer's scope shrinks (its licence is replaced by a narrower one) and a drug is reclassified
    License.objects.filter(organization=market.buyer).delete()
    LicenseFactory(organization=market.buyer, scope_tags=["tcm", "otc"])
    anabolic.drug.restricted_class = RestrictedClass.ANABOLIC_AGENT
    anabolic.drug.save()
    assert codes(buyer_may_receive_reasons(order)) == [
        ("lines[0]", "rx_not_licensed"),
        ("lines[0]", "chemical_not_licensed"),
        ("lines[1]", "rx_not_licensed"),
        ("lines[1]", "biologics_not_licensed"),
        ("lines[1]", "cold_chain_not_licensed"),
        ("lines[2]", "rx_not_licensed"),
        ("lines[2]", "chemical_not_licensed"),
        ("lines[2]", "anabolic_agent_not_for_pharmacies"),
    ]


def test_a_suspended_buyer_still_receives_what_its_licence_covers(market):
    order = placed_order(market)
    market.buyer.status = OrganizationStatus.SUSPENDED
    market.buyer.save()
    assert buyer_may_receive_reasons(order) == []
    License.objects.filter(organization=market.buyer).update(valid_until=timezone.localdate() - timedelta(days=1))
    assert [r.code for r in buyer_may_receive_reasons(order)] == ["rx_not_licensed", "chemical_not_licensed"]


def test_ship_and_receive_refuse_through_the_api_and_the_order_waits(market):
    """The checks are wired into the shipment and the receipt: a supplier whose licence lapsed after confirming
    cannot ship (409, nothing written), and a buyer whose licence no longer covers the goods cannot receive."""
    from orders.models import Shipment
    from tests.orders.shipping import item, receive, ship, shipment_body

    order = placed_order(market)
    assert confirm(market, order).status_code == 200
    order.refresh_from_db()
    body = shipment_body(order, item(order.lines.get(), 5))
    License.objects.filter(organization=market.supplier).update(valid_until=timezone.localdate() + timedelta(days=1))
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        refused = ship(market.supplier_client(), order, body)
    assert (refused.status_code, [e["code"] for e in refused.json()["errors"]]) == (409, ["supplier_may_not_trade"])
    assert not Shipment.objects.exists()
    assert ship(market.supplier_client(), order, body).status_code == 200

    shipment = Shipment.objects.get(order=order)
    License.objects.filter(organization=market.buyer).update(scope_tags=["chemical", "tcm", "otc"])  # no `rx`
    refused = receive(market.buyer_client(), shipment)
    assert (refused.status_code, [e["code"] for e in refused.json()["errors"]]) == (409, ["rx_not_licensed"])
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"
    License.objects.filter(organization=market.buyer).update(scope_tags=["chemical", "tcm", "rx", "otc"])
    assert receive(market.buyer_client(), shipment).status_code == 200
