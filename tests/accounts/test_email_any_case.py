"""One account per email whatever its case: sign-in, password reset, registration and invitations find a person by
`email__iexact` through the index on UPPER(email) (issue 19: a read of one row, not of every user), and that index
refuses a second account whose email differs only in case — from the admin site too, with a message."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from tests import plans
from tests.factories import MembershipFactory, UserFactory
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db

BY_EMAIL = 'UPPER("accounts_user"."email"::text)'


def user_reads_by_email(call) -> list[list[tuple[str, str]]]:
    """Run `call`; for each statement that finds a person by email: how its plan reads the users."""
    with CaptureQueriesContext(connection) as queries:
        call()
    return [
        [read for read in plans.table_reads(query["sql"]) if read[0] == "accounts_user"]
        for query in queries.captured_queries
        if BY_EMAIL in query["sql"]
    ]


def post(path: str, body: dict, client: APIClient | None = None):
    return (client or APIClient()).post(path, body, format="json", REMOTE_ADDR="203.0.113.7")


def test_every_read_of_a_person_by_email_goes_through_the_index():
    member = MembershipFactory(user__email="wang@kangning.test")
    UserFactory.create_batch(3)
    owner = MembershipFactory(role="owner").user
    owner_client = APIClient()
    owner_client.force_authenticate(owner)
    member_org = owner.memberships.get().organization
    MembershipFactory(organization=member_org, user=member.user)
    responses = {}

    def call(name, path, body, client=None):
        responses[name] = post(path, body, client)

    callers = {
        "sign-in": ("/api/v1/auth/token/", {"email": "WANG@Kangning.test", "password": PASSWORD}),
        "password reset": ("/api/v1/auth/password-reset/", {"email": "Wang@KANGNING.test"}),
        "registration": (
            "/api/v1/register/",
            {
                "organization": {
                    "legal_name": "海口市龙华区康宁大药房有限公司",
                    "uscc": "91460000MA5T8TAX49",
                    "kind": "pharmacy",
                    "province_code": "460000",
                },
                "owner": {"email": "WANG@kangning.test", "password": "a-long-passphrase"},
            },
        ),
        "invitation": (
            f"/api/v1/organizations/{member_org.pk}/invitations/",
            {"email": "Wang@Kangning.TEST", "role": "viewer"},
            owner_client,
        ),
    }
    # planned among 5,000 people: among five, the primary key's first row costs as little as the index's one
    others = plans.copies(User, member.user.pk, 5_000, email="'person' || n || '@pad.test'")
    for name, (path, body, *client) in callers.items():
        with plans.history(["accounts_user"], others):
            reads = user_reads_by_email(partial(call, name, path, body, *client))

        assert reads and all(read == [("accounts_user", "user_email_unique_any_case")] for read in reads), name

    assert responses["sign-in"].status_code == 200
    assert responses["password reset"].status_code == 202
    assert responses["registration"].json()["errors"][0]["code"] == "email_taken"
    assert responses["invitation"].json()["errors"][0]["code"] == "already_member"


def test_an_email_differing_only_in_case_is_a_second_account_nowhere():
    UserFactory(email="wang@kangning.test")

    with pytest.raises(IntegrityError, match="user_email_unique_any_case"), transaction.atomic():
        User.objects.create(email="Wang@Kangning.test")
    assert list(User.objects.values_list("email", flat=True)) == ["wang@kangning.test"]


def test_the_admin_site_refuses_an_email_another_person_has_in_another_case(client):
    client.force_login(UserFactory(email="desk@platform.test", staff_role="admin", is_staff=True, is_superuser=True))
    UserFactory(email="wang@kangning.test")
    taken = {"email": "WANG@kangning.test", "password1": PASSWORD, "password2": PASSWORD}

    response = client.post("/admin/accounts/user/add/", taken)

    assert response.status_code == 200  # the form again, nothing saved
    assert "A person with this email, in any case, already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="wang@kangning.test").count() == 1
