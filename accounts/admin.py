from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Invitation, License, Membership, Organization, OrganizationApiKey, User
from accounts.services.sessions import sessions_revoke


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "staff_role", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        ("Platform", {"fields": ["staff_role", "is_active", "is_staff", "is_superuser"]}),
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
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "uscc", "kind", "province_code", "status"]
    list_filter = ["status", "kind", "province_code"]
    search_fields = ["legal_name", "uscc"]
    # Status changes go through the API actions so they are audited and rule-checked.
    readonly_fields = ["status", "status_reason", "created_at", "updated_at"]
    inlines = [MembershipInline, LicenseInline]


@admin.register(License)
class LicenseAdmin(admin.ModelAdmin):
    list_display = ["organization", "type", "number", "valid_until", "status"]
    list_filter = ["status", "type"]
    search_fields = ["number", "organization__legal_name"]
    readonly_fields = ["status", "reviewed_by", "reviewed_at", "expiry_warning_sent_days", "expiry_notified_at"]


@admin.register(OrganizationApiKey)
class OrganizationApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "organization", "role", "revoked", "expiry_date", "last_used_at"]
    list_filter = ["revoked", "role"]
    readonly_fields = ["prefix", "hashed_key", "last_used_at"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
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
