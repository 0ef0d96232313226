"""Request body parsing held to sane shapes (RELIABILITY §10: hostile input)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32  # no request body of the API nests deeper than a handful of levels


def _depth(value, limit: int) -> int:
    """How deep `value` nests, counting no further than `limit` + 1 (iteratively: no recursion to exhaust)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


class StrictJSONParser(JSONParser):
    """JSON bodies nested at most MAX_DEPTH deep; deeper ones (100,000 levels exhaust Python's recursion inside
    the decoder) are a 400 `malformed-request`, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the body nests too deeply.")) from None
        if _depth(data, MAX_DEPTH) > MAX_DEPTH:
            raise ParseError(_("JSON parse error - the body nests more than %(depth)s levels.") % {"depth": MAX_DEPTH})
        return data
