"""Filtering, declared once (STYLE G18): strict about its query parameters, like the pagination."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import exceptions


class IntegerFilter(filters.NumberFilter):
    """An id filter that accepts whole numbers only (NumberFilter would take 0.5)."""

    field_class = forms.IntegerField


class StrictFilterBackend(filters.DjangoFilterBackend):
    """django-filter ignores an empty value and reads "null" as "no filter"; an API that says a
    parameter is a boolean or a date refuses those with 400 instead of silently listing everything."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = {}
            for name, declared in filterset.filters.items():
                if name not in request.query_params:
                    continue
                value = request.query_params[name]
                if value == "" and not isinstance(declared, filters.CharFilter):
                    errors[name] = [exceptions.ErrorDetail(_("Must not be empty."), code="blank")]
                elif isinstance(declared, filters.BooleanFilter) and value.lower() not in ("true", "false"):
                    errors[name] = [exceptions.ErrorDetail(_("Must be true or false."), code="invalid")]
            if errors:
                raise exceptions.ValidationError(errors)
        return filterset
