"""The accounts app's state machines (pharmex.transitions): organisations, licences and invitations."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.choices import InvitationStatus, LicenseStatus, OrganizationStatus, ReverificationStatus
from accounts.models import (
    Invitation,
    InvitationStatusChange,
    License,
    LicenseStatusChange,
    Organization,
    OrganizationStatusChange,
    Reverification,
    ReverificationStatusChange,
)
from pharmex.transitions import StateMachine, Transition

ORGANIZATION = StateMachine(
    model=Organization,
    object_type="organization",
    noun=_("an organisation"),
    transitions={
        "verify": Transition(frozenset({OrganizationStatus.PENDING}), OrganizationStatus.VERIFIED),
        "suspend": Transition(
            frozenset({OrganizationStatus.PENDING, OrganizationStatus.VERIFIED}), OrganizationStatus.SUSPENDED
        ),
        "reinstate": Transition(frozenset({OrganizationStatus.SUSPENDED}), OrganizationStatus.VERIFIED),
    },
    history_model=OrganizationStatusChange,
    history_field="organization",
    organization_of=lambda organization, _action: organization.pk,
)

LICENSE = StateMachine(
    model=License,
    object_type="license",
    noun=_("a licence"),
    transitions={
        # The audit log named reviews by their outcome before this table existed; the names stay.
        "approve": Transition(
            frozenset({LicenseStatus.PENDING}), LicenseStatus.APPROVED, audit_action="license.approved"
        ),
        "reject": Transition(
            frozenset({LicenseStatus.PENDING}), LicenseStatus.REJECTED, audit_action="license.rejected"
        ),
        "resubmit": Transition(frozenset({LicenseStatus.REJECTED}), LicenseStatus.PENDING),
    },
    history_model=LicenseStatusChange,
    history_field="license",
    organization_of=lambda license, _action: license.organization_id,
    timestamps={LicenseStatus.APPROVED: "reviewed_at", LicenseStatus.REJECTED: "reviewed_at"},
)

INVITATION = StateMachine(
    model=Invitation,
    object_type="invitation",
    noun=_("an invitation"),
    transitions={
        "accept": Transition(frozenset({InvitationStatus.PENDING}), InvitationStatus.ACCEPTED),
        "revoke": Transition(frozenset({InvitationStatus.PENDING}), InvitationStatus.REVOKED),
        # Recorded when a newer invitation replaces one that ran out (the API shows it expired before that).
        "expire": Transition(frozenset({InvitationStatus.PENDING}), InvitationStatus.EXPIRED),
    },
    history_model=InvitationStatusChange,
    history_field="invitation",
    organization_of=lambda invitation, _action: invitation.organization_id,
    timestamps={InvitationStatus.ACCEPTED: "accepted_at"},
)

REVERIFICATION = StateMachine(
    model=Reverification,
    object_type="reverification",
    noun=_("a re-verification"),
    transitions={
        "pass": Transition(frozenset({ReverificationStatus.OPEN}), ReverificationStatus.PASSED),
        "fail": Transition(frozenset({ReverificationStatus.OPEN}), ReverificationStatus.FAILED),
    },
    history_model=ReverificationStatusChange,
    history_field="reverification",
    organization_of=lambda reverification, _action: reverification.organization_id,
    timestamps={ReverificationStatus.PASSED: "decided_at", ReverificationStatus.FAILED: "decided_at"},
)
