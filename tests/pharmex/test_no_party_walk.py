"""A person acting for no organisation is a party to nothing, and a regulator of a province where no organisation
trades inspects nothing: of every list either may read, it reads only rows that a member of an organisation with no
business on the platform reads too (the public ones: the catalogue, the market, verified sole sellers…).

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


# Every regulator reads the whole catalogue and market, special-licensed (Lecheng) drugs and their offers included,
# which buyers without an approval never see (catalog.customs.lecheng_drug_visible_q): no organisation's data.
INSPECTED_WHOLE = {"/api/v1/drugs/", "/api/v1/offers/"}


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


def test_no_party_reads_more_than_a_stranger_organisation():
    load_demo_data()
    manufacturer = OrganizationFactory(kind=OrganizationKind.MANUFACTURER)
    SoleSeller.objects.create(
        manufacturer=manufacturer,
        kind=SoleSellerKind.SOLE_SALES_COMPANY,
        seller_name="海南独家销售有限公司",  # not on the platform: `seller` is empty
        seller_uscc=valid_uscc(9072),
        registered_by="walk",
    )
    stranger = client_for(MembershipFactory(organization=OrganizationFactory(), role=MemberRole.OWNER).user)
    tibet = OrganizationFactory(kind=OrganizationKind.REGULATOR, jurisdiction=["540000"])  # no organisation there
    callers = {
        "person acting for no organisation": client_for(UserFactory()),
        "regulator of an empty jurisdiction": client_for(MembershipFactory(organization=tibet).user),
    }

    read, leaked = {name: set() for name in callers}, {}
    for path in LISTS:
        public = None
        for name, client in callers.items():
            if name.startswith("regulator") and path in INSPECTED_WHOLE:
                continue
            rows = _every_row(client, path)
            if rows is None:
                continue
            read[name].add(path)
            public = _every_row(stranger, path) or [] if public is None else public
            if extra := [row for row in rows if row not in public]:
                leaked[(name, path)] = extra
    assert leaked == {}
    assert {"/api/v1/drugs/", "/api/v1/offers/", "/api/v1/sole-sellers/"} <= read["person acting for no organisation"]
    assert {"/api/v1/orders/", "/api/v1/shipments/", "/api/v1/licenses/"} <= read["regulator of an empty jurisdiction"]
