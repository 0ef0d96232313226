from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.choices import (
    MEDICAL_INSTITUTION_KINDS,
    TRADING_LICENSE_FOR_KIND,
    LicenseStatus,
    MemberRole,
    OrganizationKind,
    OrganizationStatus,
)
from accounts.models import Invitation, License, Membership, Organization, User
from accounts.services.invitations import invitation_token_hash
from accounts.validators import uscc_check_character

PASSWORD = "correct-horse-battery"


def valid_uscc(n: int) -> str:
    """A unified social credit code with a correct check character, distinct for each n."""
    body = f"9146000{n:010d}"
    return body + uscc_check_character(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name", locale="zh_CN")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    """A verified organisation; `trading=True` (default) also gives it an approved trading licence."""

    class Meta:
        model = Organization
        skip_postgeneration_save = True

    legal_name = factory.Sequence(lambda n: f"测试医药有限公司{n}")
    uscc = factory.Sequence(valid_uscc)
    kind = OrganizationKind.DISTRIBUTOR
    ownership = factory.LazyAttribute(lambda o: "public" if o.kind in MEDICAL_INSTITUTION_KINDS else "")
    province_code = "460000"
    status = OrganizationStatus.VERIFIED
    last_verified_at = factory.LazyFunction(timezone.now)
    # Off unless a test is about it: its kind's default (on for most buyers) would make every order test
    # approve its suppliers first (tests/firstbusiness covers the default).
    first_business_review = False

    @factory.post_generation
    def trading(self, create, extracted, **kwargs):
        if create and extracted is not False and self.kind in TRADING_LICENSE_FOR_KIND:
            LicenseFactory(organization=self, type=TRADING_LICENSE_FOR_KIND[self.kind])


class LicenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = License

    organization = factory.SubFactory(OrganizationFactory, trading=False)
    type = factory.LazyAttribute(lambda o: TRADING_LICENSE_FOR_KIND[o.organization.kind])
    number = factory.Sequence(lambda n: f"琼AA{n:06d}")
    scope_tags = factory.LazyFunction(lambda: ["chemical", "tcm", "rx", "otc"])
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))
    status = LicenseStatus.APPROVED


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = MemberRole.OWNER


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation; its secret is `token` (a factory parameter: only its hash is stored)."""

    class Meta:
        model = Invitation

    class Params:
        token = factory.Sequence(lambda n: f"invitation-secret-{n:04d}")

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = MemberRole.VIEWER
    token_hash = factory.LazyAttribute(lambda o: invitation_token_hash(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
