"""FilterSets of the catalogue lists (STYLE G18); `search` ranks, so it runs last.

Query parameters are held to the schema they document: a boolean is `true` or `false`, an integer is a whole
number, a parameter documented once may be given once, and only text parameters may be empty. Anything else
is a 400, never silently ignored or read as its last value (schemathesis checks it, ST201).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema_field

from catalog.choices import DosageForm, DrugCategory, DrugStatus, DrugType, OfferStatus, SpecialClass, Storage
from catalog.models import Drug, Offer
from catalog.selectors import MAX_QUERY_LENGTH, drug_has_market_offers_q
from pharmex.api.filters import BooleanFilter, IntegerFilter, StrictBooleanField, StrictFilterSet, StrictQueryForm


class OfferListQuery(StrictQueryForm):
    own = StrictBooleanField(required=False)


def offer_list_own(params) -> bool:
    """`?own=true`: the caller's own offers rather than the market (400 on anything but true or false)."""
    form = OfferListQuery(params)
    if not form.is_valid():
        raise translate_validation(form.errors)
    return bool(form.cleaned_data["own"])


def _text_filter(max_length: int, help_text: str, **kwargs) -> django_filters.CharFilter:
    """A text filter whose documented schema carries its length limit (an over-long value is a 400)."""
    schema = {"type": "string", "maxLength": max_length, "description": help_text}
    return extend_schema_field(schema)(django_filters.CharFilter(max_length=max_length, **kwargs))


def _any_of(choices) -> django_filters.MultipleChoiceFilter:
    """`?x=a&x=b`: any of these values. No DISTINCT (django-filter's default): the column is on the row itself, so
    there are no duplicates to remove, and DISTINCT made PostgreSQL sort every match before a LIMIT could stop it."""
    return django_filters.MultipleChoiceFilter(choices=choices.choices, distinct=False)


def _id_filter(field_name: str, help_text: str) -> IntegerFilter:
    return extend_schema_field({"type": "integer", "description": help_text})(IntegerFilter(field_name=field_name))


class DrugFilter(StrictFilterSet):
    search = _text_filter(
        MAX_QUERY_LENGTH,
        "Generic or brand name (substring or fuzzy), pinyin initials (amxl → 阿莫西林), approval number, 本位码, "
        "GTIN or NRDL code. Results are ranked: exact codes, then name prefixes, then similarity; their `count` is "
        "exact up to 1,000 (API guide, pagination).",
        method="filter_search",
    )
    dosage_form = _any_of(DosageForm)
    category = _any_of(DrugCategory)
    drug_type = _any_of(DrugType)
    storage = _any_of(Storage)
    special_class = _any_of(SpecialClass)
    status = _any_of(DrugStatus)
    atc = _text_filter(7, "ATC prefix", field_name="atc_code", lookup_expr="startswith")
    id_gte = IntegerFilter(field_name="id", lookup_expr="gte", help_text="Keyset paging: id ≥ this.")
    id_lt = IntegerFilter(field_name="id", lookup_expr="lt", help_text="Keyset paging: id < this.")
    nrdl_listed = BooleanFilter(method="filter_nrdl_listed", help_text="Has an NRDL (医保) code.")
    has_offers = BooleanFilter(method="filter_has_offers", help_text="Has offers buyers can order.")

    class Meta(StrictFilterSet.Meta):
        model = Drug
        fields: list[str] = []

    def filter_nrdl_listed(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(nrdl_code="") if value else queryset.filter(nrdl_code="")

    def filter_has_offers(self, queryset, name, value):
        if value is None:
            return queryset
        has_offers = drug_has_market_offers_q(per_row=bool(self.form.cleaned_data.get("search", "").strip()))
        return queryset.filter(has_offers if value else ~has_offers)

    def filter_search(self, queryset, name, value):
        # Validated and documented here; ranked and paged by DrugSearchPagination (selectors.drug_search_page),
        # after every other filter, because it counts, orders and limits in its own way.
        return queryset


class OfferFilter(StrictFilterSet):
    drug = _id_filter("drug_id", "The drug's id.")
    supplier = _id_filter("supplier_id", "The supplier organisation's id.")
    status = _any_of(OfferStatus)
    province = django_filters.CharFilter(method="filter_province", help_text="Ships to this province code.")

    class Meta(StrictFilterSet.Meta):
        model = Offer
        fields: list[str] = []

    def filter_province(self, queryset, name, value):
        return queryset.filter(Q(provinces=[]) | Q(provinces__contains=[value])) if value else queryset
