"""The admin site's changelists count at most a bounded number of rows, so a page costs the same in year five as in
month one (issue 19): beyond the bound the count reads "N+" and the staff narrow by a filter or a search."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pharmex.admin import CountsUpTo, PharmexAdmin
from pharmex.audit import SYSTEM, audit_record
from tests.factories import UserFactory
from tests.test_layering import LAYERS as PROJECT_APPS

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(email="desk@platform.test", staff_role="admin", is_staff=True, is_superuser=True))
    return client


def our_model_admins() -> dict[str, admin.ModelAdmin]:
    return {
        model._meta.label: model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS or model is apps.get_model("accounts", "User")
    }


def test_every_model_admin_of_the_platform_counts_up_to_the_bound():
    ours = our_model_admins()
    assert len(ours) > 30
    unbounded = sorted(label for label, model_admin in ours.items() if not isinstance(model_admin, PharmexAdmin))
    assert unbounded == []
    assert {type(model_admin).paginator for model_admin in ours.values()} == {CountsUpTo}
    assert not any(model_admin.show_full_result_count for model_admin in ours.values())


def test_every_changelist_joins_the_records_it_shows_instead_of_a_query_a_row():
    # Django joins what `list_select_related` names; left False, it joins every relation that cannot be null and
    # then reads a nullable one's record once per row shown (100 queries a page).
    per_row = []
    for label, model_admin in our_model_admins().items():
        joined = model_admin.list_select_related
        for name in model_admin.list_display:
            field = model_admin.model._meta._forward_fields_map.get(name) if isinstance(name, str) else None
            if field is None or not (field.many_to_one or field.one_to_one):
                continue
            if joined is True or (joined and name in joined) or (joined is False and not field.null):
                continue
            per_row.append(f"{label}.{name}")
    assert per_row == []


def test_a_long_changelist_counts_to_the_bound_and_a_narrow_one_exactly(staff_client, monkeypatch):
    monkeypatch.setattr(CountsUpTo, "cap", 3)
    for n in range(5):
        audit_record(actor=SYSTEM, action="probe.long", object_type="probe", object_id=n)
    for n in range(2):
        audit_record(actor=SYSTEM, action="probe.narrow", object_type="probe", object_id=n)

    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get("/admin/pharmex/auditevent/")
    assert page.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 4" in sql for sql in counts), counts
    assert page.context["cl"].result_count == 3 and str(page.context["cl"].result_count) == "3+"
    assert "3+" in page.content.decode()
    in_chinese = staff_client.get("/admin/pharmex/auditevent/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert in_chinese.headers["Content-Language"] == "zh-hans" and "3+" in in_chinese.content.decode()
    assert page.context["cl"].paginator.num_pages == 1  # the newest rows; older ones by a filter or a date

    narrow = staff_client.get("/admin/pharmex/auditevent/", {"action": "probe.narrow"})
    assert narrow.status_code == 200
    assert narrow.context["cl"].result_count == 2 and str(narrow.context["cl"].result_count) == "2"
    assert len(narrow.context["cl"].result_list) == 2


def test_a_filter_by_an_open_set_of_values_offers_those_of_the_newest_rows(staff_client, monkeypatch):
    monkeypatch.setattr(CountsUpTo, "cap", 3)
    audit_record(actor=SYSTEM, action="probe.old", object_type="probe", object_id=0)
    for n in range(3):
        audit_record(actor=SYSTEM, action="probe.new", object_type="probe", object_id=n)

    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get("/admin/pharmex/auditevent/")
    (action_filter,) = [spec for spec in page.context["cl"].filter_specs if spec.field_path == "action"]
    assert list(action_filter.lookup_choices) == ["probe.new"]
    distinct = [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    assert distinct and all("LIMIT 3" in sql for sql in distinct), distinct

    older = staff_client.get("/admin/pharmex/auditevent/", {"action": "probe.old"})
    assert [event.action for event in older.context["cl"].result_list] == ["probe.old"]
