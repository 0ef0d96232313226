"""pharmex.routing: the API's resolver resolves every path exactly as Django's own resolver over the same routes."""

import pytest
from django.urls import URLResolver, get_resolver, path
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

from pharmex.routing import FirstSegmentResolver, first_literal_segment

SAMPLE_VALUES = ["1", "00000000-0000-0000-0000-000000000001", "PX2026120600000001"]
NOT_ROUTES = ["/api/v1/nope/", "/api/v1/orders", "/api/v1/orders/x/y/z/", "/api/v1/", "/api/v2/orders/", "/api/v1//"]


def _api_resolver() -> FirstSegmentResolver:
    (resolver,) = [p for p in get_resolver().url_patterns if isinstance(p, FirstSegmentResolver)]
    return resolver


def _djangos_root() -> URLResolver:
    """The site's root resolver with the API's routes behind Django's own resolver instead."""
    api = _api_resolver()
    plain = URLResolver(RoutePattern("api/v1/", is_endpoint=False), api.url_patterns)
    root = get_resolver()
    return URLResolver(root.pattern, [plain if p is api else p for p in root.url_patterns])


def _sample_paths() -> list[str]:
    """One path per API route (its parameters filled with the first sample value the route accepts)."""
    api, djangos = _api_resolver(), _djangos_root()
    paths = []
    for name in {p.name for p in _leaves(api.url_patterns)}:
        for possibilities, _pattern, _defaults, _converters in api.reverse_dict.getlist(name):
            for template, params in possibilities:
                for value in SAMPLE_VALUES:
                    candidate = "/api/v1/" + template % dict.fromkeys(params, value)
                    try:
                        djangos.resolve(candidate)
                    except Resolver404:
                        continue
                    paths.append(candidate)
                    break
                else:
                    raise AssertionError(f"no sample path resolves route {name}: {template}")
    return sorted(paths)


def _leaves(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _leaves(pattern.url_patterns)
        else:
            yield pattern


def test_every_api_route_resolves_as_djangos_resolver_resolves_it():
    djangos, ours = _djangos_root(), get_resolver()
    paths = _sample_paths()
    assert len(paths) == len(list(_leaves(_api_resolver().url_patterns))) > 200  # one path per route
    for candidate in paths:
        expected, got = djangos.resolve(candidate), ours.resolve(candidate)
        assert (got.func, got.args, got.kwargs, got.url_name, got.route) == (
            expected.func,
            expected.args,
            expected.kwargs,
            expected.url_name,
            expected.route,
        ), candidate


@pytest.mark.parametrize("candidate", NOT_ROUTES)
def test_a_path_no_route_takes_is_refused_by_both(candidate):
    djangos, ours = _djangos_root(), get_resolver()
    outcomes = []
    for resolver in (djangos, ours):
        try:
            outcomes.append(resolver.resolve(candidate).url_name)
        except Resolver404:
            outcomes.append(None)
    assert outcomes[0] == outcomes[1]


def test_a_route_is_filed_under_its_first_segment_only_when_that_segment_is_plain_text():
    def view(request):
        raise NotImplementedError

    assert first_literal_segment(path("orders/<int:pk>/", view)) == "orders"
    assert first_literal_segment(path("red-letter-forms/", view)) == "red-letter-forms"
    assert first_literal_segment(path("<str:code>/", view)) is None
    assert first_literal_segment(path("checkout", view)) is None  # no slash: may be followed by anything
    regex = URLResolver(RegexPattern(r"^orders/(?P<pk>[^/.]+)/$"), [])
    assert first_literal_segment(regex) == "orders"
    assert first_literal_segment(URLResolver(RegexPattern(r"^orders\.(?P<format>\w+)/$"), [])) is None
    assert first_literal_segment(URLResolver(RegexPattern(r"^(?:a|b)/$"), [])) is None
