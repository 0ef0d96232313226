"""Where finance admins work (SPEC §6): statements, bank lines, the aging report. Every change goes
through the same services as the API (rule-checked, audited); the ledger itself is read-only here."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accounts.actor import actor_for_user
from pharmex.admin import AuditedAdmin, PharmexAdmin, ReadOnlyAdmin, ReadOnlyInline, ReasonForm, ask_reason
from pharmex.api.uploads import MULTIPART_ALLOWANCE, UploadTooLarge, declared_length, limit_uploads
from pharmex.errors import DomainError
from pharmex.exports import export_response
from settlements import selectors, services
from settlements.admin_pages import form_page, is_finance
from settlements.choices import BankLineStatus, PeriodKind, StatementStatus
from settlements.credit_selectors import credit_holders
from settlements.models import (
    BankLine,
    BankStatement,
    JournalEntry,
    KnownBankAccount,
    LedgerAccount,
    Payment,
    Posting,
    Receivable,
    Refund,
    RefundSource,
    SettlementProfile,
    Statement,
    StatementAdjustment,
    StatementEvent,
)
from settlements.services.credits import refund_record
from settlements.services.exports import HEADER, export_rows
from settlements.services.statements import AdjustmentRequest


class PostingInline(ReadOnlyInline):
    model = Posting
    fields = ["account", "amount", "currency", "order"]


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "source_type", "source_id", "memo", "created_at"]
    list_filter = ["kind"]
    indexed_search_fields = ["id", "postings__order__number"]
    search_help_text = _("An entry's number, or a whole order number: the entries posting to that order.")
    inlines = [PostingInline]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "organization", "fund", "currency", "balance"]
    list_filter = ["kind"]
    list_select_related = ["organization", "fund"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(balance=selectors.account_balance_subquery())

    @admin.display(description=_("balance (Dr +)"))
    def balance(self, obj) -> str:
        return str(obj.balance)


@admin.register(SettlementProfile)
class SettlementProfileAdmin(AuditedAdmin):
    audit_object_type = "settlement_profile"
    list_display = ["organization", "commission_rate"]
    autocomplete_fields = ["organization"]


@admin.register(KnownBankAccount)
class KnownBankAccountAdmin(PharmexAdmin):
    list_display = ["account_number", "organization", "label"]
    search_fields = ["account_number", "organization__legal_name"]
    autocomplete_fields = ["organization"]


@admin.register(Receivable)
class ReceivableAdmin(ReadOnlyAdmin):
    list_display = [
        "order",
        "buyer",
        "supplier",
        "gross",
        "allocated",
        "due_date",
        "fund",
        "fund_gross",
        "fund_allocated",
        "fund_due_date",
        "paid_at",
        "reversed_at",
    ]
    list_filter = ["paid_at", "due_date", "fund"]
    list_select_related = ["order", "buyer", "supplier", "fund"]
    change_list_template = None

    def get_urls(self):
        return [
            path("aging/", self.admin_site.admin_view(self.aging_view), name="settlements_aging"),
            *super().get_urls(),
        ]

    def aging_view(self, request):
        """The receivables aging report (current, 1–30, 31–60, 61–90, 90+ days overdue) per buyer, and per medical
        insurance fund apart (the fund's part of orders it settles directly)."""
        as_of = forms.DateField(required=False).clean(request.GET.get("as_of")) or timezone.localdate()
        actor = actor_for_user(request.user)
        rows = selectors.receivables_aging(actor=actor, on=as_of)
        fund_rows = selectors.fund_receivables_aging(actor=actor, on=as_of)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Receivables aging"),
            "rows": rows,
            "totals": selectors.aging_totals(rows),
            "fund_rows": fund_rows,
            "fund_totals": selectors.aging_totals(fund_rows),
            "as_of": as_of,
        }
        return TemplateResponse(request, "admin/settlements/aging.html", context)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "buyer", "amount", "unallocated", "source", "reference", "value_date", "reversed_at"]
    list_filter = ["source"]
    indexed_search_fields = ["reference__trgm_icontains", "buyer__legal_name__icontains"]
    list_select_related = ["buyer"]


class RefundSourceInline(ReadOnlyInline):
    model = RefundSource
    fields = ["payment", "fund_payment", "amount"]


