"""The base of every API view: a permission policy per action (refused when missing), the actor, strict
input parsing and output rendering, so a command endpoint is a few lines (STYLE G13):

    policies = {"confirm": Members(OWNER, OPERATOR)}

    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        order = self.order_for(Side.SUPPLIER)              # a selector; 404 / 403 for non-parties
        order = services.order_confirm(order=order, actor=self.actor, **self.parse(NoteInput))
        return self.respond(OrderOutput, order, etag=True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.db.models import Model
from django_filters.utils import translate_validation
from rest_framework import status as http
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ViewSetMixin

from pharmex.actor import Actor, actor_from_request
from pharmex.api.etag import check_if_match, with_etag
from pharmex.api.permissions import DENY, Policy, Public

# Requests no action of the view serves: a method it does not allow (→ 405 for everyone, as HTTP says) and
# OPTIONS (DRF's metadata: names and media types, the fields of a POST only for callers its policy admits).
FRAMEWORK_POLICY = Public()
FRAMEWORK_ACTIONS = frozenset({None, "metadata", "options"})


class ApiMixin:
    """What every PharmEx view has: `policies`, `actor`, `parse`, `respond`, `if_match`."""

    policies: ClassVar[Mapping[str, Policy]] = {}

    def policy_key(self) -> str | None:
        """The name `policies` is keyed by: the viewset action, else the HTTP method (HEAD is GET)."""
        if isinstance(self, ViewSetMixin):
            return getattr(self, "action", None)
        method = self.request.method.lower()
        if method == "head":
            method = "get"
        return method if hasattr(self, method) else None

    def policy(self) -> Policy:
        key = self.policy_key()
        if key in FRAMEWORK_ACTIONS:
            return FRAMEWORK_POLICY
        return self.policies.get(key, DENY)

    def get_permissions(self) -> list[Policy]:
        return [self.policy()]

    @property
    def actor(self) -> Actor:
        return actor_from_request(self.request)

    def parse(self, input_class: type[BaseSerializer], data: Any = None, **kwargs) -> dict:
        """The request body (or `data`) validated by a strict input serializer; 400 problem on failure."""
        serializer = input_class(data=self.request.data if data is None else data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def parse_query(self, input_class: type[BaseSerializer]) -> dict:
        return self.parse(input_class, data=self.request.query_params)

    def respond(
        self,
        output_class: type[BaseSerializer],
        instance: Any,
        *,
        status: int = http.HTTP_200_OK,
        etag: bool = False,
        headers: dict | None = None,
        many: bool = False,
    ) -> Response:
        """The instance rendered by its output serializer; `etag` adds the instance's ETag header."""
        response = Response(output_class(instance, many=many).data, status=status, headers=headers)
        return with_etag(response, instance) if etag else response

    def no_content(self) -> Response:
        return Response(status=http.HTTP_204_NO_CONTENT)

    def page_of(self, queryset: Any, output_class: type[BaseSerializer]) -> Response:
        """One page of `queryset` rendered by `output_class`, with the view's pagination."""
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(output_class(page, many=True).data)

    def filtered(self, filterset_class: type, queryset: Any) -> Any:
        """`queryset` narrowed by a strict FilterSet over the query string (400 on a bad parameter); for
        actions that list something other than the view's own queryset."""
        filterset = filterset_class(self.request.query_params, queryset, request=self.request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.qs

    def if_match(self, obj: Model) -> Model:
        """Raises: PreconditionFailed (412) when If-Match names another version of `obj`."""
        check_if_match(self.request, obj)
        return obj


class ApiView(ApiMixin, APIView):
    """A view with one or a few methods (`policies` keyed by method name: "get", "post")."""


class ApiViewSet(ApiMixin, GenericViewSet):
    """A resource's viewset (`policies` keyed by action: "list", "retrieve", "create", "confirm" …)."""
