"""catalog/sql.py against the ORM: the offers of a cart, the stock they give, and the offer import's writes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog import sql
from catalog.choices import CustomsStatus, OfferStatus
from catalog.customs import customs_listing_record
from catalog.models import CeilingPrice, CustomsStatusChange, Offer, OfferPriceChange, OfferStatusChange
from pharmex.actor import Actor
from pharmex.db import fetch_all
from tests.factories import CeilingPriceFactory, DrugFactory, OfferFactory, OrganizationFactory, UserFactory
from tests.sql_parity import fields

pytestmark = pytest.mark.django_db


def offers_read(ids, *, on):
    """The offers read alone, as the gate's one statement embeds it (orders.sql.gate_reads)."""
    return sql.offers_from_rows(
        fetch_all(sql.OFFERS_WITH_DRUG_AND_SUPPLIER, {"ids": sql.offer_ids_param(ids), "on": on})
    )


def test_offers_read_as_the_orm_reads_them_with_their_drug_and_supplier():
    # arrays, decimals, dates, timestamps and choices on the offer, the drug and the supplier
    today = timezone.localdate()
    drug = DrugFactory(ceiling_price=Decimal("18.50"), ceiling_effective_from=today - timedelta(days=30))
    CeilingPriceFactory(drug=drug, price=Decimal("17.00"), effective_from=today + timedelta(days=1))  # not yet
    offers = [OfferFactory(drug=drug, unit_price=Decimal("12.35"), provinces=["460000", "440000"]), OfferFactory()]
    CeilingPrice.objects.filter(drug=drug, effective_from__lt=today).update(effective_until=today)

    by_sql = offers_read([o.pk for o in offers] + [987654321], on=today)

    by_orm = Offer.objects.select_related("drug", "supplier").in_bulk([o.pk for o in offers])
    assert sorted(by_sql) == sorted(by_orm)
    for pk, offer in by_orm.items():
        assert fields(by_sql[pk]) == fields(offer)
        assert fields(by_sql[pk].drug) == fields(offer.drug)
        assert fields(by_sql[pk].supplier) == fields(offer.supplier)
        assert by_sql[pk]._state.adding is False
        # each drug's ceiling period in force on the day, as CeilingPrice.objects.in_force finds it
        in_force = CeilingPrice.objects.in_force(today).filter(drug=offer.drug)
        assert [fields(c) for c in by_sql[pk].drug.ceilings_in_force] == [fields(c) for c in in_force]
    assert [c.price for c in by_sql[offers[0].pk].drug.ceilings_in_force] == [Decimal("18.50")]


def test_reading_no_offers_or_ids_no_bigint_holds_finds_none():
    # the ids travel as one bigint[] parameter (pharmex.db.any_of): an empty list must still be typed, and an id
    # beyond bigint cannot be cast, so it is not sent
    offer = OfferFactory()
    today = timezone.localdate()
    assert offers_read([], on=today) == {}
    assert offers_read([2**63, -(2**63) - 1], on=today) == {}
    assert list(offers_read([2**63, offer.pk], on=today)) == [offer.pk]
    assert sql.stock_take({}) == set()


def test_taking_stock_does_what_a_conditional_orm_update_does():
    # given: the same stock twice, one set taken by SQL, the other by the ORM
    wanted = {0: 5, 1: 10, 2: 11}  # enough, exactly all, one too many
    by_sql = [OfferFactory(stock=10) for _ in wanted]
    by_orm = [OfferFactory(stock=10) for _ in wanted]

    # when
    taken = sql.stock_take({by_sql[i].pk: q for i, q in wanted.items()})
    taken_by_orm = {
        by_orm[i].pk
        for i, q in wanted.items()
        if Offer.objects.filter(pk=by_orm[i].pk, stock__gte=q).update(stock=F("stock") - q)
    }

    # then
    assert {by_sql.index(Offer.objects.get(pk=pk)) for pk in taken} == {
        by_orm.index(Offer.objects.get(pk=pk)) for pk in taken_by_orm
    }
    assert [Offer.objects.get(pk=o.pk).stock for o in by_sql] == [Offer.objects.get(pk=o.pk).stock for o in by_orm]
    assert [Offer.objects.get(pk=o.pk).stock for o in by_sql] == [5, 0, 10]


