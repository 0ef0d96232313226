from tests.factories.accounts import (
    InvitationFactory,
    LicenseFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    valid_uscc,
)

__all__ = [
    "InvitationFactory",
    "LicenseFactory",
    "MembershipFactory",
    "OrganizationFactory",
    "UserFactory",
    "valid_uscc",
]
from tests.factories.catalog import DrugFactory, OfferFactory

__all__ += ["DrugFactory", "OfferFactory"]
