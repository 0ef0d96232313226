"""The operator's desk in a real browser (headless Chromium in zh-CN, tests/browser.py; issue 18): a reviewer signs
in and approves a licence from its queue; a finance admin matches an unmatched bank line by hand and sees the
dashboard's figure change, and pays a medical insurance fund's credit back. Each saves screenshots into the test's
temp folder. Everything is in Chinese, nothing is loaded from another host, and nothing fails."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.choices import LicenseStatus
from accounts.models import InsuranceFund
from pharmex.actor import SYSTEM_ACTOR
from pharmex.choices import StaffRole
from settlements.choices import BankLineStatus
from settlements.services.funds import fund_payment_record
from tests.browser import assert_clean
from tests.desk.records import bank_lines
from tests.factories import LicenseFactory, OrganizationFactory, UserFactory
from tests.factories.accounts import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture
def browser_locale() -> str:
    return "zh-CN"


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_selector("#desk")


@pytest.fixture
def licence_queue(db):
    """A reviewer, and a licence awaiting review (made before the browser starts: see tests/browser.py)."""
    reviewer = UserFactory(email="reviewer@platform.test", staff_role=StaffRole.ADMIN, is_staff=True, is_superuser=True)
    holder = OrganizationFactory(legal_name="海口康宁大药房")
    licence = LicenseFactory(organization=holder, status=LicenseStatus.PENDING, number="琼CB2026001")
    return {"email": reviewer.email, "licence": licence.pk}


def test_a_reviewer_approves_a_licence_from_the_queue(live_server, licence_queue, browser_page, tmp_path):
    page = browser_page
    # given: the reviewer signed in: the index, in Chinese, shows the queue with one licence
    sign_in(page, live_server.url, licence_queue["email"])
    assert "海南药品交易平台 · 运营后台" in page.locator("#site-name").inner_text()
    assert page.locator("#queue-licences .count").inner_text() == "1"
    assert "待审核证照" in page.locator("#queue-licences").inner_text()
    page.screenshot(path=tmp_path / "index.png", full_page=True)
    # when: they open the queue, select the licence and approve it
    page.locator("#queue-licences a").click()
    page.wait_for_url("**/admin/accounts/license/?status__exact=pending")
    assert "琼CB2026001" in page.locator("#result_list").inner_text()
    page.screenshot(path=tmp_path / "licence-queue.png", full_page=True)
    page.locator(f"input[name=_selected_action][value='{licence_queue['licence']}']").check()
    page.select_option("select[name=action]", "approve_selected")
    page.locator("button[name=index]").click()
    # then: decided, and the queue is empty
    page.wait_for_selector(".messagelist")
    assert "已处理 1 条记录。" in page.locator(".messagelist").inner_text()
    page.screenshot(path=tmp_path / "licence-approved.png", full_page=True)
    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#queue-licences .count").inner_text() == "0"
    assert_clean(page)
    assert (tmp_path / "index.png").stat().st_size > 0 and (tmp_path / "licence-queue.png").stat().st_size > 0


@pytest.fixture
def unmatched_line(db):
    """A finance admin (with the admin site's view permission on bank lines), a buyer, and its transfer that the
    automatic matching could not place."""
    finance = UserFactory(email="finance@platform.test", staff_role=StaffRole.FINANCE_ADMIN, is_staff=True)
    finance.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_bankline", "view_bankstatement", "view_statement"])
    )
    buyer = OrganizationFactory(legal_name="三亚仁心大药房")
    (line,) = bank_lines(("880.00", BankLineStatus.UNMATCHED))
    assert line.amount == Decimal("880.00")
    return {"email": finance.email, "buyer": buyer.pk}


def test_a_finance_admin_matches_a_bank_line_and_the_dashboard_changes(
    live_server, unmatched_line, browser_page, tmp_path
):
    page = browser_page
    # given: the dashboard counts one unmatched line
    sign_in(page, live_server.url, unmatched_line["email"])
    assert page.locator("#unmatched-bank-lines").inner_text() == "1"
    assert page.locator("#queue-bank_lines .count").inner_text() == "1"
    page.screenshot(path=tmp_path / "dashboard-before.png", full_page=True)
    # when: the finance admin opens the queue and matches the line to the buyer by hand
    page.locator("#queue-bank_lines a").click()
    page.wait_for_selector("#result_list")
    page.screenshot(path=tmp_path / "bank-line-queue.png", full_page=True)
    page.locator("a.match-link").click()
    page.fill("#id_buyer_id", str(unmatched_line["buyer"]))
    page.locator("input[type=submit]").click()
    page.wait_for_selector(".messagelist")
    assert "已匹配" in page.locator(".messagelist").inner_text()
    # then: the dashboard's figure went down
    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#unmatched-bank-lines").inner_text() == "0"
    assert page.locator("#queue-bank_lines .count").inner_text() == "0"
    page.screenshot(path=tmp_path / "dashboard-after.png", full_page=True)
    assert_clean(page)


@pytest.fixture
def fund_credit(db):
    """A finance admin (with the view permission on refunds), and a medical insurance fund that paid 300.00 with
    nothing owed: its credit."""
    finance = UserFactory(email="finance@platform.test", staff_role=StaffRole.FINANCE_ADMIN, is_staff=True)
    finance.user_permissions.add(*Permission.objects.filter(codename__in=["view_refund", "view_fundpayment"]))
    fund = InsuranceFund.objects.create(name="海南省医疗保障基金", province_code="460000")
    fund_payment_record(fund_id=fund.pk, amount=Decimal("300.00"), value_date=timezone.localdate(), actor=SYSTEM_ACTOR)
    return {"email": finance.email, "fund": fund.pk}


def test_a_finance_admin_refunds_a_fund_s_credit(live_server, fund_credit, browser_page, tmp_path):
    page = browser_page
    # given: the finance admin on the refunds page, which lists none yet
    sign_in(page, live_server.url, fund_credit["email"])
    page.goto(f"{live_server.url}/admin/settlements/refund/")
    # when: they open the form, choose the fund (its credit is shown), and pay back part of it
    page.get_by_role("link", name="登记退款").click()
    page.wait_for_selector("#id_payer")
    assert "海南省医疗保障基金 (300.00)" in page.locator("#id_payer").inner_text()
    page.select_option("#id_payer", f"fund:{fund_credit['fund']}")
    page.fill("#id_amount", "120.00")
    page.fill("#id_bank_account", "4600001234567890")
    page.screenshot(path=tmp_path / "refund-form.png", full_page=True)
    page.locator("input[type=submit]").click()
    # then: the refund is recorded, listed with the fund, and the form offers only what is left
    page.wait_for_selector(".messagelist")
    assert "已登记" in page.locator(".messagelist").inner_text()
    assert "海南省医疗保障基金" in page.locator("#result_list").inner_text()
    page.screenshot(path=tmp_path / "refunds.png", full_page=True)
    page.goto(f"{live_server.url}/admin/settlements/refund/record/")
    assert "海南省医疗保障基金 (180.00)" in page.locator("#id_payer").inner_text()
    assert_clean(page)
