"""The admin site's medical insurance fund pages (医保基金直接结算, SPEC §5a, §6): the funds platform staff manage,
and the fund payments finance admins record and reverse through the same services as the API (audited)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actor import actor_for_user
from accounts.models import InsuranceFund
from pharmex.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline, ask_reason
from settlements.admin_pages import form_page, is_finance
from settlements.models import FundAllocation, FundPayment
from settlements.references import fund_payment_code
from settlements.services.funds import fund_payment_record, fund_payment_reverse


@admin.register(InsuranceFund)
class InsuranceFundAdmin(AuditedAdmin):
    audit_object_type = "insurance_fund"
    list_display = ["id", "name", "province_code", "payment_code", "bank_account_number", "settlement_days", "active"]
    list_filter = ["active", "province_code"]
    search_fields = ["name", "bank_account_number"]
    fields = ["name", "province_code", "bank_account_number", "settlement_days", "active", "created_at"]
    readonly_fields = ["created_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # contracts, receivables and the ledger name it: deactivate instead

    @admin.display(description=_("payment code"))
    def payment_code(self, fund: InsuranceFund) -> str:
        return fund_payment_code(fund.pk)


class FundAllocationInline(ReadOnlyInline):
    model = FundAllocation
    fields = ["receivable", "amount", "created_at"]


class FundPaymentForm(forms.Form):
    fund = forms.ModelChoiceField(label=_("medical insurance fund"), queryset=InsuranceFund.objects.order_by("name"))
    amount = forms.DecimalField(label=_("amount"), max_digits=18, decimal_places=2, min_value=0.01)
    value_date = forms.DateField(label=_("value date"), initial=timezone.localdate)
    reference = forms.CharField(
        label=_("reference"),
        max_length=300,
        required=False,
        help_text=_("Order numbers named here are paid first; else the fund's oldest dues first."),
    )


@admin.register(FundPayment)
class FundPaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "fund",
        "amount",
        "unallocated",
        "refunded",
        "source",
        "reference",
        "value_date",
        "reversed_at",
    ]
    list_filter = ["source", "fund"]
    indexed_search_fields = ["reference__trgm_icontains", "fund__name__icontains"]
    list_select_related = ["fund"]
    inlines = [FundAllocationInline]
    actions = ["reverse"]

    def has_finance_permission(self, request) -> bool:
        return is_finance(request)

    def get_urls(self):
        return [
            path("record/", self.admin_site.admin_view(self.record_view), name="settlements_fundpayment_record"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "can_record": is_finance(request)})

    @admin.action(description=_("Reverse (recorded in error), with a reason"), permissions=["finance"])
    def reverse(self, request, queryset):
        actor = actor_for_user(request.user)
        return ask_reason(
            self,
            request,
            queryset.order_by("pk"),
            title=_("Reverse fund payments"),
            decide=lambda payment, data: fund_payment_reverse(payment=payment, actor=actor, reason=data["reason"]),
        )

    def record_view(self, request):
        """Record a payment a medical insurance fund made: /admin/settlements/fundpayment/record/."""
        if not is_finance(request):
            return redirect("admin:index")

        def record(data: dict) -> str:
            payment = fund_payment_record(
                fund_id=data["fund"].pk,
                amount=data["amount"],
                value_date=data["value_date"],
                reference=data["reference"],
                actor=actor_for_user(request.user),
            )
            return _("Fund payment %(id)s recorded.") % {"id": payment.pk}

        return form_page(
            self,
            request,
            FundPaymentForm(request.POST or None),
            act=record,
            done="admin:settlements_fundpayment_changelist",
            title=_("Record a medical insurance fund payment"),
            submit_label=_("Record"),
        )
