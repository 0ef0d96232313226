from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import License, Membership, Organization, OrganizationApiKey, User


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


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


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
