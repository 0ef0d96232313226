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
from tests.factories.catalog import CeilingPriceFactory, DrugFactory, OfferFactory

__all__ += ["CeilingPriceFactory", "DrugFactory", "OfferFactory"]
