"""Regulator accounts (SPEC §7a): platform admins create them (here, or in the admin site), list them, and add or
remove their inspectors (a regulator invites nobody itself)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.choices import OrganizationKind
from accounts.models import Organization
from accounts.serializers import (
    InvitationOutput,
    RegulatorCreateInput,
    RegulatorInspectorInput,
    RegulatorInspectorsOutput,
    RegulatorOutput,
)
from accounts.services.regulators import (
    regulator_create,
    regulator_inspector_invite,
    regulator_inspector_remove,
    regulator_inspectors,
)
from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import PagePagination
from pharmex.api.permissions import Staff
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole

ADMIN = Staff(StaffRole.ADMIN)


@extend_schema_view(
    list=extend_schema(summary="List regulator accounts (admin)"),
    retrieve=extend_schema(summary="Retrieve a regulator account (admin)"),
)
@extend_schema(tags=["regulators"])
class RegulatorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = RegulatorOutput
    pagination_class = PagePagination
    lookup_value_regex = r"\d+"
    policies = {
        "list": ADMIN,
        "retrieve": ADMIN,
        "create": ADMIN,
        "inspectors": ADMIN,
        "inspector_invite": ADMIN,
        "inspector_remove": ADMIN,
    }

    def get_queryset(self):
        return Organization.objects.filter(kind=OrganizationKind.REGULATOR).order_by("id")

    @extend_schema(
        summary="Create a regulator account with its jurisdiction and invite its inspectors (admin)",
        description="A regulator (药品监督管理部门) reads — never writes — organisations in its jurisdiction (their "
        "licences and reviews, offers, orders, shipments, custody chains, recalls, suspected diversions and GSP "
        "records) through the same API; each of its reads is recorded in the audit log.",
        request=RegulatorCreateInput,
        responses={201: RegulatorOutput, **problems(400, 409)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        regulator = regulator_create(actor=self.actor, **self.parse(RegulatorCreateInput))
        return self.respond(RegulatorOutput, regulator, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="List a regulator's inspectors and pending invitations (admin)",
        responses={200: RegulatorInspectorsOutput, **problems(404)},
    )
    @action(detail=True, methods=["get"])
    def inspectors(self, request, pk=None):
        return self.respond(RegulatorInspectorsOutput, regulator_inspectors(self.get_object()))

    @extend_schema(
        summary="Invite one more inspector to a regulator (admin)",
        description="Regulators invite nobody themselves: platform admins add their inspectors, who join as viewers "
        "by accepting the emailed invitation. A pending invitation of the same email is replaced; an email that "
        "is already a member is a 409. Audited (`regulator.inspector_invited`).",
        request=RegulatorInspectorInput,
        responses={201: InvitationOutput, **problems(400, 404, 409)},
    )
    @inspectors.mapping.post
    @idempotent
    def inspector_invite(self, request, pk=None):
        data = self.parse(RegulatorInspectorInput)
        invitation = regulator_inspector_invite(actor=self.actor, regulator=self.get_object(), email=data["email"])
        return self.respond(InvitationOutput, invitation, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove an inspector from a regulator (admin)",
        description="`membership_id` is the member's `id` in GET …/inspectors/. From the next request on, that "
        "person reads nothing of the jurisdiction. Audited (`regulator.inspector_removed`).",
        request=None,
        responses={204: None, **problems(404)},
    )
    @action(detail=True, methods=["delete"], url_path=r"inspectors/(?P<membership_id>\d+)")
    def inspector_remove(self, request, pk=None, membership_id=None):
        regulator_inspector_remove(actor=self.actor, regulator=self.get_object(), membership_id=int(membership_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