class RefundForm(forms.Form):
    payer = forms.ChoiceField(
        label=_("payer"), help_text=_("Buyers and medical insurance funds with unapplied credit.")
    )
    amount = forms.DecimalField(label=_("amount"), max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    paid_on = forms.DateField(label=_("paid on"), initial=timezone.localdate)
    bank_account = forms.CharField(label=_("bank account"), max_length=40, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].choices = [
            (f"{kind}:{pk}", f"{name} ({credit})") for kind, pk, name, credit in credit_holders()
        ]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    """Refunds of a buyer's or a medical insurance fund's credit, recorded by finance admins here or through the API
    (audited); the bank line that carried each one out once reconciliation matched it."""

    list_display = ["number", "buyer", "fund", "amount", "currency", "paid_on", "bank_line", "recorded_by"]
    list_filter = ["currency", "fund"]
    search_fields = ["number", "buyer__legal_name", "fund__name"]
    list_select_related = ["buyer", "fund", "bank_line"]
    inlines = [RefundSourceInline]

    def get_urls(self):
        return [
            path("record/", self.admin_site.admin_view(self.record_view), name="settlements_refund_record"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "can_record": is_finance(request)})

    def record_view(self, request):
        """Pay back a buyer's or a fund's unapplied credit: /admin/settlements/refund/record/."""
        if not is_finance(request):
            return redirect("admin:index")

        def record(data: dict) -> str:
            kind, pk = data["payer"].split(":")
            refund = refund_record(
                **{f"{kind}_id": int(pk)},
                amount=data["amount"],
                paid_on=data["paid_on"],
                bank_account=data["bank_account"],
                actor=actor_for_user(request.user),
            )
            return _("Refund %(number)s recorded: quote its number in the transfer.") % {"number": refund.number}

        return form_page(
            self,
            request,
            RefundForm(request.POST or None),
            act=record,
            done="admin:settlements_refund_changelist",
            title=_("Record a refund of unapplied credit"),
            submit_label=_("Record"),
        )


class StatementAdjustmentInline(ReadOnlyInline):
    model = StatementAdjustment
    fields = ["amount", "reason", "entry", "created_by", "created_at"]


class StatementEventInline(ReadOnlyInline):
    model = StatementEvent
    fields = ["created_at", "action", "from_status", "to_status", "actor", "note"]


class GenerateForm(forms.Form):
    period_kind = forms.ChoiceField(label=_("period kind"), choices=PeriodKind.choices)
    day = forms.DateField(label=_("day"), help_text=_("Any day of the period (YYYY-MM-DD)."))


class ResolveForm(ReasonForm):
    amount = forms.DecimalField(
        label=_("adjustment"),
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text=_("Positive: the supplier gets more; empty: re-issue unchanged. The reason is the adjustment's."),
    )


class PayoutForm(forms.Form):
    bank_reference = forms.CharField(label=_("bank reference"), max_length=100)
    paid_on = forms.DateField(label=_("paid on"), initial=timezone.localdate)


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "supplier",
        "period_start",
        "status",
        "line_count",
        "gross",
        "commission",
        "adjustments",
        "net",
    ]
    list_filter = ["status", "period_kind", "period_start"]
    search_fields = ["number", "supplier__legal_name"]
    list_select_related = ["supplier"]
    inlines = [StatementAdjustmentInline, StatementEventInline]
    actions = ["issue", "approve", "resolve_dispute", "record_payout", "export_csv"]

    def has_staff_permission(self, request) -> bool:
        return request.user.is_active and bool(request.user.staff_roles)

    def has_finance_permission(self, request) -> bool:
        return is_finance(request)

    def get_urls(self):
        return [
            path("generate/", self.admin_site.admin_view(self.generate_view), name="settlements_statement_generate"),
            path("<int:pk>/pay/", self.admin_site.admin_view(self.pay_view), name="settlements_statement_pay"),
            *super().get_urls(),
        ]

    def _each(self, request, queryset, service, **kwargs) -> None:
        done = 0
        for statement in queryset.order_by("pk"):
            try:
                service(statement=statement, actor=actor_for_user(request.user), **kwargs)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{statement.number}: {error.detail}", messages.ERROR)
        self.message_user(request, _("%(count)d statement(s) updated.") % {"count": done})

    @admin.action(description=_("Issue to the supplier"), permissions=["staff"])
    def issue(self, request, queryset):
        self._each(request, queryset, services.statement_issue)

    @admin.action(description=_("Approve for payout"), permissions=["staff"])
    def approve(self, request, queryset):
        self._each(request, queryset, services.statement_approve)

    @admin.action(description=_("Resolve the dispute and re-issue, with a reason (audited)"), permissions=["staff"])
    def resolve_dispute(self, request, queryset):
        def resolve(statement, data):
            amount = data["amount"]
            adjustments = [AdjustmentRequest(amount=amount, reason=data["reason"])] if amount else []
            services.statement_resolve(
                statement=statement, actor=actor_for_user(request.user), adjustments=adjustments, note=data["reason"]
            )

        return ask_reason(
            self,
            request,
            queryset.filter(status=StatementStatus.DISPUTED).order_by("pk"),
            title=_("Resolve disputed statements"),
            decide=resolve,
            form_class=ResolveForm,
        )

    @admin.action(description=_("Record payout (one statement)"), permissions=["finance"])
    def record_payout(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Record a payout for one statement at a time."), messages.ERROR)
            return None
        return redirect(reverse("admin:settlements_statement_pay", args=[queryset.get().pk]))

    @admin.action(description=_("Export lines as CSV"), permissions=["staff"])
    def export_csv(self, request, queryset):
        rows = export_rows(statements=queryset)
        return export_response(file_format="csv", header=HEADER, rows=rows, filename="statements")

    def generate_view(self, request):
        if not self.has_staff_permission(request):
            return redirect("admin:index")

        def generate(data: dict) -> str:
            statements = services.statement_generate(actor=actor_for_user(request.user), **data)
            return _("%(count)d statement(s) for the period.") % {"count": len(statements)}

        return form_page(
            self,
            request,
            GenerateForm(request.POST or None, initial={"period_kind": PeriodKind.MONTH}),
            act=generate,
            done="admin:settlements_statement_changelist",
            title=_("Generate statements"),
            submit_label=_("Generate"),
        )

    def pay_view(self, request, pk: int):
        if not self.has_finance_permission(request):
            return redirect("admin:index")
        statement = get_object_or_404(Statement, pk=pk)

        def pay(data: dict) -> str:
            services.statement_pay(
                statement=statement, actor=actor_for_user(request.user), amount=statement.net, **data
            )
            return _("Payout of %(amount)s recorded for %(number)s.") % {
                "amount": statement.net,
                "number": statement.number,
            }

        return form_page(
            self,
            request,
            PayoutForm(request.POST or None),
            act=pay,
            done="admin:settlements_statement_changelist",
            title=_("Payout of %(number)s") % {"number": statement.number},
            submit_label=_("Record payout"),
            intro=_("Net to pay: %(amount)s CNY.") % {"amount": statement.net},
        )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("file"),
        help_text=_("CSV: transaction_id, booked_on, amount, counterparty_account, counterparty_name, reference"),
    )


