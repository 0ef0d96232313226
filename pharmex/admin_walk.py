"""Every string the admin site shows from its registry: app, model and field names, choices, actions, filter titles,
column headings and fieldset titles, each with where it comes from. The test of translations walks it
(tests/pharmex/test_admin_translations.py), so models and admin classes added later are covered without a list."""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin


def _model_strings(model, where: str) -> Iterator[tuple[str, object]]:
    opts = model._meta
    yield f"{where}: verbose_name", opts.verbose_name
    yield f"{where}: verbose_name_plural", opts.verbose_name_plural
    for field in opts.get_fields():
        if getattr(field, "auto_created", False) and not getattr(field, "concrete", False):
            continue  # reverse relations: not shown as fields
        if hasattr(field, "verbose_name"):
            yield f"{where}.{field.name}: verbose_name", field.verbose_name
        if getattr(field, "help_text", ""):
            yield f"{where}.{field.name}: help_text", field.help_text
        for value, label in getattr(field, "flatchoices", None) or []:
            if str(label).replace(" ", "_") != str(value):  # an identifier shown as itself (a time zone) is no text
                yield f"{where}.{field.name}: choice {value!r}", label


def _admin_strings(model_admin, where: str) -> Iterator[tuple[str, object]]:
    for action in model_admin.actions or []:
        func = getattr(model_admin, action) if isinstance(action, str) else action
        yield f"{where}: action {getattr(func, '__name__', action)}", getattr(func, "short_description", "")
    for column in model_admin.list_display:
        func = column if callable(column) else getattr(model_admin, column, None)
        if callable(func) and hasattr(func, "short_description"):
            yield f"{where}: column {column}", func.short_description
    for list_filter in model_admin.list_filter:
        if isinstance(list_filter, type) and issubclass(list_filter, admin.SimpleListFilter):
            title = list_filter.title
            yield f"{where}: filter {list_filter.__name__}", title
            lookups = list_filter.lookups(list_filter, None, model_admin)
            for value, label in lookups or []:
                yield f"{where}: filter {list_filter.__name__} {value!r}", label
    for name, _options in getattr(model_admin, "fieldsets", None) or []:
        if name:
            yield f"{where}: fieldset", name


def admin_strings(site: admin.AdminSite = admin.site) -> Iterator[tuple[str, object]]:
    yield "site_header", site.site_header
    yield "site_title", site.site_title
    yield "index_title", site.index_title
    app_labels = set()
    for model, model_admin in site._registry.items():
        where = model._meta.label
        app_labels.add(model._meta.app_label)
        yield from _model_strings(model, where)
        yield from _admin_strings(model_admin, where)
        for inline in model_admin.inlines:
            inline: type[InlineModelAdmin]
            yield from _model_strings(inline.model, f"{where} inline {inline.model._meta.label}")
    for label in sorted(app_labels):
        yield f"app {label}", apps.get_app_config(label).verbose_name
    for name, func in site.actions:
        yield f"site action {name}", getattr(func, "short_description", name)
