"""Pagination, declared once (STYLE G18): strict about its query parameters (400, never ignored)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination, PageNumberPagination

MAX_PAGE_SIZE = 200


def _positive_int(request, name: str, *, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        bound = f" and at most {maximum}" if maximum else ""
        raise exceptions.ValidationError(
            {name: [exceptions.ErrorDetail(_("Must be a whole number from 1") + bound + ".", code="invalid")]}
        )
    return value


def _bounded(parameters: list[dict], maximum: int) -> list[dict]:
    for parameter in parameters:
        if parameter["name"] in ("page", "page_size"):
            parameter["schema"] = {**parameter["schema"], "minimum": 1}
        if parameter["name"] == "page_size":
            parameter["schema"]["maximum"] = maximum
        if parameter["name"] == "cursor":
            parameter["schema"] = {**parameter["schema"], "pattern": "^[A-Za-z0-9+/]+={0,2}$"}
            parameter["description"] = (
                "The `cursor` query value of a `next` or `previous` URL this operation returned (opaque: never "
                "build one; an unknown cursor is a 400)."
            )
    return parameters


def _page_schema(schema: dict, *, follow: str) -> dict:
    """Every key of a page is always there (`next`/`previous` null at the ends), and says how to follow it."""
    schema["required"] = list(schema["properties"])
    for name in ("next", "previous"):
        prop = schema["properties"][name]
        prop.pop("example", None)
        prop["description"] = f"The full URL of the {name} page, null when there is none. {follow}"
    return schema


class PagePagination(PageNumberPagination):
    """Default list pagination: `?page=` and `?page_size=` (1 to 200); a page past the end is a 404."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        return _positive_int(request, self.page_size_query_param, default=self.page_size, maximum=self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        return _positive_int(request, self.page_query_param, default=1)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return _bounded(super().get_schema_operation_parameters(view), self.max_page_size)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        follow = "GET it as it is, or pass its `page` (and your filters) to the same operation."
        return _page_schema(super().get_paginated_response_schema(schema), follow=follow)


class NewestFirstCursorPagination(CursorPagination):
    """Keyset pagination for append-heavy lists (orders, events, ledger, audit, deliveries)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "-id"

    def get_page_size(self, request) -> int:
        return _positive_int(request, self.page_size_query_param, default=self.page_size, maximum=self.max_page_size)

    def decode_cursor(self, request):
        invalid = exceptions.ValidationError(
            {self.cursor_query_param: [exceptions.ErrorDetail(_("Invalid cursor."), code="invalid")]}
        )
        if request.query_params.get(self.cursor_query_param) == "":
            raise invalid  # DRF would read an empty cursor as the first page
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise invalid from None
        # A cursor decodes to any text a client wrote ("p=abc"): the position is an id here, so it must be a whole
        # number the id column can hold, or the database would be asked to compare an id with "abc".
        if cursor is not None and cursor.position is not None:
            position = cursor.position
            if not (position.lstrip("-").isascii() and position.lstrip("-").isdigit()) or abs(int(position)) >= 2**63:
                raise invalid
        return cursor

    def bounded(self, request, queryset: QuerySet, parts: list[QuerySet], *, key: str = "id") -> QuerySet:
        """`queryset` narrowed to the rows this request's page can come from: the first page-size + 1 rows past the
        cursor named by each of `parts` — querysets whose `key` column holds ids of the list's rows (the view's
        `list_parts`: the list's own model for the sides of an OR; the postings of each account for a ledger's
        entries), each with an index in `key` order, and whose union names every row of the list: `queryset`'s,
        filtered as the parts are. A row several parts name, or one part several times, counts once. One
        statement: the page's rows are among them, so the page, its cursors and its links are what the filtered
        list alone gives, at a cost bounded by the page size where the planner, reading an OR or a join along the
        primary key, would walk every newer row of the table."""
        if not parts:  # nothing names a row: an organisation without a ledger account has no entry
            return queryset.none()
        cursor = self.decode_cursor(request)
        count, ordering, bound = self.get_page_size(request) + 1, f"-{key}", {}
        if cursor is not None:
            count += cursor.offset
            if cursor.reverse:
                ordering = key  # a `previous` link reads towards newer rows, as paginate_queryset will
            if cursor.position is not None:
                bound = {f"{key}__gt" if cursor.reverse else f"{key}__lt": int(cursor.position)}
        pages = [part.filter(**bound).order_by(ordering).values(key).distinct()[:count] for part in parts]
        return queryset.filter(pk__in=pages[0].union(*pages[1:], all=True))

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return _bounded(super().get_schema_operation_parameters(view), self.max_page_size)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        follow = (
            "GET it as it is (it keeps your filters and page size), or pass its `cursor` query value to the same "
            "operation; a cursor is opaque: never build one."
        )
        return _page_schema(super().get_paginated_response_schema(schema), follow=follow)


class OldestFirstCursorPagination(NewestFirstCursorPagination):
    """Keyset pagination of an append-heavy list read in the order its rows arrived: a queue worked from its oldest
    row (bank lines: a statement's in file order, the unmatched ones first come first), without counting a table
    that grows with every statement imported. Not for a list cut into sides: `bounded` takes each side's newest
    rows (tests/orders/test_list_sides.py holds those lists to newest first)."""

    ordering = "id"
