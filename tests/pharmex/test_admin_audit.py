"""Edits made in the Django admin site write the audit records API changes write (SPEC §7, issue 13)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from catalog.choices import OfferStatus, SpecialClass
from catalog.models import Drug, Offer
from pharmex.models import AuditEvent
from settlements.models import SettlementProfile
from tests.factories import DrugFactory, OfferFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = UserFactory(email="root@platform.test", staff_role="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def change_form_data(client, url: str, **changes) -> dict:
    """What a browser posts back from the admin change form at `url`, with `changes` typed in."""
    response = client.get(url)
    assert response.status_code == 200
    forms = [(response.context["adminform"].form, None)]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        forms += [(form, form.prefix) for form in formset.forms]
    for form, _prefix in forms:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            widget = form.fields[name].widget
            if hasattr(widget, "widgets"):  # a split date and time
                for index, part in enumerate(widget.decompress(value)):
                    data[f"{key}_{index}"] = str(part)
                continue
            data[key] = "on" if value is True else (value if isinstance(value, list) else str(value))
    data.update({key: str(value) for key, value in changes.items()})
    return data


def save(client, url: str, **changes):
    response = client.post(url, change_form_data(client, url, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def audit(action: str, object_id) -> list[dict]:
    return list(
        AuditEvent.objects.filter(action=action, object_id=str(object_id))
        .order_by("id")
        .values("actor_label", "changes")
    )


def test_a_licence_validity_edit_is_audited(staff_client):
    organization = OrganizationFactory()
    licence = organization.licenses.get()
    old, new = licence.valid_until, licence.valid_until + timedelta(days=30)

    save(staff_client, f"/admin/accounts/license/{licence.pk}/change/", valid_until=new)

    assert audit("license.updated", licence.pk) == [
        {"actor_label": "root@platform.test", "changes": {"valid_until": [str(old), str(new)], "via": "admin"}}
    ]
    assert AuditEvent.objects.get(action="license.updated").organization_id == organization.pk


def test_a_drug_class_edit_goes_through_the_service_audited_and_takes_the_drug_off_the_market(staff_client):
    drug = DrugFactory()
    offer = OfferFactory(drug=drug)

    save(staff_client, f"/admin/catalog/drug/{drug.pk}/change/", special_class=SpecialClass.TOXIC)

    assert audit("drug.updated", drug.pk) == [
        {"actor_label": "root@platform.test", "changes": {"special_class": ["none", "toxic"]}}
    ]
    assert Drug.objects.get(pk=drug.pk).special_class == SpecialClass.TOXIC
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.PAUSED
    assert len(audit("drug.left_market", drug.pk)) == 1


def test_an_offer_stock_edit_is_audited(staff_client):
    offer = OfferFactory(stock=100)
    save(staff_client, f"/admin/catalog/offer/{offer.pk}/change/", stock=40)
    assert audit("offer.updated", offer.pk) == [
        {"actor_label": "root@platform.test", "changes": {"stock": [100, 40], "via": "admin"}}
    ]
    assert AuditEvent.objects.get(action="offer.updated").organization_id == offer.supplier_id


def test_settlement_profile_rates_are_audited_when_created_and_changed(staff_client):
    supplier = OrganizationFactory()
    response = staff_client.post(
        "/admin/settlements/settlementprofile/add/", {"organization": supplier.pk, "commission_rate": "0.0250"}
    )
    assert response.status_code == 302
    profile = SettlementProfile.objects.get()
    save(staff_client, f"/admin/settlements/settlementprofile/{profile.pk}/change/", commission_rate="0.0200")

    assert [e["changes"] for e in audit("settlement_profile.created", profile.pk)] == [
        {"organization": [None, supplier.pk], "commission_rate": [None, "0.0250"], "via": "admin"}
    ]
    assert [e["changes"] for e in audit("settlement_profile.updated", profile.pk)] == [
        {"commission_rate": ["0.0250", "0.0200"], "via": "admin"}
    ]
    assert profile.commission_rate == Decimal("0.0250")


def test_saving_without_a_change_writes_nothing(staff_client):
    offer = OfferFactory()
    save(staff_client, f"/admin/catalog/offer/{offer.pk}/change/")
    assert audit("offer.updated", offer.pk) == []
