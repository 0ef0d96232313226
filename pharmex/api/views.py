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

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.utils import translate_validation
from rest_framework import status as http
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ViewSetMixin

from pharmex import replica
from pharmex.actor import Actor, actor_from_request, resolved_actor
from pharmex.api.etag import check_if_match, with_etag
from pharmex.api.permissions import DENY, Policy, Public
from pharmex.audit import audit_record
from pharmex.context import caller_scope, set_caller
from pharmex.errors import MandateExpired, OrganizationSuspended
from pharmex.tenancy import party_sides

# Requests no action of the view serves: a method it does not allow (→ 405 for everyone, as HTTP says) and
# OPTIONS (DRF's metadata: names and media types, the fields of a POST only for callers its policy admits).
FRAMEWORK_POLICY = Public()
FRAMEWORK_ACTIONS = frozenset({None, "metadata", "options"})


class ApiMixin:
    """What every PharmEx view has: `policies`, `actor`, `parse`, `respond`, `if_match`.

    Also, for every request: a GET with a query parameter the action does not know is a 400 (its filters, its
    paginator's parameters and `query_parameters[action]`); the view's filters and paging are its lists', never the
    one object a detail URL names (neither known nor applied there, as the schema documents them; ApiViewSet); a
    caller acting for a suspended organisation, or whose own mandate to act for it ended (an expired power of
    attorney), may read but not write, except the actions in `suspended_may` (those that end business already under
    way, and reads sent as POST); the reads of the actions in `replica_actions` may go to the read replica, and a
    successful write remembers where the primary's log was for the writer's organisation, so its next replica reads
    see it (pharmex.replica).
    """

    policies: ClassVar[Mapping[str, Policy]] = {}
    query_parameters: ClassVar[Mapping[str, Iterable[str]]] = {}
    suspended_may: ClassVar[frozenset[str]] = frozenset()
    strict_query: ClassVar[bool] = True
    replica_actions: ClassVar[frozenset[str]] = frozenset()

    def dispatch(self, request, *args, **kwargs):
        with replica.request_scope(), caller_scope():
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        actor = resolved_actor(request)  # the policy asked who calls, unless it let anyone in
        if actor is not None and actor.is_authenticated:
            set_caller(user_id=actor.user.pk if actor.user is not None else None, organization_id=actor.organization_id)
        if request.method in SAFE_METHODS:
            if self.strict_query:
                self._refuse_unknown_query_parameters()
            # After authentication and the policy, which read who the caller is from the primary.
            if self.policy_key() in self.replica_actions:
                replica.route_reads(replica.consistency_key(self.actor))
        elif self.policy_key() not in self.suspended_may:
            if self.actor.suspended:
                raise OrganizationSuspended()
            if self.actor.mandate_expired:
                raise MandateExpired()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        actor = resolved_actor(request)  # a request refused before anyone asked who calls wrote nothing
        if request.method not in SAFE_METHODS and response.status_code < 400 and actor is not None:
            replica.note_write(replica.consistency_key(actor))
        if request.method in SAFE_METHODS and actor is not None and actor.is_regulator:
            self._audit_regulator_read(request, response, actor)
        return response

    def _audit_regulator_read(self, request, response, actor: Actor) -> None:
        """Every read a regulator's policy let through is itself recorded (SPEC §7a): who looked at what."""
        if response.status_code in (401, 403) or self.policy_key() in FRAMEWORK_ACTIONS:
            return
        audit_record(
            actor=actor.audit,
            action="regulator.read",
            object_type=type(self).__name__,
            object_id=request.path[:100],
            organization_id=actor.organization_id,
            changes={
                "action": self.policy_key(),
                "query": {name: request.query_params.getlist(name) for name in sorted(request.query_params)},
                "status": response.status_code,
            },
        )

    def names_an_object(self) -> bool:
        """Whether the action is a viewset's detail action: its URL names one object, which list filters never
        narrow."""
        return bool(getattr(self, "detail", False))

    def known_query_parameters(self) -> set[str]:
        known = set(self.query_parameters.get(self.policy_key(), ()))
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None and not self.names_an_object():
            known |= set(filterset_class.base_filters)
        paginator = getattr(self, "paginator", None)
        if paginator is not None:
            for name in ("page_query_param", "page_size_query_param", "cursor_query_param"):
                if getattr(paginator, name, None):
                    known.add(getattr(paginator, name))
        return known

    def _refuse_unknown_query_parameters(self) -> None:
        unknown = sorted(set(self.request.query_params) - self.known_query_parameters())
        if unknown:
            raise ValidationError(
                {name: [ErrorDetail(_("Unknown query parameter."), code="unknown_parameter")] for name in unknown}
            )

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
        """The query string validated by a serializer, read as JSON would be: an empty value is a value (not the
        default, as DRF's form reading has it), and a parameter given twice is a 400."""
        params = self.request.query_params
        repeated = sorted(name for name in params if len(params.getlist(name)) > 1)
        if repeated:
            raise ValidationError(
                {name: [ErrorDetail(_("Give this parameter once."), code="repeated")] for name in repeated}
            )
        return self.parse(input_class, data=params.dict())

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

    def page_of(
        self, queryset: Any, output_class: type[BaseSerializer], *, complete: Callable[[list], list] | None = None
    ) -> Response:
        """One page of `queryset` rendered by `output_class`, with the view's pagination; `complete` turns the page's
        rows into what `output_class` renders, where that takes reads of its own (made for the page only)."""
        page = self.paginate_queryset(queryset)
        if complete is not None:
            page = complete(page)
        return self.get_paginated_response(output_class(page, many=True).data)

    def filtered(self, filterset_class: type, queryset: Any) -> Any:
        """`queryset` narrowed by a strict FilterSet over the query string (400 on a bad parameter); for
        actions that list something other than the view's own queryset."""
        filterset = filterset_class(self.request.query_params, queryset, request=self.request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.qs

    def if_match(self, obj: Model, *, required: bool = False) -> Model:
        """Raises: PreconditionFailed (412) when If-Match names another version of `obj`; PreconditionRequired
        (428) when `required` and the request sent no If-Match."""
        check_if_match(self.request, obj, required=required)
        return obj


class ApiView(ApiMixin, APIView):
    """A view with one or a few methods (`policies` keyed by method name: "get", "post")."""


class ApiViewSet(ApiMixin, GenericViewSet):
    """A resource's viewset (`policies` keyed by action: "list", "retrieve", "create", "confirm" …).

    A detail action pages only what it declares a paginator for (`@action(detail=True, pagination_class=…)`, a
    history): `retrieve` and the other actions on one object take no paging parameters, and the view's own paginator
    is its lists'.
    """

    # A list of rows that belong to the organisations in these fields (pharmex.tenancy.parties_q), newest first: an
    # OR over two indexed columns has no index order, so PostgreSQL reads its page along the primary key, through
    # every newer row of the platform for a party whose own rows are old. An organisation's page is taken from each
    # field's index instead (party_sides, `list_parts`); `?role=` names one field, whose index the filtered list
    # reads as it is.
    party_fields: ClassVar[tuple[str, ...]] = ()

    def filter_queryset(self, queryset: Any) -> Any:
        if self.names_an_object():
            return queryset
        cut = self.list_parts(queryset) if self.action == "list" else None
        if cut is None:
            return self.filter_list(queryset)
        parts, key = cut
        return self.paginator.bounded(self.request, queryset, parts, key=key)

    def filter_list(self, queryset: Any) -> Any:
        """`queryset` narrowed by the request's filters (the filter backends; 400 on a bad one)."""
        return super().filter_queryset(queryset)

    def list_parts(self, queryset: Any) -> tuple[list[QuerySet], str] | None:
        """Querysets whose `key` column names rows of the filtered list, each with an index in `key` order, and whose
        union names all of them: a page is taken from their first rows (NewestFirstCursorPagination.bounded), where
        the list read as it is would walk every newer row of its table. None: the filtered list is read as it is.
        Here, for an organisation, the sides of `party_fields`."""
        if not self.party_fields or "role" in self.request.query_params:
            return None
        if (sides := party_sides(self.actor, *self.party_fields)) is None:  # staff and regulators: no one party
            return None
        # The filters run on each side: the ids the sides give already pass them, and the actor's scope stays.
        return [self.filter_list(queryset.model.objects.filter(side)) for side in sides], "id"

    @property
    def paginator(self) -> Any:
        if self.names_an_object() and not self._action_declares("pagination_class"):
            return None
        return super().paginator

    def _action_declares(self, name: str) -> bool:
        handler = getattr(self, self.action, None) if self.action else None  # None: a method no action serves
        return name in getattr(handler, "kwargs", {})
