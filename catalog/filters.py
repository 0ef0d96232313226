"""FilterSets of the catalogue lists (STYLE G18); `search` ranks, so it runs last."""

from __future__ import annotations

import django_filters

from accounts.models import Organization
from catalog.choices import DosageForm, DrugCategory, DrugStatus, DrugType, OfferStatus, SpecialClass, Storage
from catalog.models import Drug, Offer
from catalog.selectors import drug_has_market_offers_q, drug_search


class DrugFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=100,
        help_text="Generic or brand name (substring or fuzzy), pinyin initials (amxl → 阿莫西林), approval "
        "number, 本位码, GTIN or NRDL code. Results are ranked: exact codes, then name prefixes, then similarity.",
    )
    dosage_form = django_filters.MultipleChoiceFilter(choices=DosageForm.choices)
    category = django_filters.MultipleChoiceFilter(choices=DrugCategory.choices)
    drug_type = django_filters.MultipleChoiceFilter(choices=DrugType.choices)
    storage = django_filters.MultipleChoiceFilter(choices=Storage.choices)
    special_class = django_filters.MultipleChoiceFilter(choices=SpecialClass.choices)
    status = django_filters.MultipleChoiceFilter(choices=DrugStatus.choices)
    atc = django_filters.CharFilter(
        field_name="atc_code", lookup_expr="startswith", max_length=7, help_text="ATC prefix"
    )
    id_gte = django_filters.NumberFilter(field_name="id", lookup_expr="gte", help_text="Keyset paging: id ≥ this.")
    id_lt = django_filters.NumberFilter(field_name="id", lookup_expr="lt", help_text="Keyset paging: id < this.")
    nrdl_listed = django_filters.BooleanFilter(method="filter_nrdl_listed", help_text="Has an NRDL (医保) code.")
    has_offers = django_filters.BooleanFilter(method="filter_has_offers", help_text="Has offers buyers can order.")

    class Meta:
        model = Drug
        fields: list[str] = []

    def filter_nrdl_listed(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(nrdl_code="") if value else queryset.filter(nrdl_code="")

    def filter_has_offers(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(drug_has_market_offers_q() if value else ~drug_has_market_offers_q())

    def filter_search(self, queryset, name, value):
        return queryset  # applied in filter_queryset, after every other filter, because it orders

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return drug_search(queryset, self.form.cleaned_data.get("search") or "")


class OfferFilter(django_filters.FilterSet):
    drug = django_filters.NumberFilter(field_name="drug_id")
    supplier = django_filters.ModelChoiceFilter(queryset=Organization.objects.all())
    status = django_filters.MultipleChoiceFilter(choices=OfferStatus.choices)
    province = django_filters.CharFilter(method="filter_province", help_text="Ships to this province code.")

    class Meta:
        model = Offer
        fields: list[str] = []

    def filter_province(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(provinces=[]) | Q(provinces__contains=[value])) if value else queryset
