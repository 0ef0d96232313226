from dataclasses import dataclass
from decimal import Decimal

import pytest

from accounts.choices import MemberRole, OrganizationKind
from accounts.models import Organization, User
from catalog.models import Offer
from tests.conftest import client_for
from tests.factories import DrugFactory, MembershipFactory, OfferFactory, OrganizationFactory


@dataclass
class Market:
    supplier: Organization
    buyer: Organization
    supplier_operator: User
    buyer_operator: User
    offer: Offer

    def buyer_client(self):
        return client_for(self.buyer_operator)

    def supplier_client(self):
        return client_for(self.supplier_operator)


@pytest.fixture
def market(db) -> Market:
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="海南康泰医药有限公司")
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY, legal_name="海口康宁大药房")
    drug = DrugFactory(generic_name="阿莫西林胶囊", specification="0.25g", package="24粒/盒")
    offer = OfferFactory(supplier=supplier, drug=drug, unit_price=Decimal("12.35"), stock=100)
    return Market(
        supplier=supplier,
        buyer=buyer,
        supplier_operator=MembershipFactory(organization=supplier, role=MemberRole.OPERATOR).user,
        buyer_operator=MembershipFactory(organization=buyer, role=MemberRole.OPERATOR).user,
        offer=offer,
    )


def place(client, *lines, key: str | None = None, path: str = "/api/v1/orders/"):
    body = {"lines": [{"offer_id": offer_id, "quantity": quantity} for offer_id, quantity in lines]}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, body, format="json", **headers)
