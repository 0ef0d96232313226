"""Hand-written reads for the hottest request paths, hydrated into ordinary model instances.

Compiling a `select_related` queryset costs the ORM about a millisecond of Python on every call, more
than PostgreSQL spends running it; the order-placement path makes such reads on every request. There,
the SQL is written once (its column lists still come from the models, so it follows their fields) and
each row is turned into model instances the way the ORM does it: `Model.from_db` after the fields'
database converters. Everything else uses the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model
from django.db.models.expressions import Col


class RowModel:
    """One model's columns in a hand-written SELECT, under a table alias."""

    def __init__(self, model: type[Model], alias: str):
        self.model, self.alias = model, alias
        self.fields = model._meta.concrete_fields
        self.attnames = [field.attname for field in self.fields]

    @property
    def table(self) -> str:
        return f"{self.model._meta.db_table} AS {self.alias}"

    @property
    def columns(self) -> str:
        return ", ".join(f'{self.alias}."{field.column}"' for field in self.fields)

    @cached_property
    def _converters(self) -> list[tuple[int, Col, list]]:
        converters = []
        for index, field in enumerate(self.fields):
            column = field.get_col(self.alias)
            found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if found:
                converters.append((index, column, found))
        return converters

    def build(self, values: Sequence) -> Model:
        values = list(values)
        for index, column, converters in self._converters:
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(DEFAULT_DB_ALIAS, self.attnames, values)


def split_row(row: Sequence, *parts: RowModel) -> list[Model]:
    """The instances of a row selected as `parts[0].columns, parts[1].columns, …`, in that order."""
    instances, start = [], 0
    for part in parts:
        end = start + len(part.fields)
        instances.append(part.build(row[start:end]))
        start = end
    return instances
