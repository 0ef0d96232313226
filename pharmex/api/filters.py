"""Filtering, declared once (STYLE G18), held to the schema it documents.

A boolean is `true` or `false`, an integer a whole number, a parameter documented once may be given
once, and only text parameters may be empty. Anything else is a 400, never silently ignored or read
as its last value (schemathesis checks it: ST201). Every FilterSet of the API derives from
StrictFilterSet, and the default backend builds `filterset_fields` filters on it too.
"""

from __future__ import annotations

from collections import OrderedDict

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS


class IntegerFilter(filters.NumberFilter):
    """An id filter that accepts whole numbers only (NumberFilter would take 0.5)."""

    field_class = forms.IntegerField


class StrictBooleanField(forms.Field):
    """`true` or `false`, as OpenAPI serialises a boolean query parameter; absent is None."""

    default_error_messages = {"invalid": _("Must be true or false.")}

    def to_python(self, value) -> bool | None:
        if value in self.empty_values:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise ValidationError(self.error_messages["invalid"], code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StrictQueryForm(forms.Form):
    """Refuses a scalar parameter given more than once, and an empty value for a parameter that is not text."""

    def clean(self):
        cleaned = super().clean()
        if not hasattr(self.data, "getlist"):
            return cleaned
        for name, field in self.fields.items():
            values = self.data.getlist(name)
            if "" in values and not isinstance(field, forms.CharField):
                self.errors.pop(name, None)  # "empty" says more than the field's own "invalid choice"
                self.add_error(name, ValidationError(_("Must not be empty."), code="blank"))
            elif name not in self.errors and len(values) > 1 and not isinstance(field, forms.MultipleChoiceField):
                self.add_error(name, ValidationError(_("Give this parameter once."), code="repeated"))
        return cleaned


class StrictFilterSet(django_filters.FilterSet):
    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
        models.BigAutoField: {"filter_class": IntegerFilter},
        models.BigIntegerField: {"filter_class": IntegerFilter},
        models.IntegerField: {"filter_class": IntegerFilter},
    }

    class Meta:
        form = StrictQueryForm

    def get_form_class(self):
        # The strict form whatever a subclass's Meta says (filterset_fields build their own Meta).
        fields = OrderedDict((name, filter_.field) for name, filter_ in self.filters.items())
        return type(f"{self.__class__.__name__}Form", (StrictQueryForm,), fields)


class StrictFilterBackend(filters.DjangoFilterBackend):
    """The default backend: `filterset_fields` shortcuts get a StrictFilterSet too."""

    filterset_base = StrictFilterSet
