"""Bearer tokens: the user and their memberships are read in one query, with simplejwt's checks."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_member_is_authenticated_with_their_organisation_in_one_query():
    membership = MembershipFactory()
    client = client_for(membership.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/orders/")
    assert response.status_code == 200, response.json()
    reading_people = [q["sql"] for q in queries if "accounts_user" in q["sql"] or "accounts_membership" in q["sql"]]
    assert len(reading_people) == 1
    assert "accounts_membership" in reading_people[0] and "accounts_organization" in reading_people[0]


def test_a_person_with_several_memberships_chooses_one_and_with_none_acts_for_none():
    user = UserFactory()
    first, second = (MembershipFactory(user=user, organization=OrganizationFactory()) for _ in range(2))
    unchosen = client_for(user).get("/api/v1/orders/")
    chosen = client_for(user, organization_id=second.organization_id).get("/api/v1/orders/")
    assert (unchosen.status_code, unchosen.json()["code"]) == (400, "organization_required")
    assert chosen.status_code == 200
    assert client_for(UserFactory()).get("/api/v1/orders/").status_code == 403
    assert first.organization_id != second.organization_id


@pytest.mark.parametrize("change", ["deactivated", "deleted"])
def test_a_token_of_a_user_who_is_gone_is_refused(change):
    user = MembershipFactory().user
    client = client_for(user)
    if change == "deactivated":
        User.objects.filter(pk=user.pk).update(is_active=False)
    else:
        user.memberships.all().delete()
        user.delete()
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == ("User is inactive" if change == "deactivated" else "User not found")
