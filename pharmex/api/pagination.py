"""Pagination, declared once (STYLE G18): strict about its query parameters (400, never ignored)."""

from __future__ import annotations

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
    return parameters


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

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return _bounded(super().get_schema_operation_parameters(view), self.max_page_size)
