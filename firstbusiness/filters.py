"""FilterSets of the first-business lists (STYLE G18)."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from firstbusiness.choices import CURRENT_STATUSES
from firstbusiness.models import Document, DocumentShare, FirstBusinessReview, SalesRepresentative
from pharmex.api.filters import BooleanFilter, IntegerFilter, StrictFilterSet


class StrictUUIDField(forms.Field):
    """A UUID, never empty (Django's UUIDField is a text field, which the strict form lets be empty)."""

    default_error_messages = {"invalid": _("Enter a valid UUID.")}

    def to_python(self, value) -> uuid.UUID | None:
        if value in self.empty_values:
            return None
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class UUIDFilter(filters.Filter):
    field_class = StrictUUIDField


class DocumentFilter(StrictFilterSet):
    series = UUIDFilter(help_text="Every version of one document.")
    organization = IntegerFilter(help_text="Whose documents (yours, or a provider sharing with you).")
    representative = IntegerFilter()
    drug = IntegerFilter()
    license = IntegerFilter()
    current = BooleanFilter(method="filter_current", help_text="true: current versions only; false: the others.")

    class Meta(StrictFilterSet.Meta):
        model = Document
        fields = ["type", "status", "organization", "representative", "drug", "license", "series", "lot"]

    @extend_schema_field(OpenApiTypes.BOOL)  # the annotated method would otherwise read as a string
    def filter_current(self, queryset: QuerySet[Document], name: str, value: bool | None) -> QuerySet[Document]:
        if value is None:
            return queryset
        is_current = Q(status__in=sorted(CURRENT_STATUSES))
        return queryset.filter(is_current if value else ~is_current)


class RepresentativeFilter(StrictFilterSet):
    organization = IntegerFilter()

    class Meta(StrictFilterSet.Meta):
        model = SalesRepresentative
        fields = ["status", "organization"]


class ShareFilter(StrictFilterSet):
    provider = IntegerFilter()
    recipient = IntegerFilter()

    class Meta(StrictFilterSet.Meta):
        model = DocumentShare
        fields = ["status", "provider", "recipient"]


class ReviewFilter(StrictFilterSet):
    supplier = IntegerFilter()
    drug = IntegerFilter()
    supplier_only = BooleanFilter(
        field_name="drug", lookup_expr="isnull", help_text="true: decisions on suppliers; false: on drugs."
    )

    class Meta(StrictFilterSet.Meta):
        model = FirstBusinessReview
        fields = ["status", "supplier", "drug"]
