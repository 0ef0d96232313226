"""The admin site speaks Chinese (issue 18): every app, model, field, choice, action, filter and column it shows
has a zh-Hans translation, walked from the registry (so models added by anyone are covered), and the names Django
derives from attribute names are listed for makemessages in pharmex/admin_names.py."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.utils.encoding import force_str
from django.utils.translation import override

from pharmex import admin_names
from pharmex.admin_walk import admin_strings
from pharmex.i18n import DERIVED

HAN = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")  # a word with a lower-case letter: not an acronym (ID, GTIN)


def untranslated(text: str) -> bool:
    return bool(ENGLISH_WORD.search(text)) and not HAN.search(text)


def test_every_admin_string_has_a_chinese_translation():
    with override("zh-hans"):
        missing = sorted(
            {f"{where}: {force_str(text)!r}" for where, text in admin_strings() if untranslated(force_str(text))}
        )
    assert missing == [], "untranslated in the admin site (add to locale/zh_Hans; names: pharmex/admin_names.py):\n" + (
        "\n".join(missing)
    )


def test_the_derived_names_shown_in_the_admin_are_listed_for_makemessages():
    with override("en"):
        shown = {force_str(text) for _where, text in admin_strings()}
    listed = {force_str(name) for name in admin_names.NAMES}
    assert sorted((DERIVED & shown) - listed) == []


@pytest.mark.parametrize(
    ("text", "expected"), [("legal name", True), ("GTIN", False), ("ID", False), ("法定名称", False), ("", False)]
)
def test_untranslated_tells_english_from_chinese_and_acronyms(text, expected):
    assert untranslated(text) is expected


def test_site_identity_and_one_entry_per_model():
    with override("zh-hans"):
        assert force_str(admin.site.site_header) == "海南药品交易平台 · 运营后台"
        names = [force_str(model._meta.verbose_name_plural) for model in admin.site._registry]
    assert len(names) == len(set(names)), sorted(name for name in names if names.count(name) > 1)
    assert admin.site.site_url == "/api/docs/"
