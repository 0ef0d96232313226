"""The documentation promises: a valid schema, self-hosted docs pages, a guide that lists every problem
type and a README that lists every setting, a clean deployment check, and the health probes (SPEC §8)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from importlib import import_module, util
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

from pharmex import embedded_pg
from pharmex.api.problems import HTTP_PROBLEMS
from pharmex.errors import all_domain_errors

BASE_DIR = Path(settings.BASE_DIR)
GUIDE = BASE_DIR / "api_docs" / "guide"
DOCS_PAGES = ["/api/docs/", "/api/redoc/"]

# A reference an HTML page, a stylesheet or a script makes the browser load.
HTML_REFERENCE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
CSS_REFERENCE = re.compile(r"""url\(\s*["']?([^"')]*)["']?\s*\)|@import\s+["']([^"']+)["']""", re.IGNORECASE)
# scheme://host or protocol-relative //host
ABSOLUTE_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
# Hosts that docs bundles typically load fonts, scripts or styles from. A blanket ban on "https://" in
# the bundles cannot work: they hold XML namespaces, JSON Schema $ids and licence links that are
# identifiers, never fetched.
ASSET_HOSTS = (
    "fonts.googleapis.com",
    "fonts.gstatic.com",
    "cdn.jsdelivr.net",
    "unpkg.com",
    "cdnjs.cloudflare.com",
    "cdn.redoc.ly",  # ReDoc's "API docs by Redocly" logo (api_docs.views.redoc_bundle serves a patched bundle)
)


def _references(text: str, pattern: re.Pattern) -> list[str]:
    return [next(group for group in match.groups() if group is not None) for match in pattern.finditer(text)]


def _static_prefix() -> str:
    return "/" + settings.STATIC_URL.lstrip("/")


def _static_path(url: str) -> Path:
    """The file behind a /static/… URL, found the way collectstatic finds it."""
    prefix = _static_prefix()
    assert url.startswith(prefix), f"{url} is not served from STATIC_URL"
    relative = url.split("?")[0].split("#")[0][len(prefix) :]
    found = finders.find(relative)
    assert found, f"{url} is referenced but no static file {relative!r} exists"
    return Path(found)


# --- (a) the schema ---------------------------------------------------------------------------------


def test_schema_generates_and_validates_without_warnings(tmp_path):
    # given: warnings left over from an earlier generation in this process do not count
    GENERATOR_STATS.reset()
    output = tmp_path / "openapi.yaml"
    # when: spectacular raises on any warning or validation error
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(output))
    # then
    assert output.read_text().startswith("openapi: 3")


# --- (b) the docs pages serve every asset themselves ------------------------------------------------


@pytest.mark.django_db
def test_schema_endpoint_answers_openapi(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3")


@pytest.mark.django_db
@pytest.mark.parametrize("page", DOCS_PAGES)
def test_docs_page_loads_nothing_from_another_host(client, page):
    # when
    response = client.get(page)
    # then: the page names no absolute URL at all, and every asset it loads is one of our static files
    assert response.status_code == 200
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html
    references = _references(html, HTML_REFERENCE) + _references(html, CSS_REFERENCE)
    assert references, "the page loads its UI from static files"
    for reference in references:
        assert not ABSOLUTE_URL.match(reference), f"{page} loads {reference} from another host"
        if reference.startswith(_static_prefix()):
            _assert_asset_is_self_contained(_static_path(reference))
        elif reference.endswith((".js", ".css")):  # an asset a view serves (ReDoc's patched bundle)
            asset = client.get(reference)
            assert asset.status_code == 200, reference
            text = b"".join(asset.streaming_content if asset.streaming else [asset.content]).decode(errors="replace")
            assert [host for host in ASSET_HOSTS if host in text] == [], f"{reference} loads from another host"


def _assert_asset_is_self_contained(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    for host in ASSET_HOSTS:
        assert host not in text, f"{path.name} loads from {host}"
    if path.suffix == ".css":
        for reference in _references(text, CSS_REFERENCE):
            if reference.startswith("data:") or reference.startswith("#"):
                continue
            assert not ABSOLUTE_URL.match(reference), f"{path.name} loads {reference} from another host"
            assert (path.parent / reference.split("?")[0].split("#")[0]).exists(), f"{path.name}: missing {reference}"


@pytest.mark.django_db
def test_redoc_uses_system_fonts_not_google_fonts(client):
    html = client.get("/api/redoc/").content.decode()

    assert "fonts.googleapis.com" not in html
    assert "redoc.standalone.js" in html
    assert "system-ui" in html  # REDOC_UI_SETTINGS theme: no web fonts to fetch


@pytest.mark.django_db
def test_swagger_ui_does_not_call_the_online_validator(client):
    html = client.get("/api/docs/").content.decode()

    assert re.search(r'"validatorUrl":\s*(null|"none")', html)


# --- (c) the API guide lists every problem type ----------------------------------------------------


def _import_every_project_error() -> None:
    """Load every DomainError subclass: each project app's errors module and everything its URLs reach."""
    import_module(settings.ROOT_URLCONF)
    for config in apps.get_app_configs():
        top = config.name.split(".")[0]
        if (BASE_DIR / top).is_dir() and util.find_spec(f"{config.name}.errors") is not None:
            import_module(f"{config.name}.errors")


