"""Regulator accounts (SPEC §7a): platform admins create them (here, or in the admin site) and list them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status

from accounts.choices import OrganizationKind
from accounts.models import Organization
from accounts.serializers import RegulatorCreateInput, RegulatorOutput
from accounts.services.regulators import regulator_create
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
    policies = {"list": ADMIN, "retrieve": ADMIN, "create": ADMIN}

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