class MatchForm(forms.Form):
    buyer_id = forms.IntegerField(label=_("buyer id"), required=False, help_text=_("For a credit (money in)."))
    fund_id = forms.IntegerField(
        label=_("fund id"), required=False, help_text=_("For a credit from a medical insurance fund (money in).")
    )
    statement_id = forms.IntegerField(label=_("statement id"), required=False, help_text=_("For a debit (a payout)."))


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "file_name",
        "status",
        "line_count",
        "duplicate_count",
        "file_total",
        "imported_by",
        "imported_at",
    ]
    list_filter = ["status"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")  # the stored file, until a worker processed it

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="settlements_bank_import"),
            *super().get_urls(),
        ]

    @method_decorator(csrf_exempt)
    def import_view(self, request):
        # The upload limit must be in place before anything reads the body, and the CSRF check reads it:
        # the check runs after (csrf_protect below), not before the view.
        limit_uploads(request, settings.BANK_STATEMENT_MAX_BYTES)
        if declared_length(request) > settings.BANK_STATEMENT_MAX_BYTES + MULTIPART_ALLOWANCE:
            self.message_user(request, UploadTooLarge(settings.BANK_STATEMENT_MAX_BYTES).detail, messages.ERROR)
            return self._import_page(request, ImportForm())
        return csrf_protect(self._import_view)(request)

    def _import_view(self, request):
        if not is_finance(request):
            return redirect("admin:index")
        return self._import_page(request, ImportForm(request.POST or None, request.FILES or None))

    def _import_page(self, request, form):
        def upload(data: dict) -> str:
            statement, created = services.bank_statement_upload(
                file_name=data["file"].name, file=data["file"], actor=actor_for_user(request.user)
            )
            if created:
                return _("%(name)s is queued; a worker imports and matches its lines (refresh for its status).") % {
                    "name": statement.file_name
                }
            return _("%(name)s was uploaded before (statement %(id)s, %(status)s).") % {
                "name": statement.file_name,
                "id": statement.pk,
                "status": statement.get_status_display(),
            }

        return form_page(
            self,
            request,
            form,
            act=upload,
            done="admin:settlements_bankstatement_changelist",
            title=_("Import a bank statement"),
            submit_label=_("Import"),
        )


