"""Any sequence of amendments, a line-level confirmation, shipments, receipts and closings, through the API, keeps
the lines' buckets adding up, the totals and taxes the sums of the lines, and the offers' stock equal to what the
order still holds (SPEC §5, issue 21)."""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.choices import MemberRole, OrganizationKind
from catalog.models import Offer
from orders.models import Order, OrderLine
from pharmex.money import line_amounts, money_sum
from tests.conftest import client_for
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory
from tests.orders.conftest import place
from tests.orders.test_line_buckets import STOCK, LineModel, Scenario

POOL = 3  # offers of the supplier the order may hold


class AmendedScenario(Scenario):
    """A placed order, amended and then confirmed line by line, before the shipping steps of `Scenario`."""

    def __init__(self, quantities: list[int]) -> None:
        supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)
        buyer = OrganizationFactory(
            kind=OrganizationKind.HOSPITAL, ownership="private"
        )  # private: a public one's two-invoice chain is tests/procurement/test_two_invoice_chain.py
        self.supplier = client_for(MembershipFactory(organization=supplier, role=MemberRole.OPERATOR).user)
        self.buyer = client_for(MembershipFactory(organization=buyer, role=MemberRole.OPERATOR).user)
        self.offers = [OfferFactory(supplier=supplier, stock=STOCK) for _ in range(POOL)]
        response = place(self.buyer, *((offer.pk, q) for offer, q in zip(self.offers, quantities, strict=False)))
        assert response.status_code == 201, response.json()
        self.order = Order.objects.get(pk=response.json()["id"])
        self.wanted = {offer.pk: q for offer, q in zip(self.offers, quantities, strict=False)}  # while placed
        self.status = "placed"
        self.proposal: dict[int, int] | None = None  # the supplier's open proposal: the lines it would give
        self.proposal_refused = False  # an open proposal naming an offer twice (the gate refuses to accept it)
        self.lines = {}
        self.shipments = []
        self.lots = 0

    def amend(self, data: st.DataObject) -> None:
        """New quantities, lines removed or added: applied while placed, 409 afterwards."""
        chosen = data.draw(
            st.lists(st.sampled_from(self.offers), min_size=1, max_size=POOL, unique=True), label="offers"
        )
        wanted = {offer.pk: data.draw(st.integers(min_value=1, max_value=7), label="quantity") for offer in chosen}
        body = {"lines": [{"offer_id": pk, "quantity": q} for pk, q in wanted.items()]}
        response = self.buyer.post(f"/api/v1/orders/{self.order.pk}/amend/", body, format="json", HTTP_IF_MATCH="*")
        if self.status != "placed":
            assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
        elif wanted == self.wanted:
            assert (response.status_code, response.json()["errors"][0]["code"]) == (400, "unchanged")
        else:
            assert response.status_code == 200, response.json()
            self.wanted, self.proposal, self.proposal_refused = wanted, None, False  # an amendment ends a proposal

    def propose(self, data: st.DataObject) -> None:
        """The supplier proposes another quantity, or another of its offers, for one line."""
        line_no, offer_id = data.draw(st.sampled_from(sorted(self._placed_lines().items())), label="line")
        substitute = data.draw(st.sampled_from([None, *(o.pk for o in self.offers)]), label="substitute")
        quantity = data.draw(st.integers(min_value=1, max_value=7), label="proposed quantity")
        body = {"lines": [{"line_no": line_no, "quantity": quantity, "reason": "整件发货"}]}
        if substitute is not None:
            body["lines"][0]["offer_id"] = substitute
        response = self.supplier.post(f"/api/v1/orders/{self.order.pk}/propose/", body, format="json")
        event(f"propose: {response.status_code}")
        if self.status != "placed":
            assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
        elif (substitute or offer_id) == offer_id and quantity == self.wanted[offer_id]:
            assert (response.status_code, response.json()["errors"][0]["code"]) == (400, "unchanged")
        else:
            assert response.status_code == 200, response.json()
            proposal = {pk: q for pk, q in self.wanted.items() if pk != offer_id}
            proposal[substitute or offer_id] = quantity
            # a substitute already on the order makes the proposal's lines name one offer twice: the gate refuses it
            duplicate = substitute not in (None, offer_id) and substitute in self.wanted
            self.proposal = None if duplicate else proposal
            self.proposal_refused = duplicate

    def answer(self, data: st.DataObject) -> None:
        """The buyer accepts (an amendment) or declines the open proposal; 409 without one."""
        accept = data.draw(st.booleans(), label="accept")
        action = "accept-proposal" if accept else "decline-proposal"
        response = self.buyer.post(f"/api/v1/orders/{self.order.pk}/{action}/", {}, format="json", HTTP_IF_MATCH="*")
        event(f"{action}: {response.status_code}")  # --hypothesis-show-statistics shows what the runs reached
        open_proposal = self.proposal is not None or self.proposal_refused
        if self.status != "placed" or not open_proposal:
            assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
            return
        if accept and self.proposal is None:  # the duplicate-offer proposal: refused by the gate, still open
            assert (response.status_code, response.json()["errors"][0]["code"]) == (409, "duplicate_offer")
            return
        assert response.status_code == 200, response.json()
        if accept:
            self.wanted = self.proposal
        self.proposal, self.proposal_refused = None, False

    def _placed_lines(self) -> dict[int, int]:
        return dict(OrderLine.objects.filter(order=self.order).values_list("line_no", "offer_id"))

    def confirm(self, data: st.DataObject) -> None:
        """Each line in full, in part or rejected; every line rejected rejects the order."""
        response = self.supplier.get(f"/api/v1/orders/{self.order.pk}/")
        decisions, accepted = [], {}
        for line in response.json()["lines"]:
            quantity = data.draw(st.integers(min_value=0, max_value=line["quantity"]), label="accepted")
            accepted[line["id"]] = (line["offer"], quantity)
            if quantity < line["quantity"] or data.draw(st.booleans(), label="named"):
                decisions.append({"line_no": line["line_no"], "quantity": quantity, "reason": "库存不足"})
        response = self.supplier.post(f"/api/v1/orders/{self.order.pk}/confirm/", {"lines": decisions}, format="json")
        if self.status != "placed":
            assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
            return
        assert response.status_code == 200, response.json()
        if not any(quantity for _, quantity in accepted.values()):
            self.status = "rejected"
            return
        self.status = "confirmed"
        self.lines = {pk: LineModel(offer_id, quantity) for pk, (offer_id, quantity) in accepted.items()}

    def ship(self, data):
        if self.status == "confirmed":
            super().ship(data)

    def receive(self, data):
        if self.status == "confirmed":
            super().receive(data)

    def close(self, data):
        if self.status == "confirmed":
            super().close(data)

    def check(self) -> None:
        order = Order.objects.get(pk=self.order.pk)
        lines = list(OrderLine.objects.filter(order=order))
        for line in lines:
            assert (line.line_gross, line.line_tax) == line_amounts(
                unit_price=line.unit_price, quantity=line.quantity, vat_rate=line.vat_rate
            )
        assert order.total_gross == money_sum(line.line_gross for line in lines)
        assert order.total_tax == money_sum(line.line_tax for line in lines)
        holding = {line.offer_id: line.quantity - line.closed_quantity for line in lines}
        if self.status == "rejected":
            assert order.status == "rejected"
            holding = {}
        for offer in self.offers:
            assert Offer.objects.get(pk=offer.pk).stock == STOCK - holding.get(offer.pk, 0)
        if self.status == "placed":
            assert order.status == "placed"
            assert {line.offer_id: line.quantity for line in lines} == self.wanted
            assert all(line.confirmation == "" for line in lines)
        elif self.status == "confirmed":
            for line in lines:
                assert line.requested_quantity >= line.quantity
                expected = "full" if line.quantity == line.requested_quantity else "partial"
                assert line.confirmation == (expected if line.quantity else "rejected")
            super().check()


STEPS = ["amend", "propose", "answer", "amend", "confirm", "ship", "receive", "close", "propose", "confirm"]


class AmendmentBuckets(TestCase):
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,  # the same sequences every run: a failure reproduces
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        quantities=st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=POOL),
        steps=st.lists(st.sampled_from(STEPS), min_size=3, max_size=10),
        data=st.data(),
    )
    def test_buckets_totals_and_stock_add_up_after_every_step(self, quantities, steps, data):
        scenario = AmendedScenario(quantities)
        scenario.check()
        for step in steps:
            getattr(scenario, step)(data)
            scenario.check()
