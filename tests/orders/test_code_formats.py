"""Enterprise-defined traceability codes (企业自定义码, SPEC §5): a supplier declares a drug's digits, length and
prefix; codes of that format then ship as kind `enterprise`."""

from __future__ import annotations

import pytest

from accounts.choices import MemberRole, OrganizationKind
from catalog.models import Offer
from orders.models import CodeFormat, Order, Shipment, TraceCode
from pharmex.choices import StaffRole
from tests.conftest import client_for
from tests.factories import DrugFactory, MembershipFactory, OfferFactory, OrganizationFactory, UserFactory
from tests.orders.conftest import place
from tests.orders.shipping import item, receive, ship, shipment_body

pytestmark = pytest.mark.django_db

PATH = "/api/v1/trace-code-formats/"


def declare(client, drug_id: int, prefix: str = "1234", length: int = 12, **headers):
    return client.post(PATH, {"drug": drug_id, "prefix": prefix, "length": length}, format="json", **headers)


def confirmed_order(buyer_client, supplier_client, offer: Offer, quantity: int) -> Order:
    response = place(buyer_client, (offer.pk, quantity))
    assert response.status_code == 201, response.json()
    order_id = response.json()["id"]
    assert supplier_client.post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json").status_code == 200
    return Order.objects.get(pk=order_id)


def test_a_supplier_declares_a_format_for_a_drug_it_offers_once(market):
    drug_id = market.offer.drug_id

    response = declare(market.supplier_client(), drug_id)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["drug"], body["organization"], body["prefix"], body["length"]) == (
        drug_id,
        market.supplier.pk,
        "1234",
        12,
    )
    again = declare(market.supplier_client(), drug_id)
    assert (again.status_code, again.json()["id"]) == (201, body["id"])
    assert CodeFormat.objects.count() == 1
    # a second format of the same drug is a format of its own
    other = declare(market.supplier_client(), drug_id, prefix="99", length=10)
    assert other.json()["id"] != body["id"]
    full_width = declare(market.supplier_client(), drug_id, prefix="１２３４")  # as a Chinese keyboard types it
    assert (full_width.status_code, full_width.json()["id"]) == (201, body["id"])
    listed = market.buyer_client().get(PATH).json()["results"]
    assert sorted((row["prefix"], row["length"]) for row in listed) == [("1234", 12), ("99", 10)]
    assert market.buyer_client().get(f"{PATH}{body['id']}/").json() == body


@pytest.mark.parametrize(
    ("prefix", "length", "errors"),
    [
        ("123456789", 8, [("prefix", "prefix_too_long")]),
        ("12345678", 8, [("prefix", "prefix_too_long")]),  # no digit left for the serial
        ("1234", 7, [("length", "min_value")]),
        ("1234", 41, [("length", "max_value")]),
        ("12a4", 12, [("prefix", "invalid")]),
        ("", 12, [("prefix", "blank")]),
        ("١٢٣٤", 12, [("prefix", "invalid")]),  # digits, but not the digits codes are read in
    ],
)
def test_a_format_must_be_digits_with_room_for_a_serial(market, prefix, length, errors):
    response = declare(market.supplier_client(), market.offer.drug_id, prefix=prefix, length=length)
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == errors
    assert not CodeFormat.objects.exists()


def test_only_a_supplier_of_the_drug_declares_its_format(market):
    stranger = MembershipFactory(organization=OfferFactory().supplier, role=MemberRole.OPERATOR).user
    for client in (client_for(stranger), market.buyer_client()):
        response = declare(client, market.offer.drug_id)
        assert response.status_code == 400
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("drug", "not_your_drug")]
    both = declare(client_for(stranger), market.offer.drug_id, prefix="123456789", length=8)
    assert [e["code"] for e in both.json()["errors"]] == ["not_your_drug", "prefix_too_long"]
    assert (
        declare(client_for(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True)), market.offer.drug_id).status_code
        == 403
    )
    viewer = MembershipFactory(organization=market.supplier, role=MemberRole.VIEWER).user
    assert declare(client_for(viewer), market.offer.drug_id).status_code == 403
    unknown = declare(market.supplier_client(), 999_999)
    assert [(e["field"], e["code"]) for e in unknown.json()["errors"]] == [("drug", "not_your_drug")]
    assert not CodeFormat.objects.exists()


def test_codes_of_a_declared_format_ship_as_enterprise_codes(market):
    order = confirmed_order(market.buyer_client(), market.supplier_client(), market.offer, 2)
    line = order.lines.get()
    before = ship(market.supplier_client(), order, shipment_body(order, item(line, 2, codes=["123400000001"])))
    assert [(e["field"], e["code"]) for e in before.json()["errors"]] == [
        ("lines[0].trace_codes[0]", "invalid_trace_code")
    ]

    assert declare(market.supplier_client(), market.offer.drug_id).status_code == 201
    wrong = ship(
        market.supplier_client(),
        order,
        shipment_body(order, item(line, 2, codes=["123500000001", "12340000001", "1234000000012"])),
    )
    assert [(e["field"], e["code"]) for e in wrong.json()["errors"]] == [
        ("lines[0].trace_codes[0]", "invalid_trace_code"),  # not the prefix
        ("lines[0].trace_codes[1]", "invalid_trace_code"),  # one digit short
        ("lines[0].trace_codes[2]", "invalid_trace_code"),  # one digit too many
    ]
    response = ship(
        market.supplier_client(), order, shipment_body(order, item(line, 2, codes=[" 123400000001", "123400000002"]))
    )

    assert response.status_code == 200, response.json()
    shipment = Shipment.objects.get(order=order)
    codes = market.buyer_client().get(f"/api/v1/shipments/{shipment.pk}/").json()["lines"][0]["codes"]
    assert [(c["code"], c["kind"]) for c in codes] == [("123400000001", "enterprise"), ("123400000002", "enterprise")]
    assert set(TraceCode.objects.values_list("kind", flat=True)) == {"enterprise"}


def test_a_reseller_ships_the_makers_enterprise_codes(market):
    # the manufacturer declared the format; the distributor that bought its boxes ships them on as they are
    maker = OrganizationFactory(kind=OrganizationKind.MANUFACTURER, legal_name="海南制药厂")
    maker_client = client_for(MembershipFactory(organization=maker, role=MemberRole.OPERATOR).user)
    drug = DrugFactory()
    made = OfferFactory(supplier=maker, drug=drug, stock=10)
    resold = OfferFactory(supplier=market.supplier, drug=drug, stock=10)
    assert declare(maker_client, drug.pk, prefix="77", length=10).status_code == 201

    bought = confirmed_order(market.supplier_client(), maker_client, made, 1)
    first = ship(maker_client, bought, shipment_body(bought, item(bought.lines.get(), 1, codes=["7700000001"])))
    assert first.status_code == 200, first.json()
    assert receive(market.supplier_client(), Shipment.objects.get(order=bought)).status_code == 200

    sold = confirmed_order(market.buyer_client(), market.supplier_client(), resold, 1)
    onward = ship(market.supplier_client(), sold, shipment_body(sold, item(sold.lines.get(), 1, codes=["7700000001"])))
    assert onward.status_code == 200, onward.json()
    code = TraceCode.objects.get(code="7700000001")
    assert (code.kind, code.holder_id, code.shipment_id) == (
        "enterprise",
        market.supplier.pk,
        Shipment.objects.get(order=sold).pk,
    )
