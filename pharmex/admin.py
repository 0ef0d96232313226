from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from functools import reduce

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Field, Model, Q, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.forms import ModelForm
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework_api_key.models import APIKey

from pharmex.audit import AuditActor, audit_record, diff
from pharmex.errors import DomainError
from pharmex.models import AuditEvent

# The admin's "View site" link: the platform's front page is its API documentation (the site has no other).
admin.site.site_url = "/api/docs/"
admin.site.site_header = _("Hainan drug trading platform · operations desk")
admin.site.site_title = _("Hainan drug trading platform · operations desk")
admin.site.index_title = _("Operations desk")

# rest_framework_api_key registers its own concrete APIKey model, which PharmEx never uses (organisation keys are
# accounts.OrganizationApiKey): one "API keys" entry, not two.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


def admin_audit_actor(request: HttpRequest) -> AuditActor:
    """The staff member signed in to the admin site, as the audit log names API callers."""
    user = request.user
    return AuditActor(type=AuditEvent.ActorType.USER, label=user.email, user_id=user.pk)


def decide_each(model_admin: admin.ModelAdmin, request: HttpRequest, objects: Iterable[Model], decide: Callable) -> int:
    """A review action on each selected record, through the service the API calls (audited the same way): what the
    service refuses is said per record, and how many were decided."""
    done = 0
    for obj in objects:
        try:
            decide(obj)
            done += 1
        except DomainError as error:
            model_admin.message_user(request, f"{obj}: {error.detail}", messages.WARNING)
    model_admin.message_user(
        request, ngettext("%(count)d record decided.", "%(count)d records decided.", done) % {"count": done}
    )
    return done


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


def ask_reason(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset,
    *,
    title: str,
    decide: Callable,
    form_class: type[forms.Form] = ReasonForm,
) -> TemplateResponse | None:
    """An action that needs a reason (where the API asks one): first an intermediate page with the form, as Django's
    own "delete selected" asks for confirmation; once it is posted back valid, `decide(obj, cleaned_data)` runs on
    each selected record."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        decide_each(model_admin, request, queryset, lambda obj: decide(obj, form.cleaned_data))
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "objects": list(queryset),
        "action": request.POST.get("action", ""),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),  # "all N" selected across the changelist's pages
        "checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/pharmex/reason.html", context)


class AtLeast(int):
    """A count that stopped counting: shows as "10000+" wherever the admin site prints its number of results."""

    def __str__(self) -> str:
        return f"{int(self)}+"


class CountsUpTo(Paginator):
    """Counts a changelist's rows up to `cap`, not the whole table.

    Django's admin counts every row a changelist could show on each page it serves (twice when it is filtered), and
    an append-only table of years of history has tens of millions: the count grows with the history while the page
    does not. Counting at most `cap` + 1 rows keeps a page's cost flat; beyond them the staff narrow by a filter,
    a search or a date, and the count reads "10000+".
    """

    cap = 10_000

    @cached_property
    def count(self) -> int:
        window = self.object_list[: self.cap + 1]
        counted = window.count() if isinstance(window, QuerySet) else len(window)
        return AtLeast(self.cap) if counted > self.cap else counted


class RecentValuesFilter(admin.AllValuesFieldListFilter):
    """A filter by a text field's values, offering those of the newest `CountsUpTo.cap` rows.

    Django's offers every distinct value in the table, a scan of all of it on each page (280 ms for 1.3 M audit
    records here, growing with the history). A value absent from the newest rows is still a filter by URL.
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        rows = model_admin.get_queryset(request)
        newest = rows.order_by("-pk").values("pk")[: CountsUpTo.cap]
        self.lookup_choices = (
            rows.filter(pk__in=newest).distinct().order_by(field.name).values_list(field.name, flat=True)
        )


# A relation's matches go into the search's filter as a list of keys up to this many; past it, as a subquery.
SEARCH_KEYS_AT_MOST = 1000


def indexed_search(queryset: QuerySet, paths: Sequence[str], term: str) -> QuerySet:
    """The rows of `queryset` where any of `paths` matches `term` (as one value, never split into words), each match
    answered by an index.

    A path is a field, matched exactly; a field and a lookup (`invoice_numbers__contains`; `__trgm_icontains`, part
    of a text a gin_trgm_ops index holds; `__icontains` on a table that stays small, such as the organisations); or
    a relation followed by a path on its model (`order__number`, `postings__order__number`). A relation's matches
    are read first and enter the filter as keys, so that every arm is a condition on the table's own indexed columns
    and PostgreSQL ORs their index scans: joined into one query, an OR across two tables scans the whole of the
    larger one. A field that cannot hold the term (not a number, not a UUID, longer than the column), or a term
    shorter than its lookup's index can serve (fewer than three characters for part of a text), is no arm at all.
    """
    term = term.strip()
    if not term:
        return queryset
    arms = [arm for path in paths if (arm := _search_arm(queryset.model, path, term)) is not None]
    return queryset.filter(reduce(operator.or_, arms)) if arms else queryset.none()


