from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts import selectors, services
from accounts.actor import actor_from_request
from accounts.choices import MemberRole
from accounts.permissions import IsPlatformAdmin, member_with_role
from accounts.serializers import LicenseInput, LicenseOutput
from api_docs.responses import problems
from pharmex.api.etag import IF_MATCH_PARAMETER, check_if_match, with_etag
from pharmex.api.idempotency import idempotent
from pharmex.api.serializers import NoteInput, RequiredNoteInput


@extend_schema_view(
    list=extend_schema(summary="List licences (your own; admins: all)"),
    retrieve=extend_schema(summary="Retrieve a licence"),
    destroy=extend_schema(
        summary="Delete a licence that is not approved (owner)", responses={204: None, **problems(409)}
    ),
)
@extend_schema(tags=["licenses"])
class LicenseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = LicenseOutput
    filterset_fields = ["status", "type", "organization"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.license_list(actor=actor_from_request(self.request))

    def get_permissions(self):
        if self.action in ("approve", "reject"):
            return [IsAuthenticated(), IsPlatformAdmin()]
        if self.action in ("create", "partial_update", "destroy"):
            return [IsAuthenticated(), member_with_role(MemberRole.OWNER)()]
        return [IsAuthenticated()]

    def retrieve(self, request, *args, **kwargs):
        license = self.get_object()
        return with_etag(Response(LicenseOutput(license).data), license)

    @extend_schema(
        summary="Submit a licence for review (owner)",
        request=LicenseInput,
        responses={201: LicenseOutput, **problems(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = LicenseInput(data=request.data)
        data.is_valid(raise_exception=True)
        license = services.license_create(actor=actor_from_request(request), data=data.validated_data)
        return with_etag(Response(LicenseOutput(license).data, status=status.HTTP_201_CREATED), license)

    @extend_schema(
        summary="Correct a licence under review or rejected (owner); it returns to review",
        request=LicenseInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: LicenseOutput, **problems(409, 412)},
    )
    def partial_update(self, request, *args, **kwargs):
        license = self.get_object()
        check_if_match(request, license)
        data = LicenseInput(instance=license, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        license = services.license_update(license=license, actor=actor_from_request(request), data=data.validated_data)
        return with_etag(Response(LicenseOutput(license).data), license)

    def destroy(self, request, *args, **kwargs):
        services.license_delete(license=self.get_object(), actor=actor_from_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Approve a licence (admin)", request=NoteInput, responses={200: LicenseOutput, **problems(409)}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        license = services.license_approve(
            license=self.get_object(), actor=actor_from_request(request), note=data.validated_data["note"]
        )
        return Response(LicenseOutput(license).data)

    @extend_schema(
        summary="Reject a licence with a reason (admin)",
        request=RequiredNoteInput,
        responses={200: LicenseOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = RequiredNoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        license = services.license_reject(
            license=self.get_object(), actor=actor_from_request(request), note=data.validated_data["note"]
        )
        return Response(LicenseOutput(license).data)
