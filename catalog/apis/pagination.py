"""Paging of drug lists: `?search=` results are ranked and paged in the database, with a capped count."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from catalog import selectors
from pharmex.api.pagination import PagePagination

COUNT_DESCRIPTION = (
    f"Total matches. For `?search=` it is exact up to {selectors.SEARCH_COUNT_CAP:,} and null beyond "
    "(`count_capped` true): counting every match of a broad query (`射液`, `zs`) costs more than the page itself. "
    "Follow `next` to page on."
)


class DrugSearchPagination(PagePagination):
    """Page numbers as everywhere (`page`, `page_size`); plus `count_capped`. The FilterSet validates `search`; the
    ranking, the capped count and the page come from selectors.drug_search_page (two queries)."""

    count_cap = selectors.SEARCH_COUNT_CAP

    def paginate_queryset(self, queryset, request, view=None):
        self.search_page = None
        query = request.query_params.get("search", "")
        if not query:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        page_size = self.get_page_size(request)
        self.page_number = self.get_page_number(request, None)
        page = selectors.drug_search_page(
            queryset,
            query=query,
            offset=(self.page_number - 1) * page_size,
            limit=page_size,
            count_cap=self.count_cap,
        )
        if page is None:  # only blanks: no search
            return super().paginate_queryset(queryset, request, view)
        if not page.drugs and self.page_number > 1:
            raise NotFound(_("Invalid page."))
        self.search_page = page
        return page.drugs

    def get_paginated_response(self, data):
        if self.search_page is None:
            count, capped = self.page.paginator.count, False
        else:
            count, capped = self.search_page.count, self.search_page.count is None
        return Response(
            {
                "count": count,
                "count_capped": capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_next_link(self):
        if self.search_page is None:
            return super().get_next_link()
        if not self.search_page.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.page_number + 1)

    def get_previous_link(self):
        if self.search_page is None:
            return super().get_previous_link()
        if self.page_number == 1:
            return None
        url = self.request.build_absolute_uri()
        if self.page_number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.page_number - 1)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        response["properties"] = {
            "count": {**properties["count"], "nullable": True, "description": COUNT_DESCRIPTION},
            "count_capped": {
                "type": "boolean",
                "description": f"True when a search matched more than {selectors.SEARCH_COUNT_CAP:,} drugs.",
            },
            **{name: value for name, value in properties.items() if name != "count"},
        }
        response["required"] = ["count", "count_capped", "next", "previous", "results"]
        return response
