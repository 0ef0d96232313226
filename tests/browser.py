"""Headless Chromium for tests that look at a page as a browser does: what it loads, what fails, what it shows.

The fixtures are registered in `tests/conftest.py`:

* `chromium`: a Playwright `Browser` running Debian's Chromium (`/usr/bin/chromium`, the `chromium`
  package), never a browser Playwright downloads. Where Playwright or Chromium is missing the test is skipped
  with the reason (shown by `-ra`); `.ci/run` installs Chromium, so CI always runs these tests.
* `browser_page`: a fresh `Page` (its own context: no cookies or cache shared between tests; its language is the
  `browser_locale` fixture's, which a test module may override) that lets requests
  reach 127.0.0.1 and localhost only; every other request is blocked. The page records what went wrong:
  `page.blocked` (requests to another host), `page.failed` (requests that failed), `page.http_errors` (answers of
  400 and above) and `page.console_errors`; `assert_clean(page)` asserts all four are empty. Requests the browser
  cancels itself when the test navigates on (`net::ERR_ABORTED`) are kept apart in `page.aborted`.

Serve the app with pytest-django's `live_server` and go there:

    def test_swagger_ui(live_server, browser_page):
        browser_page.goto(f"{live_server.url}/api/docs/")
        browser_page.wait_for_selector(".opblock")
        assert_clean(browser_page)

Playwright's sync API keeps an event loop running in the test's thread while it is started, and Django refuses
database calls from a thread with a running loop (SynchronousOnlyOperation). So the browser starts per test,
after pytest-django has set the database up, and stops before it tears it down; in between, the test talks to
the browser and the live server answers from its own thread. Do database work in fixtures, not in the test body
while the browser runs. A browser starts in about a second.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
NAVIGATION_TIMEOUT_MS = 30_000


@pytest.fixture
def chromium() -> Iterator:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser test skipped: Playwright is not installed (make test installs requirements/dev.txt)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser test skipped: no Chromium at {CHROMIUM} (apt-get install -y chromium; .ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_locale() -> str | None:
    """The browser's language (its Accept-Language); a test module overrides this fixture, e.g. with "zh-CN"."""
    return None


@pytest.fixture
def browser_page(chromium, browser_locale) -> Iterator:
    context = chromium.new_context(service_workers="block", locale=browser_locale)
    page = context.new_page()
    page.set_default_timeout(NAVIGATION_TIMEOUT_MS)
    page.blocked, page.failed, page.http_errors, page.console_errors = [], [], [], []

    def route(route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            page.blocked.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    page.aborted = []

    def request_failed(request) -> None:
        if request.url in page.blocked:
            return
        # ERR_ABORTED: the browser itself cancelled the request, as it does with a page's pending loads (its icon)
        # when the test navigates on; a request that really fails says how (refused, reset, timed out …).
        (page.aborted if request.failure == "net::ERR_ABORTED" else page.failed).append(
            f"{request.url}: {request.failure}"
        )

    page.on("requestfailed", request_failed)
    page.on(
        "response",
        lambda response: response.status >= 400 and page.http_errors.append(f"{response.status} {response.url}"),
    )
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(f"uncaught: {error}"))
    try:
        yield page
    finally:
        context.close()


def assert_clean(page) -> None:
    """Nothing was loaded from another host, no request failed, nothing answered an error, nothing logged one."""
    problems = {
        "blocked (another host)": page.blocked,
        "failed": page.failed,
        "answered an error": page.http_errors,
        "console errors": page.console_errors,
    }
    found = {name: items for name, items in problems.items() if items}
    assert found == {}, f"{page.url}: {found}"
