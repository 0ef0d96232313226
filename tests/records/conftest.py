import pytest

from accounts.choices import MemberRole, OrganizationKind
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory
from tests.orders.conftest import market  # noqa: F401  (the buyer, supplier and offer of every records test)


@pytest.fixture
def regulator_factory(db):
    """A regulator organisation with `jurisdiction`, and a client for one of its members."""

    def make(*codes: str, role: str = MemberRole.OWNER):
        regulator = OrganizationFactory(
            kind=OrganizationKind.REGULATOR, jurisdiction=list(codes), legal_name="海南省药品监督管理局"
        )
        user = MembershipFactory(organization=regulator, role=role).user
        return regulator, client_for(user), user

    return make