def test_an_import_chunk_writes_what_the_orm_would():
    # given: a supplier with one offer to reprice and pause, and a drug to list anew
    supplier, user = OrganizationFactory(), UserFactory()
    existing = OfferFactory(supplier=supplier, unit_price=Decimal("10.00"), status=OfferStatus.ACTIVE)
    new_drug = DrugFactory()
    terms = {term: getattr(existing, term) for term in sql.IMPORT_TERMS}
    changed = {**terms, "unit_price": Decimal("11.50"), "stock": 7, "status": OfferStatus.PAUSED}
    new = {**terms, "unit_price": Decimal("3.20"), "stock": 40, "provinces": ["460000"], "status": OfferStatus.ACTIVE}

    # when
    with transaction.atomic():
        sql.offer_import_write(
            supplier_id=supplier.pk,
            job_id=None,
            label=user.email,
            user_id=user.pk,
            rows=[(existing, existing.drug_id, changed), (None, new_drug.pk, new)],
        )

    # then: the offers hold exactly the imported terms
    existing.refresh_from_db()
    created = Offer.objects.get(supplier=supplier, drug=new_drug)
    assert {t: getattr(existing, t) for t in sql.IMPORT_TERMS} == changed
    assert {t: getattr(created, t) for t in sql.IMPORT_TERMS} == new
    assert (created.currency, created.supplier_id) == ("CNY", supplier.pk)
    # and the histories have the rows the services write one by one
    assert list(OfferPriceChange.objects.values_list("offer_id", "old_price", "new_price", "changed_by")) == [
        (existing.pk, Decimal("10.00"), Decimal("11.50"), user.email)
    ]
    assert list(OfferStatusChange.objects.values_list("offer_id", "action", "from_status", "to_status", "actor")) == [
        (existing.pk, "pause", OfferStatus.ACTIVE, OfferStatus.PAUSED, user.email)
    ]


def test_an_import_chunk_lists_new_offers_with_their_customs_status_as_the_service_does():
    # given: an offer to update, and two drugs to list anew, one with a customs status and one without
    supplier, user = OrganizationFactory(), UserFactory()
    existing = OfferFactory(supplier=supplier, customs_status=CustomsStatus.BONDED)
    bonded_drug, plain_drug, by_service = DrugFactory(), DrugFactory(), OfferFactory(supplier=supplier)
    terms = {term: getattr(existing, term) for term in sql.IMPORT_TERMS}

    # when
    with transaction.atomic():
        sql.offer_import_write(
            supplier_id=supplier.pk,
            job_id=None,
            label=user.email,
            user_id=user.pk,
            rows=[
                (existing, existing.drug_id, {**terms, "stock": 3}),
                (None, bonded_drug.pk, {**terms, "customs_status": CustomsStatus.BONDED}),
                (None, plain_drug.pk, terms),
            ],
        )
    customs_listing_record(offer=by_service, actor=Actor(user=user))

    # then: the new offers carry their status (duty_paid without one); the existing one keeps its own
    offers = {o.drug_id: o for o in Offer.objects.filter(supplier=supplier)}
    assert offers[bonded_drug.pk].customs_status == CustomsStatus.BONDED
    assert offers[plain_drug.pk].customs_status == CustomsStatus.DUTY_PAID
    assert (offers[existing.drug_id].customs_status, offers[existing.drug_id].stock) == (CustomsStatus.BONDED, 3)
    # and each new offer's `list` row is the row customs_listing_record writes for POST /offers/
    rows = {
        change.offer_id: (change.action, change.from_status, change.to_status, change.actor)
        for change in CustomsStatusChange.objects.all()
    }
    assert sorted(rows) == sorted([offers[bonded_drug.pk].pk, offers[plain_drug.pk].pk, by_service.pk])
    assert rows[offers[bonded_drug.pk].pk] == ("list", "", "bonded", user.email)
    assert rows[offers[plain_drug.pk].pk] == rows[by_service.pk] == ("list", "", "duty_paid", user.email)
