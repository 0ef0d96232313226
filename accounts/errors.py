from django.utils.translation import gettext_lazy as _

from pharmex.errors import DomainError


class LastOwner(DomainError):
    code = "last_owner"
    problem = "last-owner"
    title = _("An organisation must keep at least one owner")


class AlreadyMember(DomainError):
    code = "already_member"
    problem = "already-member"
    title = _("This user is already a member of the organisation")


class LicenseLocked(DomainError):
    code = "license_locked"
    problem = "license-locked"
    title = _("An approved licence cannot be changed; submit a renewal instead")


class ApiKeyRevoked(DomainError):
    code = "api_key_revoked"
    problem = "api-key-revoked"
    title = _("This API key is already revoked")


class EmailTaken(DomainError):
    code = "email_taken"
    problem = "email-taken"
    title = _("An account with this email already exists")


class UsccTaken(DomainError):
    code = "uscc_taken"
    problem = "uscc-taken"
    title = _("An organisation with this unified social credit code is already registered")


class StaffCannotJoin(DomainError):
    code = "staff_cannot_join"
    problem = "staff-cannot-join"
    title = _("Platform staff act for the platform and cannot be members of an organisation")


class InvitationInvalid(DomainError):
    code = "invitation_invalid"
    problem = "invitation-invalid"
    title = _("This invitation does not exist, has expired, was revoked or was already used")
    http_status = 404
