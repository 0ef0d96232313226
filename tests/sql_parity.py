"""Helpers of the raw-SQL parity tests (tests/*/test_sql.py): compare instances field by field."""

from __future__ import annotations

from django.db.models import Model


def fields(instance: Model) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}
