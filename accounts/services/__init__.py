"""Every write of the accounts app (STYLE G5): keyword-only, atomic, audited."""

from accounts.services.api_keys import api_key_create, api_key_revoke
from accounts.services.invitations import (
    invitation_accept,
    invitation_accept_by_token,
    invitation_create,
    invitation_revoke,
)
from accounts.services.licenses import (
    license_approve,
    license_create,
    license_delete,
    license_expiry_run,
    license_reject,
    license_update,
)
from accounts.services.members import member_change_role, member_leave, member_mandate_set, member_remove
from accounts.services.organizations import (
    organization_reinstate,
    organization_suspend,
    organization_update,
    organization_verify,
)
from accounts.services.registration import organization_register
from accounts.services.reverification import reverification_fail, reverification_pass, reverification_run
from accounts.services.sessions import (
    password_change,
    password_reset_confirm,
    password_reset_request,
    session_close,
    session_open,
    session_refresh,
)

__all__ = [
    "api_key_create",
    "api_key_revoke",
    "invitation_accept",
    "invitation_accept_by_token",
    "invitation_create",
    "invitation_revoke",
    "license_approve",
    "license_create",
    "license_delete",
    "license_expiry_run",
    "license_reject",
    "license_update",
    "member_change_role",
    "member_leave",
    "member_mandate_set",
    "member_remove",
    "organization_register",
    "organization_reinstate",
    "organization_suspend",
    "organization_update",
    "organization_verify",
    "password_change",
    "password_reset_confirm",
    "password_reset_request",
    "reverification_fail",
    "reverification_pass",
    "reverification_run",
    "session_close",
    "session_open",
    "session_refresh",
]
