"""A person acting for no organisation is a party to nothing: of every list it may read, it reads only rows that a
member of an organisation with no business on the platform reads too (the public ones: the catalogue, the market,
verified sole sellers…).

Walks every list route, like the permission walk, over the demo data and rows that name no organisation in a
nullable party field (a sole seller not on the platform): a selector that filters by the caller's organisation
without asking whether it has one matches those for a person without one (`field = NULL`), which the policy walk
cannot see. Scoping through `pharmex.tenancy.own_q` / `parties_q` answers "none" for such a caller.
"""

from __future__ import annotations

import pytest

from accounts.choices import MemberRole, OrganizationKind
from pharmex.management.commands.load_demo_data import load_demo_data
from procurement.choices import SoleSellerKind
from procurement.models import SoleSeller
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.accounts import valid_uscc
from tests.pharmex.test_permission_walk import api_routes

pytestmark = pytest.mark.django_db

LISTS = sorted(
    {route.path for route in api_routes() if route.action == "list" and "/1/" not in route.path},
)


def _every_row(client, path: str) -> list[dict] | None:
    """Every row of the list as the client reads it, following `next`; None when the client may not read it."""
    rows: list[dict] = []
    url = f"{path}?page_size=200"
    while url:
        response = client.get(url)
        if response.status_code != 200:
            return None
        body = response.json()
        rows += body["results"]
        url = body.get("next")
    return rows


def test_the_walk_covers_the_lists():
    assert {"/api/v1/orders/", "/api/v1/sole-sellers/", "/api/v1/procurement-contracts/"} <= set(LISTS)


def test_a_person_acting_for_no_organisation_reads_no_more_than_a_stranger_organisation():
    load_demo_data()
    manufacturer = OrganizationFactory(kind=OrganizationKind.MANUFACTURER)
    SoleSeller.objects.create(
        manufacturer=manufacturer,
        kind=SoleSellerKind.SOLE_SALES_COMPANY,
        seller_name="海南独家销售有限公司",  # not on the platform: `seller` is empty
        seller_uscc=valid_uscc(9072),
        registered_by="walk",
    )
    person = client_for(UserFactory())
    stranger = client_for(MembershipFactory(organization=OrganizationFactory(), role=MemberRole.OWNER).user)

    read, leaked = [], {}
    for path in LISTS:
        rows = _every_row(person, path)
        if rows is None:
            continue
        read.append(path)
        public = _every_row(stranger, path) or []
        if extra := [row for row in rows if row not in public]:
            leaked[path] = extra
    assert leaked == {}
    assert {"/api/v1/drugs/", "/api/v1/offers/", "/api/v1/sole-sellers/"} <= set(read)