def _guide_table(text: str) -> dict[str, set[str]]:
    """slug -> statuses, from the table rows of errors.md (| `slug` | 409 | …)."""
    rows: dict[str, set[str]] = {}
    for slug, status in re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|\s*(\d{3}|varies)\s*\|", text, re.MULTILINE):
        rows.setdefault(slug, set()).add(status)
    return rows


def test_errors_guide_lists_every_problem_type_with_its_status():
    # given
    _import_every_project_error()
    problems = {(problem.slug, problem.status) for problem in HTTP_PROBLEMS}
    problems |= {(error.problem, error.http_status) for error in all_domain_errors()}
    # when
    table = _guide_table((GUIDE / "errors.md").read_text())
    # then
    missing = sorted(f"`{slug}` ({status})" for slug, status in problems if str(status) not in table.get(slug, ()))
    assert missing == [], f"add these rows to api_docs/guide/errors.md: {', '.join(missing)}"


# --- (d) the deployment check -----------------------------------------------------------------------


def test_deploy_check_passes_with_production_settings():
    # given: production settings with a real-looking secret; DATABASE_URL as the suite has it
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pharmex.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
    }
    # manage.py starts the embedded server when DATABASE_URL is unset; the check needs no connection.
    env.setdefault("DATABASE_URL", embedded_pg.url())
    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# --- (e) the health probes --------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_migrations_broker_and_audit_chain(client):
    # The test broker is Redis when REDIS_URL is set, else the filesystem transport (settings/test.py).
    response = client.get("/readyz")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "broker": "ok", "audit": "ok"},
    }


# --- the README and .env.example keep up with the settings ------------------------------------------

SETTING_READ = re.compile(
    r"""\b(?:env(?:\.\w+)?|os\.environ\.get|os\.environ\.setdefault|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)


# Read by the settings but set by tools, not by whoever deploys PharmEx.
NOT_CONFIGURATION = {"PYTEST_XDIST_WORKER"}


def _environment_variables() -> set[str]:
    sources = [*sorted((BASE_DIR / "pharmex" / "settings").glob("*.py")), BASE_DIR / "pharmex" / "embedded_pg.py"]
    names: set[str] = set()
    for source in sources:
        names.update(SETTING_READ.findall(source.read_text()))
    return names - NOT_CONFIGURATION


def test_readme_and_env_example_document_every_environment_variable():
    names = _environment_variables()
    readme = (BASE_DIR / "README.md").read_text()
    env_example = (BASE_DIR / ".env.example").read_text()

    assert "DATABASE_URL" in names  # the scan found the settings
    assert sorted(name for name in names if f"`{name}`" not in readme) == []
    assert sorted(name for name in names if not re.search(rf"^#? ?{name}=", env_example, re.MULTILINE)) == []


def test_guide_and_readme_links_point_to_existing_files():
    documents = [BASE_DIR / "README.md", *sorted(GUIDE.glob("*.md"))]
    broken = []
    for document in documents:
        for target in re.findall(r"\]\(([^)\s]+)\)", document.read_text()):
            if ABSOLUTE_URL.match(target) or target.startswith(("#", "/", "mailto:")):
                continue
            if not (document.parent / target.split("#")[0]).exists():
                broken.append(f"{document.relative_to(BASE_DIR)} -> {target}")
    assert broken == []
