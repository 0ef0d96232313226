"""Sales representatives: their power of attorney decides how long their own account may act."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from accounts.models import Membership
from firstbusiness.models import SalesRepresentative
from tests.conftest import client_for
from tests.factories import MembershipFactory
from tests.firstbusiness.conftest import in_days, pdf_bytes, upload

ID_NUMBER = "460100199001011234"


def register(cast, user):
    response = cast.client(cast.supplier_owner).post(
        "/api/v1/sales-representatives/",
        {"full_name": "王小明", "id_number": ID_NUMBER, "phone": "13800000000", "user_id": user.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def authorize(cast, representative_id, *, valid_until, **fields):
    return upload(
        cast.client(cast.supplier_quality),
        type="representative_authorization",
        title="法人授权委托书",
        representative_id=representative_id,
        valid_from=timezone.localdate().isoformat(),
        valid_until=valid_until.isoformat(),
        content=pdf_bytes(f"authorisation until {valid_until}"),
        **fields,
    )


def an_offer_change(client, cast):
    return client.patch(f"/api/v1/offers/{cast.offer.pk}/", {"stock": 50}, format="json")


def test_a_representative_acts_only_while_authorised(cast):
    rep_user = MembershipFactory(organization=cast.supplier, role="operator").user
    representative = register(cast, rep_user)

    # registered, no power of attorney yet: reads, but no writes
    client = client_for(rep_user)
    refused = an_offer_change(client, cast)
    assert (refused.status_code, refused.json()["code"]) == (403, "authorization_expired")
    assert client.get(f"/api/v1/offers/{cast.offer.pk}/").status_code == 200

    authorized = authorize(
        cast, representative["id"], valid_until=in_days(30), scope_provinces=["460000"], scope_drug_ids=[cast.drug.pk]
    )
    assert authorized.status_code == 201, authorized.json()
    assert (authorized.json()["scope_provinces"], authorized.json()["scope_drug_ids"]) == (["460000"], [cast.drug.pk])
    assert an_offer_change(client_for(rep_user), cast).status_code == 200
    assert Membership.objects.get(user=rep_user).acts_until == in_days(30)

    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        expired = an_offer_change(client_for(rep_user), cast)
        colleague = an_offer_change(client_for(cast.supplier_owner), cast)
    assert (expired.status_code, expired.json()["code"]) == (403, "authorization_expired")
    assert colleague.status_code == 200  # only the representative's own account stops


def test_revoking_a_representative_stops_its_account_at_once(cast):
    rep_user = MembershipFactory(organization=cast.supplier, role="operator").user
    representative = register(cast, rep_user)
    authorize(cast, representative["id"], valid_until=in_days(300))

    revoked = cast.client(cast.supplier_owner).post(
        f"/api/v1/sales-representatives/{representative['id']}/revoke/", {"note": "离职"}, format="json"
    )

    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")
    assert an_offer_change(client_for(rep_user), cast).status_code == 403
    again = authorize(cast, representative["id"], valid_until=in_days(300))
    assert (again.status_code, again.json()["code"]) == (409, "representative_revoked")


def test_unlinking_the_account_lifts_its_limit(cast):
    rep_user = MembershipFactory(organization=cast.supplier, role="operator").user
    representative = register(cast, rep_user)

    unlinked = cast.client(cast.supplier_owner).patch(
        f"/api/v1/sales-representatives/{representative['id']}/", {"user_id": None}, format="json"
    )

    assert (unlinked.status_code, unlinked.json()["user_id"]) == (200, None)
    assert Membership.objects.get(user=rep_user).acts_until is None
    assert an_offer_change(client_for(rep_user), cast).status_code == 200


def test_a_representative_account_must_be_a_member(cast):
    outsider = MembershipFactory(organization=cast.third, role="operator").user

    response = cast.client(cast.supplier_owner).post(
        "/api/v1/sales-representatives/",
        {"full_name": "李四", "id_number": ID_NUMBER, "user_id": outsider.pk},
        format="json",
    )

    assert (response.status_code, response.json()["errors"][0]["code"]) == (400, "not_a_member")
    assert not SalesRepresentative.objects.exists()


def test_recipients_see_representatives_masked_and_strangers_not_at_all(cast):
    from tests.firstbusiness.conftest import share

    representative = register(cast, MembershipFactory(organization=cast.supplier, role="operator").user)
    share(cast)

    own = cast.client(cast.supplier_owner).get(f"/api/v1/sales-representatives/{representative['id']}/").json()
    buyer = cast.client(cast.buyer_quality).get(f"/api/v1/sales-representatives/{representative['id']}/").json()
    third = cast.client(cast.third_owner).get(f"/api/v1/sales-representatives/{representative['id']}/")

    assert own["id_number"] == ID_NUMBER
    assert (buyer["id_number"], buyer["user_id"]) == ("460100********1234", None)
    assert third.status_code == 404


def test_a_revoked_person_may_be_registered_again(cast):
    rep_user = MembershipFactory(organization=cast.supplier, role="operator").user
    first = register(cast, rep_user)
    cast.client(cast.supplier_owner).post(f"/api/v1/sales-representatives/{first['id']}/revoke/", {}, format="json")

    second = register(cast, rep_user)

    assert (second["status"], second["id"] != first["id"]) == ("active", True)
    duplicate = cast.client(cast.supplier_owner).post(
        "/api/v1/sales-representatives/", {"full_name": "王小明", "id_number": ID_NUMBER}, format="json"
    )
    assert (duplicate.status_code, duplicate.json()["errors"][0]["code"]) == (400, "unique")
