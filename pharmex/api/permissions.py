"""Who may call an action (STYLE G19 layer 1), declared per action and refused unless declared.

A policy answers "may this caller, as the actor it acts as, call this action at all?"; which rows it then
sees or changes is the selectors' and services' business (party checks included). Every view derives from
pharmex.api.views, whose `policies` table names a policy per action; an action without one is refused
(`DENY`), so an endpoint added without a decision is closed, never open to every signed-in caller.

Policies are plain values: `Members(OWNER, OPERATOR) | Staff(ADMIN)`. `admits(actor)` is what the
permission check asks, and what tests/pharmex/test_permission_walk.py asks for every caller of every route.
"""

from __future__ import annotations

import copy

from rest_framework.permissions import BasePermission

from pharmex.actor import Actor, actor_from_request
from pharmex.choices import StaffRole
from pharmex.errors import OrganizationRequired


class Policy(BasePermission):
    """A DRF permission that can also be asked about an actor directly."""

    message: str | None = None  # the 403's detail; DRF's default when None

    def explained(self, message: str) -> Policy:
        """The same policy, refusing with `message` as the problem's detail."""
        explained = copy.copy(self)
        explained.message = message
        return explained

    def admits(self, actor: Actor) -> bool:
        raise NotImplementedError

    def has_permission(self, request, view) -> bool:
        return self.admits(actor_from_request(request))

    def __or__(self, other: Policy) -> Policy:
        return AnyOf(self, other)

    def __repr__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        return type(self).__name__


class Public(Policy):
    """Anyone, signed in or not (registration, sign-in, the docs)."""

    def admits(self, actor: Actor) -> bool:
        return True


class SignedIn(Policy):
    """Any authenticated caller: a person (with or without an organisation) or an API key."""

    def admits(self, actor: Actor) -> bool:
        return actor.is_authenticated


class Person(Policy):
    """A signed-in person, whatever organisation they act for (not an API key)."""

    def admits(self, actor: Actor) -> bool:
        return actor.user is not None


class Staff(Policy):
    """Platform staff holding one of `roles` (any staff role when none is named)."""

    def __init__(self, *roles: str):
        self.roles = frozenset(roles or StaffRole.values)

    def admits(self, actor: Actor) -> bool:
        return bool(self.roles & actor.staff_roles)

    def describe(self) -> str:
        return f"Staff({', '.join(sorted(self.roles))})"


class Members(Policy):
    """Callers acting for an organisation with one of `roles`: members, and API keys carrying the role
    unless `people_only`.

    Raises (from admits): OrganizationRequired when a person with several memberships did not say which
    organisation they act for — a 400 that tells them how, rather than a bare 403.
    """

    def __init__(self, *roles: str, people_only: bool = False):
        if not roles:
            raise ValueError("Members() needs at least one role")
        self.roles = frozenset(roles)
        self.people_only = people_only

    def admits(self, actor: Actor) -> bool:
        if self.people_only and actor.user is None:
            return False
        if actor.is_regulator:  # a regulator's members read (Regulator), never act as a trading member
            return False
        if actor.organization is None and len(actor.memberships) > 1:
            raise OrganizationRequired()
        return actor.has_role(*self.roles)

    def describe(self) -> str:
        people = ", people only" if self.people_only else ""
        return f"Members({', '.join(sorted(self.roles))}{people})"


class Regulator(Policy):
    """Callers acting for a regulator organisation (any role, people and API keys): declared on read actions
    only, so a regulator reads and never writes; which rows it sees is its jurisdiction (pharmex.tenancy)."""

    def admits(self, actor: Actor) -> bool:
        return actor.is_regulator


class AnyOf(Policy):
    def __init__(self, *policies: Policy):
        self.policies = tuple(policies)

    def admits(self, actor: Actor) -> bool:
        return any(policy.admits(actor) for policy in self.policies)

    def describe(self) -> str:
        return " | ".join(policy.describe() for policy in self.policies)


class Deny(Policy):
    """What an action without a declared policy gets."""

    def admits(self, actor: Actor) -> bool:
        return False


DENY = Deny()
