"""Placing a stored procurement plan as one checkout (SPEC §5a): all or nothing, once, audited, announced."""

import io
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import MemberRole, OrganizationKind
from catalog.models import Offer
from orders.models import Order, OrderLine
from pharmex.models import AuditEvent
from procurement.choices import PlanStatus
from procurement.models import ProcurementPlan
from tests.concurrency import run_concurrently
from tests.conftest import client_for
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory
from tests.procurement.conftest import TODAY, days
from webhooks.models import OutboxEvent

PLANS = "/api/v1/procurement-plans/"


def upload(client, content: str, name: str = "plan.csv"):
    file = io.BytesIO(content.encode())
    file.name = name
    return client.post(PLANS, {"file": file}, format="multipart")


def place(client, plan_id: int, body: dict | None = None, **headers):
    return client.post(f"{PLANS}{plan_id}/place/", body or {}, format="json", **headers)


@pytest.fixture
def cheap(db):
    """An offer of a drug whose MAH is not on the platform: any buyer may order it from anyone."""
    return OfferFactory(
        supplier=OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR), unit_price=Decimal("3.00"), stock=50
    )


@pytest.mark.django_db
class TestPlacing:
    def test_a_checked_plan_becomes_one_checkout_with_an_order_per_supplier(self, public, cheap):
        client = public.client(public.hospital)
        content = f"drug_id,quantity,supplier_id\n{public.drug.pk},10,{public.mah.pk}\n{cheap.drug_id},4,\n"
        created = upload(client, content)
        assert created.status_code == 201, created.json()
        plan = created.json()
        assert (plan["status"], [line["eligible"] for line in plan["lines"]]) == ("checked", [True, True])
        assert Order.objects.count() == 0

        response = place(client, plan["id"])

        assert response.status_code == 201, response.json()
        body = response.json()
        orders = Order.objects.filter(buyer=public.hospital).order_by("supplier_id")
        assert sorted(order["id"] for order in body["orders"]) == sorted(order.pk for order in orders)
        assert {order.supplier_id for order in orders} == {public.mah.pk, cheap.supplier_id}
        assert len({order.checkout_id for order in orders}) == 1
        assert body["plan"]["status"] == "placed"
        assert body["plan"]["checkout_id"] == str(orders[0].checkout_id)
        lines = {line["row"]: line for line in body["plan"]["lines"]}
        assert OrderLine.objects.get(pk=lines[2]["order_line"]).offer_id == public.mah_offer.pk
        assert OrderLine.objects.get(pk=lines[3]["order_line"]).quantity == 4
        assert [(lines[r]["placed_unit_price"], lines[r]["price_changed"]) for r in (2, 3)] == [
            ("10.00", False),
            ("3.00", False),
        ]
        assert Offer.objects.get(pk=cheap.pk).stock == 46
        assert AuditEvent.objects.filter(action="procurement_plan.place", object_id=str(plan["id"])).count() == 1
        event = OutboxEvent.objects.get(event_type="procurement_plan.placed")
        assert (event.organization_id, event.payload["order_ids"]) == (public.hospital.pk, [o.pk for o in orders])
        assert OutboxEvent.objects.filter(event_type="order.placed").count() == 4  # buyer and supplier, each order

    def test_placing_again_answers_the_same_orders(self, public, cheap):
        client = public.client(public.hospital)
        plan_id = upload(client, f"drug_id,quantity\n{cheap.drug_id},4\n").json()["id"]
        first = place(client, plan_id)
        again = place(client, plan_id)
        assert (first.status_code, again.status_code) == (201, 200)
        assert [o["id"] for o in again.json()["orders"]] == [o["id"] for o in first.json()["orders"]]
        assert Order.objects.count() == 1
        assert Offer.objects.get(pk=cheap.pk).stock == 46

    def test_the_same_idempotency_key_twice_makes_one_set_of_orders(self, public, cheap):
        client = public.client(public.hospital)
        plan_id = upload(client, f"drug_id,quantity\n{cheap.drug_id},4\n{public.drug.pk},1\n").json()["id"]
        first = place(client, plan_id, HTTP_IDEMPOTENCY_KEY="plan-2026-12")
        replay = place(client, plan_id, HTTP_IDEMPOTENCY_KEY="plan-2026-12")
        assert (first.status_code, replay.status_code) == (201, 201)
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == first.json()
        assert Order.objects.count() == 2

    def test_a_plan_with_an_ineligible_row_is_refused_whole_unless_only_the_eligible_rows_are_asked_for(
        self, public, cheap
    ):
        client = public.client(public.hospital)
        content = f"drug_id,quantity,supplier_id\n{cheap.drug_id},4,\n{public.drug.pk},1,{public.other.pk}\n"
        plan_id = upload(client, content).json()["id"]

        refused = place(client, plan_id)

        assert refused.status_code == 409, refused.json()
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
            ("rows[3].offer_id", "delivery_enterprise_not_designated")
        ]
        assert Order.objects.count() == 0
        assert ProcurementPlan.objects.get(pk=plan_id).status == PlanStatus.CHECKED

        placed = place(client, plan_id, {"eligible_only": True})

        assert placed.status_code == 201, placed.json()
        lines = {line["row"]: line for line in placed.json()["plan"]["lines"]}
        assert lines[2]["order_line"] is not None and lines[3]["order_line"] is None
        assert Order.objects.get().supplier_id == cheap.supplier_id
        event = OutboxEvent.objects.get(event_type="procurement_plan.placed")
        assert event.payload["skipped_rows"] == [3]

    def test_a_plan_without_an_eligible_row_places_nothing(self, public):
        client = public.client(public.hospital)
        plan_id = upload(client, f"drug_id,quantity,supplier_id\n{public.drug.pk},1,{public.other.pk}\n").json()["id"]
        response = place(client, plan_id, {"eligible_only": True})
        assert (response.status_code, response.json()["errors"][0]["code"]) == (409, "nothing_to_place")

    def test_a_price_that_moved_since_the_check_is_the_price_at_placement_and_the_line_says_so(self, public, cheap):
        client = public.client(public.hospital)
        plan_id = upload(client, f"drug_id,quantity,supplier_id\n{public.drug.pk},10,{public.mah.pk}\n").json()["id"]
        negotiated = public.client(public.mah).post(
            "/api/v1/contract-prices/",
            {"buyer_id": public.hospital.pk, "drug_id": public.drug.pk, "unit_price": "8.50",
             "valid_from": str(TODAY()), "valid_until": str(days(30))},
            format="json",
        )  # fmt: skip
        assert negotiated.status_code == 201

        response = place(client, plan_id)

        assert response.status_code == 201, response.json()
        (line,) = response.json()["plan"]["lines"]
        assert (line["unit_price"], line["placed_unit_price"], line["price_changed"]) == ("10.00", "8.50", True)
        assert Order.objects.get().total_gross == Decimal("85.00")

    def test_a_row_the_gate_refuses_at_placement_refuses_the_plan_naming_the_row(self, public, cheap):
        client = public.client(public.hospital)
        plan_id = upload(client, f"drug_id,quantity\n{public.drug.pk},1\n{cheap.drug_id},40\n").json()["id"]
        Offer.objects.filter(pk=cheap.pk).update(stock=39)  # another buyer took stock since the check

        response = place(client, plan_id)

        assert response.status_code == 409, response.json()
        assert [e["field"] for e in response.json()["errors"]] == ["rows[3].quantity"]
        assert (Order.objects.count(), Offer.objects.get(pk=cheap.pk).stock) == (0, 39)
        assert ProcurementPlan.objects.get(pk=plan_id).status == PlanStatus.CHECKED

    def test_only_the_buyer_sees_and_places_its_plan(self, public, cheap):
        plan_id = upload(public.client(public.hospital), f"drug_id,quantity\n{cheap.drug_id},1\n").json()["id"]
        stranger = public.client(OrganizationFactory(kind=OrganizationKind.PHARMACY))
        assert stranger.get(f"{PLANS}{plan_id}/").status_code == 404
        assert place(stranger, plan_id).status_code == 404
        mine = public.client(public.hospital).get(PLANS).json()
        assert [(plan["id"], plan["status"], "lines" in plan) for plan in mine["results"]] == [
            (plan_id, "checked", False)
        ]
        assert len(public.client(public.hospital).get(f"{PLANS}{plan_id}/").json()["lines"]) == 1

    def test_a_viewer_cannot_place(self, public, cheap):
        plan_id = upload(public.client(public.hospital), f"drug_id,quantity\n{cheap.drug_id},1\n").json()["id"]
        viewer = public.client(public.hospital, MemberRole.VIEWER)
        assert place(viewer, plan_id).status_code == 403
        assert Order.objects.count() == 0


