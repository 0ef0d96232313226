from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.actor import actor_for_user
from accounts.choices import LicenseStatus, OrganizationStatus, ReverificationStatus
from accounts.hainan import HAINAN_VERIFICATION_FIELDS, stamp_hainan_verification
from accounts.models import Invitation, License, Membership, Organization, OrganizationApiKey, Reverification, User
from accounts.services.licenses import license_approve, license_reject
from accounts.services.organizations import organization_suspend, organization_verify
from accounts.services.reverification import reverification_fail, reverification_pass
from accounts.services.sessions import sessions_revoke
from pharmex.admin import AuditedAdmin, PharmexAdmin, ReadOnlyAdmin, ask_reason, decide_each
from pharmex.errors import DomainError


@admin.register(User)
class UserAdmin(PharmexAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "staff_role", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        (_("Platform"), {"fields": ["staff_role", "is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            sessions_revoke(user=obj)  # a deactivated person's tokens die with the account

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # the new password was saved
            sessions_revoke(user=self.get_object(request, id))
        return response


class MembershipInline(admin.TabularInline):
    # Read only: people join by accepting an invitation (never platform staff), and roles change through the
    # API, where the last-owner rule and the audit log apply.
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class LicenseInline(admin.TabularInline):
    model = License
    extra = 0
    fields = ["type", "number", "valid_from", "valid_until", "status"]
    readonly_fields = fields
    can_delete = False


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    audit_object_type = "organization"
    list_display = ["legal_name", "uscc", "kind", "ownership", "province_code", "status", "last_verified_at"]
    list_filter = ["status", "kind", "ownership", "province_code"]
    search_fields = ["legal_name", "uscc"]
    # Status changes go through the API actions (and re-verification) so they are audited and rule-checked.
    readonly_fields = ["status", "status_reason", "last_verified_at", "created_at", "updated_at",
                       *HAINAN_VERIFICATION_FIELDS]  # fmt: skip
    inlines = [MembershipInline, LicenseInline]
    actions = ["verify_selected", "suspend_selected"]

    def audit_organization_id(self, obj: Organization) -> int:
        return obj.pk

    @admin.action(description=_("Verify the selected organisations (audited)"))
    def verify_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        pending = queryset.filter(status=OrganizationStatus.PENDING).order_by("pk")
        decide_each(self, request, pending, lambda org: organization_verify(organization=org, actor=actor))

    @admin.action(description=_("Suspend the selected organisations, with a reason (audited)"))
    def suspend_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        return ask_reason(
            self,
            request,
            queryset.exclude(status=OrganizationStatus.SUSPENDED).order_by("pk"),
            title=_("Suspend organisations"),
            decide=lambda org, data: organization_suspend(organization=org, actor=actor, reason=data["reason"]),
        )

    def save_model(self, request, obj, form, change) -> None:
        # The Hainan statuses are admin-verified (SPEC §4a): whoever enters them here verifies them, and the audit
        # record of the edit names them with the rest of the change.
        stamp_hainan_verification(obj, changed=form.changed_data, by=request.user.email)
        super().save_model(request, obj, form, change)


@admin.register(License)
class LicenseAdmin(AuditedAdmin):
    audit_object_type = "license"
    list_display = ["organization", "type", "number", "valid_until", "status"]
    list_filter = ["status", "type"]
    search_fields = ["number", "organization__legal_name"]
    readonly_fields = ["status", "reviewed_by", "reviewed_at", "expiry_warning_sent_days", "expiry_notified_at",
                       "created_at"]  # fmt: skip
    list_select_related = ["organization"]
    actions = ["approve_selected", "reject_selected"]

    @admin.action(description=_("Approve the selected licences (audited)"))
    def approve_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        pending = queryset.filter(status=LicenseStatus.PENDING).order_by("pk")
        decide_each(self, request, pending, lambda license: license_approve(license=license, actor=actor))

    @admin.action(description=_("Reject the selected licences, with a reason (audited)"))
    def reject_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        return ask_reason(
            self,
            request,
            queryset.filter(status=LicenseStatus.PENDING).order_by("pk"),
            title=_("Reject licences"),
            decide=lambda license, data: license_reject(license=license, actor=actor, note=data["reason"]),
        )


@admin.register(Reverification)
class ReverificationAdmin(ReadOnlyAdmin):
    """The re-verification review queue: filter by "Open", check the organisation's licences and documents, then
    pass or fail the selected reviews (the same services as the API: audited, suspending and restoring)."""

    list_display = ["organization", "due_on", "status", "suspended_at", "decided_at", "decided_by"]
    list_filter = ["status", "due_on"]
    search_fields = ["organization__legal_name", "organization__uscc"]
    list_select_related = ["organization"]
    actions = ["pass_selected", "fail_selected"]

    def _decide(self, request, queryset, service, **kwargs) -> None:
        actor, done = actor_for_user(request.user), 0
        for reverification in queryset.filter(status=ReverificationStatus.OPEN).order_by("pk"):
            try:
                service(reverification=reverification, actor=actor, **kwargs)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{reverification}: {error.detail}", messages.WARNING)
        self.message_user(
            request, ngettext("%(count)d review decided.", "%(count)d reviews decided.", done) % {"count": done}
        )

    @admin.action(description=_("Pass the selected re-verifications (audited; restores suspended ones)"))
    def pass_selected(self, request, queryset):
        self._decide(request, queryset, reverification_pass, note="passed in the admin site")

    @admin.action(description=_("Fail the selected re-verifications, with a reason (audited; suspends them)"))
    def fail_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        return ask_reason(
            self,
            request,
            queryset.filter(status=ReverificationStatus.OPEN).order_by("pk"),
            title=_("Fail re-verifications"),
            decide=lambda review, data: reverification_fail(reverification=review, actor=actor, note=data["reason"]),
        )


@admin.register(OrganizationApiKey)
class OrganizationApiKeyAdmin(PharmexAdmin):
    list_display = ["name", "prefix", "organization", "role", "revoked", "expiry_date", "last_used_at"]
    list_filter = ["revoked", "role"]
    readonly_fields = ["prefix", "hashed_key", "last_used_at"]


@admin.register(Invitation)
class InvitationAdmin(PharmexAdmin):
    """Read only: owners invite and revoke through the API; the secret is never stored, only its hash."""

    list_display = ["email", "organization", "role", "status", "expires_at", "created_at"]
    list_filter = ["status", "role"]
    search_fields = ["email", "organization__legal_name"]
    exclude = ["token_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
