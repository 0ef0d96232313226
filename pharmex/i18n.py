"""Model and field names the admin site shows, translatable without spelling each one out.

Django derives a field's verbose name from its attribute name ("legal_name" → "legal name") and a model's from its
class name, as plain strings that gettext never sees. Writing `verbose_name=_("legal name")` on every field would
change nothing but the translation, and each one would still cost a migration in every app. So at start-up
`mark_model_names()` wraps every plain name (and help text) in `gettext_lazy`: the admin site (and anything else
that shows a name) reads it in the language of the request. Migrations keep reading the names as declared
(`Field._verbose_name`, `Options.original_attrs`; a lazy help text deconstructs to the same text, makemigrations
running untranslated), so no migration changes.

`pharmex/admin_names.py` lists the derived names with `_()` so that `makemessages` extracts (and keeps) them;
tests/pharmex/test_admin_translations.py fails when a name is missing there or untranslated in the catalogue.
"""

from __future__ import annotations

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

DERIVED: set[str] = set()  # the plain names and help texts wrapped at start-up, for the test that checks admin_names.py


def _lazy(value):
    if isinstance(value, str) and not isinstance(value, Promise):
        DERIVED.add(value)
        return gettext_lazy(value)
    return value


def mark_model_names() -> None:
    for model in apps.get_models():
        opts = model._meta
        if "verbose_name_plural" not in opts.original_attrs:
            # Django's default plural is `verbose_name + "s"`, lazily: translated as a whole instead.
            opts.verbose_name_plural = _lazy(str(opts.verbose_name_plural))
        else:
            opts.verbose_name_plural = _lazy(opts.verbose_name_plural)
        opts.verbose_name = _lazy(opts.verbose_name)
        for field in opts.get_fields(include_hidden=True):
            if isinstance(getattr(field, "verbose_name", None), str):
                field.verbose_name = _lazy(field.verbose_name)
            if getattr(field, "help_text", ""):
                field.help_text = _lazy(field.help_text)
