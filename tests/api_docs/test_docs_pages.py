"""What the server shows around the API (issue 11): the index at /api/v1/, the guide as HTML at /api/guide/, the
favicon, ReDoc without its CDN logo, the admin's "view site" link, and timestamps in UTC everywhere."""

from __future__ import annotations

import importlib
import inspect
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import resolve
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers

from api_docs import guide_pages
from pharmex.api.serializers import StrictInputSerializer, UTCDateTimeField

BASE_DIR = Path(settings.BASE_DIR)
GUIDE = BASE_DIR / "api_docs" / "guide"


class _Links(HTMLParser):
    """hrefs of <a>, ids of every element, and what <link>/<script>/<img> load."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag in ("link", "script", "img") and (attributes.get("href") or attributes.get("src")):
            self.assets.append(attributes.get("href") or attributes.get("src"))


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


# --- /api/v1/ ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_root_is_a_public_index_of_the_resources(client):
    response = client.get("/api/v1/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "PharmEx API" and body["version"] == "v1"
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["docs"] == "http://testserver/api/docs/"
    assert body["redoc"] == "http://testserver/api/redoc/"
    assert body["guide"] == "http://testserver/api/guide/"
    resources = body["resources"]
    assert resources["orders"] == "http://testserver/api/v1/orders/"
    assert resources["auth/token"] == "http://testserver/api/v1/auth/token/"
    assert resources["bank-statements/lines"] == "http://testserver/api/v1/bank-statements/lines/"
    assert {"organizations", "licenses", "api-keys", "drugs", "offers", "webhooks", "checkout", "me"} <= set(resources)
    assert not any("{" in name or "<" in name or "(" in name for name in resources)


@pytest.mark.django_db
def test_every_resource_of_the_index_resolves_to_an_api_view(client):
    resources = client.get("/api/v1/").json()["resources"]

    for name, url in resources.items():
        match = resolve(url.removeprefix("http://testserver"))
        assert getattr(match.func, "cls", None) is not None, name


@pytest.mark.django_db
def test_api_root_is_documented_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/"]["get"]
    assert operation["operationId"] == "api_index"
    assert operation.get("security") in (None, [])  # public: no credentials
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert {"resources", "schema", "docs", "redoc", "guide"} <= set(component["properties"])


# --- the guide as HTML ------------------------------------------------------------------------------


def test_guide_contents_start_with_the_index_and_list_every_page():
    slugs = guide_pages.page_slugs()

    assert slugs[0] == ""
    assert sorted(slugs[1:]) == sorted(path.stem for path in GUIDE.glob("*.md") if path.stem != "README")
    assert slugs[1] == "authentication"  # the README's chapter order


@pytest.mark.django_db
@pytest.mark.parametrize("slug", guide_pages.page_slugs())
def test_guide_page_renders_with_working_links_and_no_outside_assets(client, slug):
    # when
    url = guide_pages.page_url(slug)
    response = client.get(url)
    # then: an HTML page with the file's title, loading assets from PharmEx only …
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    page = _parse(html)
    title = re.search(r"^#\s+(.+)$", (GUIDE / f"{slug or 'README'}.md").read_text(), re.MULTILINE).group(1)
    assert "<h1" in html and title in html
    assert "```" not in html  # every fenced block became a code block
    assert page.assets and all(asset.startswith("/static/") for asset in page.assets), page.assets
    # … whose links to other pages of the guide (and their anchors) and to the docs all work
    for link in page.links:
        if link.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = link.partition("#")
        target = client.get(path) if path else response
        assert target.status_code == 200, f"{url}: {link} answers {target.status_code}"
        if (anchor and path.startswith("/api/guide/")) or (anchor and not path):
            assert anchor in _parse(target.content.decode()).ids, f"{url}: no #{anchor} on {path or url}"
        assert not link.endswith(".md") and ".md#" not in link, f"{url}: {link} points to a markdown file"


@pytest.mark.django_db
def test_an_unknown_guide_page_answers_404(client):
    response = client.get("/api/guide/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "/api/guide/" in response.content.decode()


def test_schema_description_points_to_the_served_guide():
    assert "(/api/guide/)" in spectacular_settings.DESCRIPTION
    assert "api_docs/guide/" not in spectacular_settings.DESCRIPTION


# --- favicon, ReDoc's logo, the admin's "view site" ----------------------------------------------------


@pytest.mark.django_db
def test_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.django_db
def test_redoc_loads_its_bundle_and_logo_from_pharmex(client):
    html = client.get("/api/redoc/").content.decode()
    bundle = client.get("/api/redoc/redoc.standalone.js")

    assert '<script src="/api/redoc/redoc.standalone.js">' in html
    assert bundle.status_code == 200 and bundle["Content-Type"].startswith("text/javascript")
    assert b"cdn.redoc.ly" not in bundle.content
    assert b'src:"/static/api_docs/redoc-logo-mini.svg"' in bundle.content
    assert client.get("/static/api_docs/redoc-logo-mini.svg").status_code == 200


def test_admin_view_site_link_goes_to_the_api_docs():
    assert admin.site.site_url == "/api/docs/"


# --- UTC everywhere -----------------------------------------------------------------------------------


def _project_serializers() -> list[type[serializers.Serializer]]:
    found = []
    for config in apps.get_app_configs():
        if not (BASE_DIR / config.name.split(".")[0]).is_dir():
            continue
        try:
            module = importlib.import_module(f"{config.name}.serializers")
        except ModuleNotFoundError:
            continue
        found += [
            member
            for _, member in inspect.getmembers(module, inspect.isclass)
            if issubclass(member, serializers.BaseSerializer) and member.__module__ == module.__name__
        ]
    return found


def test_every_output_timestamp_is_rendered_in_utc():
    # A plain DateTimeField renders in the business time zone (+08:00); every timestamp the API answers is UTC (Z).
    offenders = []
    for serializer in _project_serializers():
        if issubclass(serializer, StrictInputSerializer):
            continue  # input: parsing accepts any offset
        for name, field in serializer._declared_fields.items():
            if isinstance(field, serializers.DateTimeField) and not isinstance(field, UTCDateTimeField):
                offenders.append(f"{serializer.__module__}.{serializer.__name__}.{name}")
    assert offenders == []