def _search_arm(model: type[Model], path: str, term: str) -> Q | None:
    name, _, rest = path.partition(LOOKUP_SEP)
    field = model._meta.get_field(name)
    if not field.is_relation:
        if len(term) < too_short_below(field, rest):
            return None
        value = _as_value_of(field, term)
        return None if value is None else Q(**{path: value})
    target = field.related_model
    if field.many_to_one or (field.one_to_one and field.concrete):  # a foreign key: the rows it may point at
        own, column = f"{field.name}__in", "pk"
    else:  # a reverse foreign key: the rows pointing at this one, by their column
        own, column = "pk__in", field.field.attname
    inner = _search_arm(target, rest, term)
    if inner is None:
        return None
    matches = target._default_manager.filter(inner).values_list(column, flat=True)
    keys = list(matches[: SEARCH_KEYS_AT_MOST + 1])
    if not keys:
        return None
    return Q(**{own: keys if len(keys) <= SEARCH_KEYS_AT_MOST else matches})


def too_short_below(field: Field, lookup: str) -> int:
    """The fewest characters a term needs for `lookup` on `field` to be read by its index (0: any term)."""
    return getattr(field.get_lookup(lookup), "fewest_characters", 0) if lookup else 0


def _as_value_of(field: Field, term: str):
    if isinstance(field, ArrayField):  # with `__contains`: the arrays holding the term as one of their items
        item = _as_value_of(field.base_field, term)
        return None if item is None else [item]
    try:
        value = field.to_python(term)
        field.run_validators(value)
    except ValidationError:
        return None
    return value


class PharmexAdmin(admin.ModelAdmin):
    """Base of every model admin of the platform."""

    paginator = CountsUpTo
    show_full_result_count = False  # a second count of the whole table, unfiltered
    # Set on the tables that grow with every order: the search box matches whole values through their indexes
    # (`indexed_search`), where Django's search would match `ILIKE '%term%'` over every row ever written.
    indexed_search_fields: Sequence[str] = ()

    def get_search_fields(self, request: HttpRequest) -> Sequence[str]:
        return self.indexed_search_fields or super().get_search_fields(request)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        if not self.indexed_search_fields:
            return super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        short = [(field, fewest) for field, fewest in self._searched_by_part if 0 < len(term) < fewest]
        if short:
            messages.info(
                request,
                _("Part of %(fields)s is found from %(count)d characters on.")
                % {"fields": ", ".join(str(field.verbose_name) for field, _fewest in short), "count": short[0][1]},
            )
        return indexed_search(queryset, self.indexed_search_fields, term), False

    @cached_property
    def _searched_by_part(self) -> list[tuple[Field, int]]:
        """The searched fields whose lookup needs a term of at least some length, with that length (for the hint)."""
        found = []
        for path in self.indexed_search_fields:
            model, parts = self.model, path.split(LOOKUP_SEP)
            while (field := model._meta.get_field(parts.pop(0))).is_relation:
                model = field.related_model
            if fewest := too_short_below(field, LOOKUP_SEP.join(parts)):
                found.append((field, fewest))
        return found


class AuditedAdmin(PharmexAdmin):
    """Edits made in the admin site write the audit record an API change writes (SPEC §7): `<object type>.created`,
    `.updated` with each changed field as [old, new], or `.deleted`, by the staff member, in the transaction of the
    change (the admin site saves in one)."""

    audit_object_type: str = ""

    def audit_organization_id(self, obj: Model) -> int | None:
        return getattr(obj, "organization_id", None)

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        # Foreign keys by their id (the audit log keeps plain values), under the field's name as the API names it.
        columns = {f.name: f.attname for f in obj._meta.concrete_fields}
        fields = [name for name in form.changed_data if name in columns]
        before = {}
        if change:
            stored = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
            before = {name: getattr(stored, columns[name]) for name in fields}
        super().save_model(request, obj, form, change)
        after = {name: getattr(obj, columns[name]) for name in fields}
        changes = diff(before, after) if change else diff({}, after)
        if change and not changes:
            return
        audit_record(
            actor=admin_audit_actor(request),
            action=f"{self.audit_object_type}.{'updated' if change else 'created'}",
            object_type=self.audit_object_type,
            object_id=obj.pk,
            organization_id=self.audit_organization_id(obj),
            changes={**changes, "via": "admin"},
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        object_id, organization_id = obj.pk, self.audit_organization_id(obj)
        super().delete_model(request, obj)
        audit_record(
            actor=admin_audit_actor(request),
            action=f"{self.audit_object_type}.deleted",
            object_type=self.audit_object_type,
            object_id=object_id,
            organization_id=organization_id,
            changes={"via": "admin"},
        )

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(PharmexAdmin):
    """Records that change only through audited services (or never): the admin site shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "actor_label", "organization_id", "action", "object_type", "object_id"]
    list_filter = [("action", RecentValuesFilter), "actor_type"]
    indexed_search_fields = ["object_id", "request_id"]
    search_help_text = _("A whole object id, or the request id a caller was answered with (X-Request-ID).")
