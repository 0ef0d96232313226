"""The docs pages in a real browser (headless Chromium, tests/browser.py): they load nothing from another host,
nothing they load fails, and they show their content (issue 11)."""

from __future__ import annotations

import pytest

from tests.browser import assert_clean

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_swagger_ui_shows_the_operations(live_server, browser_page):
    # when
    browser_page.goto(f"{live_server.url}/api/docs/")
    # then: the operation list is there (Swagger UI renders what the window shows: the first tags), and everything
    # came from PharmEx
    browser_page.wait_for_selector(".opblock-tag", state="visible")
    browser_page.wait_for_load_state("networkidle")
    assert browser_page.locator(".opblock").count() >= 5
    assert browser_page.locator('.opblock-summary-path[data-path="/api/v1/"]').count() == 1  # the index, first
    assert "PharmEx API" in browser_page.locator(".info .title").inner_text()
    assert_clean(browser_page)


def test_redoc_shows_the_reference_with_its_logo(live_server, browser_page):
    browser_page.goto(f"{live_server.url}/api/redoc/")
    browser_page.wait_for_function("document.querySelectorAll('li[data-item-id]').length > 10")  # the side menu
    browser_page.wait_for_load_state("networkidle")

    assert "PharmEx API" in browser_page.locator("h1").first.inner_text()
    logo = browser_page.locator('img[alt="redocly logo"]')
    assert logo.count() == 1 and logo.evaluate("image => image.naturalWidth > 0")  # loaded, from PharmEx
    assert_clean(browser_page)


def test_guide_shows_its_chapters_and_links_between_them(live_server, browser_page):
    # given: the guide's index
    browser_page.goto(f"{live_server.url}/api/guide/")
    assert browser_page.locator("main h1").inner_text() == "PharmEx API guide"
    assert browser_page.locator("aside li").count() >= 10
    # when: a reader follows a chapter link in the text, then one to an anchor of another chapter
    browser_page.wait_for_load_state("networkidle")
    browser_page.locator("main a", has_text="Idempotency keys").first.click()
    browser_page.wait_for_url("**/api/guide/idempotency/")
    assert browser_page.locator("main h1").inner_text() == "Idempotency keys"
    browser_page.wait_for_load_state("networkidle")
    browser_page.goto(f"{live_server.url}/api/guide/errors/")
    browser_page.wait_for_load_state("networkidle")
    browser_page.locator('main a[href="/api/guide/orders/#compliance-reasons"]').click()
    browser_page.wait_for_url("**/api/guide/orders/#compliance-reasons")
    browser_page.wait_for_load_state("networkidle")
    # then: the target heading exists and everything came from PharmEx
    assert browser_page.locator("#compliance-reasons").count() == 1
    assert_clean(browser_page)


def test_api_index_and_favicon_load_in_the_browser(live_server, browser_page):
    response = browser_page.goto(f"{live_server.url}/api/v1/")
    favicon = browser_page.request.get(f"{live_server.url}/favicon.ico")

    assert response.status == 200 and '"resources"' in browser_page.content()
    assert favicon.status == 200 and favicon.headers["content-type"] == "image/x-icon"
    assert_clean(browser_page)
