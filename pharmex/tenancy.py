"""Which organisations' rows an actor sees (STYLE G6), in one place: platform staff every organisation's, a
regulator those in its jurisdiction (SPEC §7a), anyone else its own organisation's.

`parties_q(actor, "buyer", "supplier")` is the filter for a model whose rows belong to the organisations in those
foreign keys (a row is visible when any of them is visible); None when the actor sees nothing.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from pharmex.actor import Actor


def parties_q(actor: Actor, *fields: str) -> Q | None:
    """Q for rows whose `fields` (organisation foreign keys, or "" for the organisation itself) name an organisation
    the actor may read about; None when it may read about none."""
    if actor.is_staff:
        return Q()
    if actor.is_regulator:
        codes = sorted(actor.jurisdiction or ())
        return reduce(or_, (Q(**{_path(field, "province_code__in"): codes}) for field in fields))
    if actor.organization is None:
        return None
    own = actor.organization
    return reduce(or_, (Q(**{field: own}) if field else Q(pk=own.pk) for field in fields))


def _path(field: str, lookup: str) -> str:
    return f"{field}__{lookup}" if field else lookup


def in_jurisdiction(actor: Actor, province_code: str) -> bool:
    """A regulator's jurisdiction covers an organisation of this province (False for anyone else)."""
    return actor.is_regulator and province_code in (actor.jurisdiction or ())
