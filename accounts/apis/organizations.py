from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts import selectors, services
from accounts.actor import actor_from_request
from accounts.choices import MemberRole
from accounts.models import Membership
from accounts.permissions import IsPlatformAdmin, staff_or_member_with_role
from accounts.serializers import (
    MemberAddInput,
    MemberOutput,
    MemberRoleInput,
    OrganizationAdminUpdateInput,
    OrganizationOutput,
    OrganizationOwnerUpdateInput,
)
from api_docs.responses import problems
from pharmex.api.etag import IF_MATCH_PARAMETER, check_if_match, with_etag
from pharmex.api.idempotency import idempotent
from pharmex.api.serializers import ReasonInput, RequiredReasonInput

ORGANIZATION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(summary="List organisations (your own; admins: all)", responses={200: OrganizationOutput}),
    retrieve=extend_schema(summary="Retrieve an organisation", responses={200: OrganizationOutput}),
)
@extend_schema(tags=["organizations"])
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OrganizationOutput
    filterset_fields = ["status", "kind", "province_code"]

    def get_queryset(self):
        return selectors.organization_list(actor=actor_from_request(self.request))

    def get_permissions(self):
        if self.action in ("verify", "suspend", "reinstate"):
            return [IsAuthenticated(), IsPlatformAdmin()]
        if self.action == "partial_update":
            return [IsAuthenticated(), staff_or_member_with_role(MemberRole.OWNER)()]
        return [IsAuthenticated()]

    def retrieve(self, request, *args, **kwargs):
        organization = self.get_object()
        return with_etag(Response(OrganizationOutput(organization).data), organization)

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
        actor = actor_from_request(request)
        organization = self.get_object()
        if not actor.is_admin and (actor.organization is None or actor.organization.pk != organization.pk):
            raise PermissionDenied()
        check_if_match(request, organization)
        input_class = OrganizationAdminUpdateInput if actor.is_admin else OrganizationOwnerUpdateInput
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        organization = services.organization_update(organization=organization, actor=actor, data=data.validated_data)
        organization = self.get_queryset().get(pk=organization.pk)
        return with_etag(Response(OrganizationOutput(organization).data), organization)

    def _transition(self, request, service, input_class):
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        organization = service(
            organization=self.get_object(), actor=actor_from_request(request), reason=data.validated_data["reason"]
        )
        organization = self.get_queryset().get(pk=organization.pk)
        return Response(OrganizationOutput(organization).data)

    @extend_schema(
        summary="Verify a pending organisation (admin)",
        request=ReasonInput,
        responses={200: OrganizationOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._transition(request, services.organization_verify, ReasonInput)

    @extend_schema(
        summary="Suspend an organisation (admin)",
        request=RequiredReasonInput,
        responses={200: OrganizationOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._transition(request, services.organization_suspend, RequiredReasonInput)

    @extend_schema(
        summary="Reinstate a suspended organisation (admin)",
        request=ReasonInput,
        responses={200: OrganizationOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        return self._transition(request, services.organization_reinstate, ReasonInput)

    http_method_names = ["get", "post", "patch", "head", "options"]


@extend_schema_view(
    list=extend_schema(summary="List the members of an organisation", responses={200: MemberOutput}),
    destroy=extend_schema(summary="Remove a member (owner)", responses={204: None, **problems(409)}),
)
@extend_schema(
    tags=["organizations"], parameters=[OpenApiParameter("organization_pk", OpenApiTypes.INT, OpenApiParameter.PATH)]
)
class MemberViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = MemberOutput
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_permissions(self):
        if self.action == "list":
            return [IsAuthenticated()]
        return [IsAuthenticated(), staff_or_member_with_role(MemberRole.OWNER)()]

    def _organization(self):
        actor = actor_from_request(self.request)
        return get_object_or_404(selectors.organization_list(actor=actor), pk=self.kwargs["organization_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        organization = self._organization()
        return selectors.member_list(actor=actor_from_request(self.request), organization_id=organization.pk)

    def _require_own_owner(self):
        # Staff read any organisation; only the organisation's own owner manages its members.
        actor = actor_from_request(self.request)
        organization = self._organization()
        if not actor.has_role(MemberRole.OWNER) or actor.organization.pk != organization.pk:
            raise PermissionDenied("Only an owner of this organisation manages its members.")
        return actor, organization

    @extend_schema(
        summary="Add a member (owner)", request=MemberAddInput, responses={201: MemberOutput, **problems(409)}
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        actor, organization = self._require_own_owner()
        data = MemberAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_add(organization=organization, actor=actor, **data.validated_data)
        return Response(MemberOutput(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a member's role (owner)",
        request=MemberRoleInput,
        responses={200: MemberOutput, **problems(409)},
    )
    def partial_update(self, request, *args, **kwargs):
        actor, _ = self._require_own_owner()
        membership = self.get_object()
        data = MemberRoleInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_change_role(membership=membership, actor=actor, role=data.validated_data["role"])
        return Response(MemberOutput(membership).data)

    def destroy(self, request, *args, **kwargs):
        actor, _ = self._require_own_owner()
        services.member_remove(membership=self.get_object(), actor=actor)
        return Response(status=status.HTTP_204_NO_CONTENT)
