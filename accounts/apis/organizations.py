from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action

from accounts import selectors, services
from accounts.choices import MemberRole
from accounts.filters import OrganizationFilter
from accounts.models import Membership, OrganizationStatusChange
from accounts.serializers import (
    MemberOutput,
    MemberRoleInput,
    OrganizationAdminUpdateInput,
    OrganizationOutput,
    OrganizationOwnerUpdateInput,
)
from api_docs.responses import problems
from pharmex.api.etag import IF_MATCH_PARAMETER
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members, Person, SignedIn, Staff
from pharmex.api.serializers import ReasonInput, RequiredReasonInput, transition_record_output
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole
from pharmex.errors import NotFound

OrganizationStatusChangeOutput = transition_record_output(OrganizationStatusChange)
OWNER = Members(MemberRole.OWNER)
ADMIN = Staff(StaffRole.ADMIN)
MEMBER_MANAGERS = OWNER.explained(_("Only an owner of this organisation manages its members."))
LEAVERS = Person().explained(_("A person leaves an organisation; an API key is revoked instead."))


@extend_schema_view(
    list=extend_schema(summary="List organisations (your own; admins: all)", responses={200: OrganizationOutput}),
    retrieve=extend_schema(summary="Retrieve an organisation", responses={200: OrganizationOutput}),
)
@extend_schema(tags=["organizations"])
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = OrganizationOutput
    filterset_class = OrganizationFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    policies = {
        "list": SignedIn(),  # the selector decides which: the ones you act for, or all for staff
        "retrieve": SignedIn(),
        "history": SignedIn(),
        "partial_update": OWNER | ADMIN,
        "verify": ADMIN,
        "suspend": ADMIN,
        "reinstate": ADMIN,
        "leave": LEAVERS,  # the service finds the caller's own membership, whichever organisation they act for
    }

    def get_queryset(self):
        return selectors.organization_list(actor=self.actor)

    def retrieve(self, request, *args, **kwargs):
        return self.respond(OrganizationOutput, self.get_object(), etag=True)

    def _respond(self, organization):
        return self.respond(OrganizationOutput, self.get_queryset().get(pk=organization.pk), etag=True)

    @extend_schema(
        summary="Update an organisation's profile",
        description="Owners may change contact details, minimum shelf life and the simplified-VAT election; "
        "platform admins may also correct registration data and set credit terms. Any other field is "
        "refused with 400 `not_writable`.",
        request=OrganizationAdminUpdateInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrganizationOutput, **problems(400, 412)},
    )
    def partial_update(self, request, *args, **kwargs):
        organization = self.if_match(self.get_object())
        data = self.parse(OrganizationAdminUpdateInput if self.actor.is_admin else OrganizationOwnerUpdateInput)
        return self._respond(services.organization_update(organization=organization, actor=self.actor, data=data))

    @extend_schema(
        summary="Verify a pending organisation (admin)",
        request=ReasonInput,
        responses={200: OrganizationOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        organization = services.organization_verify(
            organization=self.get_object(), actor=self.actor, **self.parse(ReasonInput)
        )
        return self._respond(organization)

    @extend_schema(
        summary="Suspend an organisation (admin)",
        request=RequiredReasonInput,
        responses={200: OrganizationOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        organization = services.organization_suspend(
            organization=self.get_object(), actor=self.actor, **self.parse(RequiredReasonInput)
        )
        return self._respond(organization)

    @extend_schema(
        summary="Reinstate a suspended organisation (admin)",
        request=ReasonInput,
        responses={200: OrganizationOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        organization = services.organization_reinstate(
            organization=self.get_object(), actor=self.actor, **self.parse(ReasonInput)
        )
        return self._respond(organization)

    @extend_schema(
        summary="Leave an organisation you are a member of",
        description="Removes your own membership, whichever organisation you act for. Not a member: 404. "
        "Its only owner cannot leave (409 `last_owner`): make someone else an owner first.",
        request=None,
        responses={204: None, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        if not pk.isdecimal():
            raise NotFound()
        services.member_leave(actor=self.actor, organization_id=int(pk))
        return self.no_content()

    @extend_schema(
        summary="The organisation's status history: verification, suspensions, reinstatements",
        responses={200: OrganizationStatusChangeOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def history(self, request, pk=None):
        return self.page_of(
            selectors.organization_history(organization=self.get_object()), OrganizationStatusChangeOutput
        )


@extend_schema_view(
    list=extend_schema(summary="List the members of an organisation", responses={200: MemberOutput}),
    destroy=extend_schema(summary="Remove a member (owner)", responses={204: None, **problems(409)}),
)
@extend_schema(
    tags=["organizations"], parameters=[OpenApiParameter("organization_pk", OpenApiTypes.INT, OpenApiParameter.PATH)]
)
class MemberViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    serializer_class = MemberOutput
    http_method_names = ["get", "patch", "delete", "head", "options"]
    # Staff read any organisation's members; only the organisation's own owners manage them (the services check
    # that the owner acts for this organisation). Members join by invitation only (accounts.apis.invitations).
    policies = {
        "list": SignedIn(),
        "partial_update": MEMBER_MANAGERS,
        "destroy": MEMBER_MANAGERS,
    }

    def _organization(self):
        return selectors.organization_get(actor=self.actor, organization_id=self.kwargs["organization_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return selectors.member_list(actor=self.actor, organization_id=self._organization().pk)

    @extend_schema(
        summary="Change a member's role (owner)",
        request=MemberRoleInput,
        responses={200: MemberOutput, **problems(409)},
    )
    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        membership = services.member_change_role(membership=membership, actor=self.actor, **self.parse(MemberRoleInput))
        return self.respond(MemberOutput, membership)

    def destroy(self, request, *args, **kwargs):
        services.member_remove(membership=self.get_object(), actor=self.actor)
        return self.no_content()
