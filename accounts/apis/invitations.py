"""Membership by invitation: owners invite and revoke under their organisation; the invitee lists and accepts
their own invitations while signed in, or accepts with the emailed code (SPEC §3)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from accounts import selectors, services
from accounts.choices import MemberRole
from accounts.models import Invitation
from accounts.serializers import InvitationAcceptInput, InvitationInput, InvitationOutput, MembershipBriefOutput
from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.permissions import Members, Person, Public
from pharmex.api.throttling import AuthRateThrottle
from pharmex.api.views import ApiView, ApiViewSet

# People only: a key is no one's to invite with, and cannot bring people in.
INVITERS = Members(MemberRole.OWNER, people_only=True).explained(
    _("Only an owner of this organisation manages its members.")
)
INVITEES = Person().explained(_("Invitations are accepted by people; API keys cannot join an organisation."))

ACCEPTED_DESCRIPTION = (
    "The invitation is accepted and the membership created: 201 with it (the same shape as an entry of "
    "`GET /me/`'s `memberships`). Send `X-Organization-ID` to act for it once you belong to several."
)


@extend_schema_view(
    list=extend_schema(summary="List the organisation's invitations (owner)", responses={200: InvitationOutput}),
)
@extend_schema(
    tags=["organizations"], parameters=[OpenApiParameter("organization_pk", OpenApiTypes.INT, OpenApiParameter.PATH)]
)
class InvitationViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = InvitationOutput
    lookup_value_regex = r"\d+"
    policies = {"list": INVITERS, "create": INVITERS, "revoke": INVITERS}

    def _organization(self):
        return selectors.organization_get(actor=self.actor, organization_id=self.kwargs["organization_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        return selectors.invitation_list(actor=self.actor, organization_id=self._organization().pk)

    @extend_schema(
        summary="Invite an email to join with a role (owner)",
        description="Emails the invitee a link carrying a secret code; nothing changes for them until they "
        "accept. The answer is the same whether or not the email has an account. Inviting an email again "
        "replaces its pending invitation (the old link stops working). A member of this organisation "
        "already: 409 `already_member`.",
        request=InvitationInput,
        responses={201: InvitationOutput, **problems(409)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        invitation = services.invitation_create(
            organization=self._organization(), actor=self.actor, **self.parse(InvitationInput)
        )
        return self.respond(InvitationOutput, invitation, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke a pending invitation (owner)", request=None, responses={200: InvitationOutput, **problems(409)}
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, *args, **kwargs):
        invitation = services.invitation_revoke(invitation=self.get_object(), actor=self.actor)
        return self.respond(InvitationOutput, invitation)


@extend_schema_view(
    list=extend_schema(
        summary="Your invitations: pending ones addressed to your email",
        description="Not available to API keys (they are not people): 403.",
        responses={200: InvitationOutput},
    ),
)
@extend_schema(tags=["invitations"])
class MyInvitationViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = InvitationOutput
    lookup_value_regex = r"\d+"
    policies = {"list": INVITEES, "accept": INVITEES}

    def get_queryset(self):
        return selectors.invitation_list_for_invitee(actor=self.actor)

    @extend_schema(
        summary="Accept an invitation addressed to you",
        description=f"{ACCEPTED_DESCRIPTION} An invitation that is not yours, expired, revoked or used: 404. "
        "Platform staff cannot join: 409 `staff_cannot_join`.",
        request=None,
        responses={201: MembershipBriefOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request, *args, **kwargs):
        membership = services.invitation_accept(invitation=self.get_object(), actor=self.actor)
        return self.respond(MembershipBriefOutput, membership, status=status.HTTP_201_CREATED)


class InvitationAcceptApi(ApiView):
    # The code proves control of the invited mailbox; whoever else the caller may be signed in as does not matter.
    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]
    policies = {"post": Public()}

    @extend_schema(
        tags=["invitations"],
        summary="Accept an invitation with the code from its email",
        operation_id="invitations_accept_by_token",
        auth=[],
        description=f"{ACCEPTED_DESCRIPTION} When the invited email has no account yet, send `password` (and "
        "optionally `full_name`) to create it; for an existing account send the code alone (a password or name "
        "is refused with 400 `account_exists`). A wrong, expired, revoked or used code: 404 `invitation_invalid`. "
        "Platform staff cannot join: 409 `staff_cannot_join`.",
        request=InvitationAcceptInput,
        examples=[
            OpenApiExample(
                "New account",
                value={"token": "Zm9vYmFy…", "password": "a-long-passphrase", "full_name": "王芳"},
                request_only=True,
            ),
            OpenApiExample("Existing account", value={"token": "Zm9vYmFy…"}, request_only=True),
        ],
        responses={201: MembershipBriefOutput, **problems(400, 404, 409, 422, 429)},
    )
    @idempotent
    def post(self, request):
        membership = services.invitation_accept_by_token(**self.parse(InvitationAcceptInput))
        return self.respond(MembershipBriefOutput, membership, status=status.HTTP_201_CREATED)
