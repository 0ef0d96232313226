"""Every route of the API declares who may call each of its actions, and nobody else gets through.

Walks the URL resolver, so a view or action added tomorrow is covered the day it is added: one without a
policy fails `test_every_action_declares_a_policy`; for each declared policy, every caller of a fixed cast
that the policy does not admit is sent to the route and must be refused (401 without credentials, 403 with)
before anything happens. What admitted callers then see is each endpoint's own tests' business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.actor import actor_for_api_key, actor_for_user
from accounts.choices import MemberRole, OrganizationKind, OrganizationStatus
from accounts.models import OrganizationApiKey
from pharmex.actor import ANONYMOUS, Actor
from pharmex.api.permissions import Policy, Public
from pharmex.api.views import FRAMEWORK_ACTIONS, ApiMixin
from pharmex.choices import StaffRole
from pharmex.models import AuditEvent
from tests.accounts.helpers import DRF_FORBIDDEN_DETAIL
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@dataclass(frozen=True)
class Route:
    """One action of one route: the method that reaches it and the policy it declares (None: none)."""

    path: str  # the URL with every path parameter set to "1"
    method: str
    view: type
    action: str
    policy: Policy | None

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} ({self.view.__name__}.{self.action})"


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


_PARAMETER = re.compile(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?\w+>")  # a regex group or a path() converter


def _path(template: str) -> str:
    """The route with every parameter "1" (every id, prefix and code in the API accepts it)."""
    return "/" + _PARAMETER.sub("1", template).replace("^", "").replace("$", "").replace("\\.", ".")


def api_routes() -> list[Route]:
    routes = []
    for template, pattern in _walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "cls", None)
        if view is None or not issubclass(view, APIView):
            continue
        path = _path(template)
        actions = getattr(pattern.callback, "actions", None)
        if actions:  # a viewset route: method → action
            pairs = actions.items()
        else:  # an APIView: its handlers, keyed by method
            pairs = [(m, m) for m in view.http_method_names if m not in ("options", "head") and hasattr(view, m)]
        for method, action in pairs:
            if method == "head":
                continue
            policy = view.policies.get(action) if issubclass(view, ApiMixin) else None
            routes.append(Route(path=path, method=method, view=view, action=action, policy=policy))
    return routes


ROUTES = api_routes()


def test_the_walk_finds_the_api():
    # the walk itself works: it sees views of every app, actions of viewsets and plain API views alike
    names = {route.view.__name__ for route in ROUTES}
    assert {"OrderViewSet", "StatementViewSet", "WebhookEndpointViewSet", "DrugViewSet", "MeApi"} <= names
    assert any(route.action == "confirm" for route in ROUTES)
    assert len(ROUTES) > 80


def test_every_api_view_uses_the_policy_base():
    assert [str(r) for r in ROUTES if not issubclass(r.view, ApiMixin)] == []


def test_every_action_declares_a_policy():
    assert [str(r) for r in ROUTES if r.policy is None and r.action not in FRAMEWORK_ACTIONS] == []


@pytest.mark.django_db
def test_an_undeclared_action_is_refused():
    # given: a view whose new action nobody thought about
    class Forgotten(ApiMixin, APIView):
        policies = {"get": Public()}

        def get(self, request):
            return Response({"ok": True})

        def post(self, request):
            return Response({"reached": True})

    admin = UserFactory(staff_role=StaffRole.ADMIN, is_staff=True)

    def call(method: str):
        request = getattr(APIRequestFactory(), method)("/forgotten/")
        force_authenticate(request, user=admin)
        return Forgotten.as_view()(request)

    # when / then: the declared action answers, the forgotten one is refused even to a platform admin
    assert call("get").status_code == 200
    assert (call("post").status_code, call("post").data["detail"]) == (403, DRF_FORBIDDEN_DETAIL)


CALLERS = (
    "anonymous",
    "person_without_organization",
    "buyer_owner",
    "buyer_operator",
    "buyer_finance",
    "buyer_viewer",
    "buyer_quality",
    "buyer_api_key",
    "supplier_owner",
    "supplier_operator",
    "admin",
    "finance_admin",
    "regulator_owner",
    "regulator_api_key",
)


@pytest.fixture
def callers(db) -> dict[str, tuple[Actor, APIClient]]:
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)
    found: dict[str, tuple[Actor, APIClient]] = {"anonymous": (ANONYMOUS, APIClient())}

    def person(name, user):
        found[name] = (actor_for_user(user), client_for(user))

    person("person_without_organization", UserFactory())
    for role in (MemberRole.OWNER, MemberRole.OPERATOR, MemberRole.FINANCE, MemberRole.VIEWER, MemberRole.QUALITY):
        person(f"buyer_{role}", MembershipFactory(organization=buyer, role=role).user)
    for role in (MemberRole.OWNER, MemberRole.OPERATOR):
        person(f"supplier_{role}", MembershipFactory(organization=supplier, role=role).user)
    person("admin", UserFactory(staff_role=StaffRole.ADMIN, is_staff=True))
    person("finance_admin", UserFactory(staff_role=StaffRole.FINANCE_ADMIN, is_staff=True))
    key, secret = OrganizationApiKey.objects.create_key(name="walk", organization=buyer, role=MemberRole.OPERATOR)
    found["buyer_api_key"] = (actor_for_api_key(key), client_for(api_key=secret))
    # A regulator whose jurisdiction covers both parties (SPEC §7a): it reads, and is refused every write.
    regulator = OrganizationFactory(kind=OrganizationKind.REGULATOR, jurisdiction=["460000"])
    person("regulator_owner", MembershipFactory(organization=regulator, role=MemberRole.OWNER).user)
    key, secret = OrganizationApiKey.objects.create_key(name="walk", organization=regulator, role=MemberRole.OWNER)
    found["regulator_api_key"] = (actor_for_api_key(key), client_for(api_key=secret))
    assert set(found) == set(CALLERS)
    return found


@pytest.mark.parametrize("route", [r for r in ROUTES if r.policy is not None], ids=str)
def test_no_caller_outside_the_policy_gets_through(callers, route):
    refused = {}
    for name, (actor, client) in callers.items():
        if route.policy.admits(actor):
            continue
        audit_before = AuditEvent.objects.count()
        response = getattr(client, route.method)(route.path, {}, format="json")
        expected = 401 if actor is ANONYMOUS else 403
        if response.status_code != expected or AuditEvent.objects.count() != audit_before:
            refused[name] = response.status_code
    assert refused == {}, f"{route} let these callers past its policy {route.policy!r}: {refused}"


@pytest.fixture
def suspended(db) -> dict[str, tuple[Actor, APIClient]]:
    found = {}
    for kind in (OrganizationKind.PHARMACY, OrganizationKind.DISTRIBUTOR):
        organization = OrganizationFactory(kind=kind, status=OrganizationStatus.SUSPENDED)
        for role in (MemberRole.OWNER, MemberRole.FINANCE):
            user = MembershipFactory(organization=organization, role=role).user
            found[f"{kind}_{role}"] = (actor_for_user(user), client_for(user))
        key, secret = OrganizationApiKey.objects.create_key(
            name="k", organization=organization, role=MemberRole.OPERATOR
        )
        found[f"{kind}_api_key"] = (actor_for_api_key(key), client_for(api_key=secret))
    return found


# Writes done as an organisation (public ones — sign-in, registration — act for none).
WRITES = [
    r
    for r in ROUTES
    if r.policy is not None and r.method in ("post", "put", "patch", "delete") and not r.policy.admits(ANONYMOUS)
]


@pytest.mark.parametrize("route", WRITES, ids=str)
def test_a_suspended_organisation_reads_but_only_ends_business(suspended, route):
    """Every write its policy would admit is refused (403 organization_suspended) unless it ends business under
    way: cancel, receive, dispute, revoke a key, remove an endpoint or a member, submit licences."""
    passed = {}
    for name, (actor, client) in suspended.items():
        assert actor.suspended
        if not route.policy.admits(actor):
            continue
        audit_before = AuditEvent.objects.count()
        response = getattr(client, route.method)(route.path, {}, format="json")
        body = response.json() if response.get("Content-Type", "").endswith("json") else {}
        if route.action in route.view.suspended_may:
            assert body.get("code") != "organization_suspended", f"{route} refused {name} though it may"
        elif (response.status_code, body.get("code")) != (403, "organization_suspended") or (
            AuditEvent.objects.count() != audit_before
        ):
            passed[name] = response.status_code
    assert passed == {}, f"{route} let a suspended organisation act: {passed}"


@pytest.fixture
def out_of_mandate(db) -> dict[str, tuple[Actor, APIClient]]:
    """Members whose own mandate ended (a sales representative past its power of attorney), in every role."""
    found = {}
    for kind in (OrganizationKind.PHARMACY, OrganizationKind.DISTRIBUTOR):
        organization = OrganizationFactory(kind=kind)
        for role in MemberRole.values:
            membership = MembershipFactory(organization=organization, role=role, acts_until=date(2020, 1, 1))
            found[f"{kind}_{role}"] = (actor_for_user(membership.user), client_for(membership.user))
    return found


@pytest.mark.parametrize("route", WRITES, ids=str)
def test_a_member_out_of_mandate_reads_but_does_not_act(out_of_mandate, route):
    """Every write its policy would admit is refused (403 authorization_expired), but for what even a suspended
    organisation may do."""
    passed = {}
    for name, (actor, client) in out_of_mandate.items():
        assert actor.mandate_expired
        if not route.policy.admits(actor):
            continue
        audit_before = AuditEvent.objects.count()
        response = getattr(client, route.method)(route.path, {}, format="json")
        body = response.json() if response.get("Content-Type", "").endswith("json") else {}
        if route.action in route.view.suspended_may:
            assert body.get("code") != "authorization_expired", f"{route} refused {name} though it may"
        elif (response.status_code, body.get("code")) != (403, "authorization_expired") or (
            AuditEvent.objects.count() != audit_before
        ):
            passed[name] = response.status_code
    assert passed == {}, f"{route} let a member out of mandate act: {passed}"


# What a person does for themself, whatever organisation they act for; a signed link is a read sent as POST.
PERSONAL_WRITES = {
    "LogoutApi.post",
    "PasswordChangeApi.post",
    "OrganizationViewSet.leave",
    "MyInvitationViewSet.accept",
    "DocumentViewSet.link",
}


def test_a_regulator_is_admitted_to_no_write(callers):
    """SPEC §7a: a regulator reads and never writes. Every write's policy refuses it (the walk above then sends it
    to every such route and expects a 403), but for the personal actions of a signed-in person."""
    admitted = {
        f"{route.view.__name__}.{route.action}"
        for route in WRITES
        for name in ("regulator_owner", "regulator_api_key")
        if route.policy.admits(callers[name][0])
    }
    assert admitted <= PERSONAL_WRITES
    assert callers["regulator_owner"][0].is_regulator
