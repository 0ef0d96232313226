"""Shared serializer building blocks for every app."""

from __future__ import annotations

import copy
from datetime import UTC
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """Input serializer that refuses fields it does not declare (no silent mass assignment, OWASP API3).

    A field the caller's role may not set is simply not declared on that role's input serializer,
    so sending it is a 400 `not_writable`, never silently ignored.
    """

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [serializers.ErrorDetail(_("This field cannot be set."), code="not_writable")]
                        for name in unknown
                    }
                )
            wrong_type = {
                name: [
                    serializers.ErrorDetail(_("Expected a JSON %(type)s.") % {"type": expected}, code="invalid_type")
                ]
                for name, field in self.fields.items()
                if name in data and (expected := _json_type_mismatch(field, data[name]))
            }
            if wrong_type:
                raise serializers.ValidationError(wrong_type)
        return super().to_internal_value(data)


def _json_type_mismatch(field: serializers.Field, value) -> str | None:
    """The JSON type the field documents when `value` has another one (DRF alone would coerce it).

    Strict typing keeps the API what its schema says: "12" is not an integer and 0 is not a string.
    """
    if value is None:
        return None  # allow_null / required answer with DRF's own messages
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "boolean"
    if isinstance(field, serializers.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) else "integer"
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return "array"
        inner = next((kind for item in value if (kind := _json_type_mismatch(field.child, item))), None)
        return f"array of {inner}s" if inner else None
    if isinstance(
        field,
        (
            serializers.CharField,
            serializers.ChoiceField,
            serializers.DateField,
            serializers.DateTimeField,
            serializers.DecimalField,
        ),
    ):
        return None if isinstance(value, str) else "string"
    return None


class MoneyField(serializers.DecimalField):
    """A CNY amount: a decimal string such as "12.50" in and out, never a JSON number (floats lose fen)."""

    default_error_messages = {"not_string": _('Send amounts as decimal strings, for example "12.50".')}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal:
        if not isinstance(data, str):
            self.fail("not_string")
        return super().to_internal_value(data)


class ProblemErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error of the API is answered."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(required=False, help_text="Machine-readable reason of a business-rule refusal.")
    errors = ProblemErrorSerializer(many=True, required=False)


class UTCDateTimeField(serializers.DateTimeField):
    """Timestamps leave the API in UTC (`…Z`), whatever the server's business time zone (SPEC §8)."""

    def default_timezone(self):
        return UTC


class ModelOutputSerializer(serializers.ModelSerializer):
    """Base of every model output serializer: UTC timestamps, fields built once per class."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }

    def get_fields(self):
        # ModelSerializer introspects the model and builds every field on each instantiation (half the
        # cost of rendering an order). An output serializer's fields depend on its class alone, so
        # build them once and hand each instance fresh copies, as DRF does with declared fields.
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy.deepcopy(built)


class NoteInput(StrictInputSerializer):
    """An optional note on a state change (the history row keeps it)."""

    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RequiredNoteInput(StrictInputSerializer):
    """A state change that must say why (rejections, withdrawals)."""

    note = serializers.CharField(max_length=500)


class ReasonInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RequiredReasonInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=500)


TRANSITION_FIELDS = ["id", "action", "from_status", "to_status", "actor", "note", "data", "created_at"]


def transition_record_output(model: type[models.Model]) -> type[ModelOutputSerializer]:
    """The output serializer of a status history (a pharmex.models.TransitionRecord), named after it."""
    meta = type("Meta", (), {"model": model, "fields": TRANSITION_FIELDS})
    return type(f"{model.__name__}Output", (ModelOutputSerializer,), {"Meta": meta, "__module__": model.__module__})
