"""The plan tests' history (tests/plans.py) is gone when its block ends, the planner's row count with it."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import User
from tests import plans
from tests.factories import UserFactory


def planned_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_history_leaves_the_table_and_its_planned_row_count_as_it_found_them():
    people = UserFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user")
    before = planned_rows("accounts_user")

    with plans.history(["accounts_user"], plans.copies(User, people[0].pk, 5_000, email="'p' || n || '@pad.test'")):
        assert User.objects.count() == 5_003
        assert planned_rows("accounts_user") == 5_003

    assert sorted(User.objects.values_list("pk", flat=True)) == sorted(person.pk for person in people)
    assert planned_rows("accounts_user") == before  # ANALYZE's count is written in place: the rollback keeps it
