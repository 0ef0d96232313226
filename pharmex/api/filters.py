from django import forms
from django_filters import rest_framework as filters


class IntegerFilter(filters.NumberFilter):
    """An id filter that accepts whole numbers only (NumberFilter would take 0.5)."""

    field_class = forms.IntegerField
