"""The API's URL resolver: Django's, trying only the routes that can match a path's first segment.

Django tries an include's patterns one by one and, on the way, builds the list of every pattern it tried, even when
one matches. With the apps' 500-odd API routes behind eight includes, resolving `/api/v1/orders/` tried 109 patterns
and cost 0.2 ms of every request (more than the whole stack of a plain view). Here each route is filed under its
first segment when that segment is literal (`orders/…`, `^orders/…`), and a path is resolved against its
segment's routes plus those that could match any segment, in their declared order, so what resolves is what
Django's own resolver resolves (tests/pharmex/test_routing.py compares them route by route). Reversing URLs and
Django's URL checks use every route, as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import import_module

from django.urls import URLPattern, URLResolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

_LITERAL_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


class FirstSegmentResolver(URLResolver):
    def __init__(self, route: str, urlconfs: Iterable[str]):
        patterns = [pattern for name in urlconfs for pattern in import_module(name).urlpatterns]
        super().__init__(RoutePattern(route, is_endpoint=False), patterns)
        self._by_segment: dict[str, URLResolver] | None = None
        self._any_segment: URLResolver | None = None

    def resolve(self, path):
        path = str(path)
        match = self.pattern.match(path)
        if not match:
            raise Resolver404({"path": path})
        if self._by_segment is None:
            self._file_routes()
        segment = match[0].partition("/")[0]
        return self._by_segment.get(segment, self._any_segment).resolve(path)

    def _file_routes(self) -> None:
        filed = [(first_literal_segment(pattern), pattern) for pattern in self.url_patterns]

        def resolver_for(segment: str | None) -> URLResolver:
            patterns = [pattern for under, pattern in filed if under in (segment, None)]
            return URLResolver(self.pattern, patterns, self.default_kwargs, self.app_name, self.namespace)

        segments = dict.fromkeys(segment for segment, _ in filed if segment is not None)  # each once, in order
        by_segment = {segment: resolver_for(segment) for segment in segments}
        self._any_segment = resolver_for(None)
        self._by_segment = by_segment  # last: another thread that sees it set finds both ready


def first_literal_segment(pattern: URLPattern | URLResolver) -> str | None:
    """The text before a route's first slash when it is plain text (it can match only paths beginning so), else
    None (the route may match any first segment)."""
    if isinstance(pattern.pattern, RoutePattern):
        text = str(pattern.pattern)
    elif isinstance(pattern.pattern, RegexPattern):
        text = str(pattern.pattern).removeprefix("^")
    else:
        return None
    head, slash, _ = text.partition("/")
    return head if slash and _LITERAL_SEGMENT.fullmatch(head) else None
