"""pharmex.db: hand-written SQL must read and write model instances exactly as the ORM does."""

from decimal import Decimal

import pytest
from django.db import DataError, connection
from django.utils import timezone

from catalog.models import Offer
from catalog.selectors import offers_for_order
from pharmex.db import InsertColumns, mark_saved
from pharmex.models import IdempotencyKey
from tests.factories import DrugFactory, OfferFactory

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_rows_become_the_instances_the_orm_would_build():
    # arrays, decimals, dates, timestamps and choices on the offer, the drug and the supplier
    drug = DrugFactory(ceiling_price=Decimal("18.50"), ceiling_effective_from=timezone.localdate())
    offer = OfferFactory(drug=drug, unit_price=Decimal("12.35"), provinces=["460000", "440000"])

    (built,) = offers_for_order(ids=[offer.pk]).values()
    by_orm = Offer.objects.select_related("drug", "supplier").get(pk=offer.pk)

    assert _fields(built) == _fields(by_orm)
    assert _fields(built.drug) == _fields(by_orm.drug)
    assert _fields(built.supplier) == _fields(by_orm.supplier)
    assert built._state.adding is False and built.drug._state.adding is False


def _insert(key: IdempotencyKey) -> None:
    columns = InsertColumns(IdempotencyKey)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {columns.table} ({columns.columns}) VALUES ({columns.placeholders()}) RETURNING id",
            columns.values(key),
        )
        mark_saved(key, cursor.fetchone()[0])


def test_inserted_values_read_back_as_written():
    key = IdempotencyKey(
        scope="org:1",
        key="k",
        method="POST",
        path="/api/v1/orders/",
        fingerprint="f" * 64,
        response_status=201,
        response_body={"total": "12.35", "lines": [1, 2]},
        created_at=timezone.now(),
    )
    _insert(key)
    assert _fields(IdempotencyKey.objects.get(pk=key.pk)) == _fields(key)


def test_a_value_too_long_for_its_column_is_refused_not_truncated():
    key = IdempotencyKey(
        scope="org:1", key="k" * 256, method="POST", path="/", fingerprint="f", created_at=timezone.now()
    )
    with pytest.raises(DataError):
        _insert(key)