@admin.register(BankLine)
class BankLineAdmin(ReadOnlyAdmin):
    list_display = [
        "transaction_id",
        "booked_on",
        "amount",
        "counterparty_name",
        "reference",
        "status",
        "candidates",
        "note",
        "match_link",
    ]
    list_filter = ["status", "statement"]
    indexed_search_fields = [
        "transaction_id",
        "reference__trgm_icontains",
        "counterparty_name__trgm_icontains",
        "counterparty_account__trgm_icontains",
    ]
    actions = ["rematch", "ignore", "unmatch"]

    def has_finance_permission(self, request) -> bool:
        return is_finance(request)

    def get_urls(self):
        return [
            path("<int:pk>/match/", self.admin_site.admin_view(self.match_view), name="settlements_bankline_match"),
            *super().get_urls(),
        ]

    def _each(self, request, queryset, service, **kwargs) -> None:
        for line in queryset.order_by("pk"):
            try:
                service(line=line, actor=actor_for_user(request.user), **kwargs)
            except DomainError as error:
                self.message_user(request, f"{line.transaction_id}: {error.detail}", messages.ERROR)

    @admin.action(description=_("Try automatic matching again"), permissions=["finance"])
    def rematch(self, request, queryset):
        actor = actor_for_user(request.user)
        tried = queryset.filter(status__in=[BankLineStatus.UNMATCHED, BankLineStatus.AMBIGUOUS]).values_list(
            "pk", flat=True
        )
        outcomes = [services.bank_line_match_tried(line_id=line_id, actor=actor) for line_id in tried]
        self.message_user(
            request,
            _("%(matched)d matched; %(open)d left open (see their notes).")
            % {"matched": sum(outcomes), "open": len(outcomes) - sum(outcomes)},
        )

    @admin.display(description=_("match"))
    def match_link(self, line: BankLine) -> str:
        if line.status not in (BankLineStatus.UNMATCHED, BankLineStatus.AMBIGUOUS):
            return "-"
        url = reverse("admin:settlements_bankline_match", args=[line.pk])
        return format_html('<a class="match-link" href="{}">{}</a>', url, _("Match by hand"))

    @admin.action(description=_("Ignore (not a payment or payout), with a reason"), permissions=["finance"])
    def ignore(self, request, queryset):
        return ask_reason(
            self,
            request,
            queryset.order_by("pk"),
            title=_("Ignore bank lines"),
            decide=lambda line, data: services.bank_line_ignore(
                line=line, actor=actor_for_user(request.user), reason=data["reason"]
            ),
        )

    @admin.action(description=_("Unmatch"), permissions=["finance"])
    def unmatch(self, request, queryset):
        self._each(request, queryset, services.bank_line_unmatch, reason="Unmatched in the admin site")

    def match_view(self, request, pk: int):
        """Match one line by hand: /admin/settlements/bankline/<id>/match/."""
        if not is_finance(request):
            return redirect("admin:index")
        line = get_object_or_404(BankLine, pk=pk)

        def match(data: dict) -> str:
            services.bank_line_match(
                line=line, actor=actor_for_user(request.user), **{k: v for k, v in data.items() if v is not None}
            )
            return _("%(id)s matched.") % {"id": line.transaction_id}

        return form_page(
            self,
            request,
            MatchForm(request.POST or None),
            act=match,
            done="admin:settlements_bankline_changelist",
            title=_("Match %(id)s") % {"id": line.transaction_id},
            submit_label=_("Match"),
            intro=_("%(amount)s %(currency)s · %(name)s · %(reference)s · candidates %(candidates)s")
            % {
                "amount": line.amount,
                "currency": line.currency,
                "name": line.counterparty_name,
                "reference": line.reference,
                "candidates": line.candidates,
            },
        )


from settlements import admin_funds  # noqa: E402, F401  (the fund pages register with the admin site)
