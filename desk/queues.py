"""The review queues on the admin index: each a filtered changelist of the admin site with its count.

A queue's `lookups` are the changelist's query string and, read the way the admin site reads it, the filter of its
count, so the number on the index is the number of rows the link shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.choices import LicenseStatus, OrganizationStatus, ReverificationStatus
from accounts.models import License, Organization, Reverification
from catalog.choices import DrugStatus
from catalog.models import Drug
from firstbusiness.choices import DocumentStatus
from firstbusiness.models import Document
from orders.choices import UNSHIPPED_ORDER_STATUSES, DiversionStatus
from orders.models import Order, SuspectedDiversion
from settlements.choices import BankLineStatus, StatementStatus
from settlements.models import BankLine, Statement


@dataclass(frozen=True)
class Queue:
    key: str
    title: str
    model: type[Model]
    lookups: dict[str, str]

    def queryset(self) -> QuerySet:
        filters: dict[str, object] = {}
        for lookup, value in self.lookups.items():
            if lookup.endswith("__in"):
                filters[lookup] = value.split(",")
            elif lookup.endswith("__isnull"):
                filters[lookup] = value.lower() not in ("", "false", "0")  # as the admin site reads it
            else:
                filters[lookup] = value
        return self.model._default_manager.filter(**filters)

    def url(self) -> str:
        opts = self.model._meta
        return f"{reverse(f'admin:{opts.app_label}_{opts.model_name}_changelist')}?{urlencode(self.lookups)}"


QUEUES = [
    Queue("licences", _("Licences awaiting review"), License, {"status__exact": LicenseStatus.PENDING}),
    Queue(
        "organisations",
        _("Organisations awaiting verification"),
        Organization,
        {"status__exact": OrganizationStatus.PENDING},
    ),
    Queue(
        "reverifications",
        _("Organisations awaiting re-verification"),
        Reverification,
        {"status__exact": ReverificationStatus.OPEN},
    ),
    Queue(
        "documents",
        _("First-business documents awaiting verification"),
        Document,
        {"status__exact": DocumentStatus.PENDING},
    ),
    Queue("drugs", _("Drug proposals"), Drug, {"status__exact": DrugStatus.PENDING_REVIEW}),
    Queue("diversions", _("Suspected diversions"), SuspectedDiversion, {"status__exact": DiversionStatus.OPEN}),
    Queue(
        "bank_lines",
        _("Unmatched and ambiguous bank lines"),
        BankLine,
        {"status__in": f"{BankLineStatus.UNMATCHED},{BankLineStatus.AMBIGUOUS}"},
    ),
    Queue("statements", _("Disputed statements"), Statement, {"status__exact": StatementStatus.DISPUTED}),
    Queue(
        "overdue_shipments",
        _("Overdue shipments (orders not shipped by their deadline)"),
        Order,
        {"status__in": ",".join(UNSHIPPED_ORDER_STATUSES), "overdue_at__isnull": "False"},  # order_overdue_unshipped
    ),
]


def queues_for(request: HttpRequest, site: admin.AdminSite = admin.site) -> list[dict]:
    """The queues the signed-in staff member may open, with their counts and links."""
    shown = []
    for queue in QUEUES:
        model_admin = site._registry.get(queue.model)
        if model_admin is None or not model_admin.has_view_permission(request):
            continue
        shown.append({"key": queue.key, "title": queue.title, "count": queue.queryset().count(), "url": queue.url()})
    return shown