@pytest.mark.django_db
def test_placing_a_plan_costs_the_same_queries_whatever_its_rows(public):
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)
    offers = [OfferFactory(supplier=supplier) for _ in range(5)]
    client = public.client(public.hospital)
    counts = []
    for rows in (1, 5):
        plan_id = upload(client, "drug_id,quantity\n" + "".join(f"{o.drug_id},1\n" for o in offers[:rows])).json()["id"]
        with CaptureQueriesContext(connection) as queries:
            assert place(client, plan_id).status_code == 201
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_plan_placements_against_limited_stock_never_oversell():
    # Each plan wants 3 of a plentiful offer and 2 of a scarce one (15 in stock) from two suppliers: 7 plans fit.
    plenty = OfferFactory(supplier=OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR), stock=1000)
    scarce = OfferFactory(supplier=OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR), stock=15)
    operators = [
        MembershipFactory(
            organization=OrganizationFactory(kind=OrganizationKind.PHARMACY), role=MemberRole.OPERATOR
        ).user
        for _ in range(20)
    ]
    content = f"drug_id,quantity,supplier_id\n{plenty.drug_id},3,\n{scarce.drug_id},2,\n"
    plan_ids = []
    for user in operators:
        response = upload(client_for(user), content)
        assert response.status_code == 201 and all(line["eligible"] for line in response.json()["lines"])
        plan_ids.append(response.json()["id"])

    def place_one(index: int) -> tuple[int, dict]:
        response = place(client_for(operators[index]), plan_ids[index], HTTP_IDEMPOTENCY_KEY=f"plan-{index}")
        return response.status_code, response.json()

    results = run_concurrently(20, place_one)

    statuses = Counter(status for status, _body in results)
    assert statuses == {201: 7, 409: 13}
    for status, body in results:
        if status == 409:
            assert body["code"] == "insufficient_stock"
            assert {error["field"] for error in body["errors"]} == {"rows[3].quantity"}
    assert Offer.objects.get(pk=scarce.pk).stock == 1
    assert Offer.objects.get(pk=plenty.pk).stock == 1000 - 7 * 3
    assert Order.objects.count() == 14  # two suppliers, for each placed plan
    assert sum(OrderLine.objects.filter(offer=scarce).values_list("quantity", flat=True)) == 14
    placed = ProcurementPlan.objects.filter(status=PlanStatus.PLACED)
    assert placed.count() == 7
    for plan in placed:  # fully placed: both rows, both orders
        assert plan.lines.filter(order_line__isnull=False).count() == 2
    assert not ProcurementPlan.objects.filter(status=PlanStatus.CHECKED, lines__order_line__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_one_plan_placed_by_five_operators_at_once_is_ordered_once():
    offer = OfferFactory(supplier=OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR), stock=100)
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    operators = [MembershipFactory(organization=buyer, role=MemberRole.OPERATOR).user for _ in range(5)]
    plan_id = upload(client_for(operators[0]), f"drug_id,quantity\n{offer.drug_id},10\n").json()["id"]

    def place_it(index: int) -> tuple[int, list[int]]:
        response = place(client_for(operators[index], organization_id=buyer.pk), plan_id)
        return response.status_code, [order["id"] for order in response.json()["orders"]]

    results = run_concurrently(5, place_it)

    assert sorted(status for status, _ids in results) == [200, 200, 200, 200, 201]
    assert len({tuple(ids) for _status, ids in results}) == 1
    assert Order.objects.count() == 1
    assert Offer.objects.get(pk=offer.pk).stock == 90
