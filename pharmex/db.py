"""Hand-written SQL for the hottest request paths, over ordinary model instances.

Compiling a `select_related` queryset costs the ORM about a millisecond of Python on every call, more
than PostgreSQL spends running it, and each INSERT costs a compile and a round trip of its own. The
order-placement path reads and writes several tables on every request, and every state change writes
an audit record, so there the SQL is written once, with column lists that still come from the models
(it follows their fields): rows become model instances the way the ORM makes them (`Model.from_db`
after the fields' database converters), and instances become values the way the ORM prepares them.
Everything else uses the ORM.
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
        return f"{connection.ops.quote_name(self.model._meta.db_table)} AS {self.alias}"

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


class InsertColumns:
    """A model's columns for a hand-written INSERT (all but the primary key and `skip`), with each
    instance's values prepared as the ORM prepares them (pre_save, then get_db_prep_save)."""

    def __init__(self, model: type[Model], *, skip: tuple[str, ...] = ()):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in skip]

    @property
    def table(self) -> str:
        return connection.ops.quote_name(self.model._meta.db_table)

    @property
    def columns(self) -> str:
        return ", ".join(connection.ops.quote_name(field.column) for field in self.fields)

    def placeholders(self, *, arrays: bool = False) -> str:
        # Types without their length or precision, as Django's own bulk insert does: a cast to
        # varchar(n) would silently truncate what the column itself refuses.
        suffix = "[]" if arrays else ""
        return ", ".join(f"%s::{field.db_type(connection).split('(')[0]}{suffix}" for field in self.fields)

    def values(self, instance: Model) -> list:
        return [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in self.fields]

    def column_values(self, instances: Sequence[Model]) -> list[list]:
        """The values of several instances column by column, for `unnest(placeholders(arrays=True))`."""
        rows = [self.values(instance) for instance in instances]
        return [[row[index] for row in rows] for index in range(len(self.fields))]


def mark_saved(instance: Model, pk: int) -> None:
    """What Model.save() leaves on an instance it inserted."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
