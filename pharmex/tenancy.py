"""Which organisations' rows an actor sees (STYLE G6), in one place: platform staff every organisation's, a
regulator those in its jurisdiction (SPEC §7a: province codes, and city/county codes matched against an
organisation's province and `city_county`, pharmex.divisions), anyone else its own organisation's.

`parties_q(actor, "buyer", "supplier")` is the filter for a model whose rows belong to the organisations in those
foreign keys (a row is visible when any of them is visible); None when the actor sees nothing. `own_q` is the same
rule for the rows SPEC §7a does not open to regulators (money, invoices, returns, procurement): staff every row, an
organisation its own, anyone else none. `scoped(queryset, q)` applies either. Staff's `Q()` (every row) is for
filtering and AND-ing only: OR-ed with another Q it vanishes, leaving the other alone.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from pharmex.actor import Actor
from pharmex.divisions import CITY_COUNTY_CODES, city_county_covers, is_province, province_of


def parties_q(actor: Actor, *fields: str) -> Q | None:
    """Q for rows whose `fields` (organisation foreign keys, or "" for the organisation itself) name an organisation
    the actor may read about; None when it may read about none."""
    if actor.is_regulator and not actor.is_staff:
        return reduce(or_, (_jurisdiction_q(actor.jurisdiction or (), field) for field in fields))
    return own_q(actor, *fields)


def own_q(actor: Actor, *fields: str) -> Q | None:
    """Q for rows whose `fields` name the actor's own organisation: every row for platform staff; None for an actor
    acting for no organisation. A regulator reads here only what names its own office (in practice nothing)."""
    if actor.is_staff:
        return Q()
    if actor.organization is None:
        return None
    own = actor.organization
    return reduce(or_, (Q(**{field: own}) if field else Q(pk=own.pk) for field in fields))


def scoped(queryset: QuerySet, visible: Q | None) -> QuerySet:
    """The rows of `queryset` the filter of `parties_q` or `own_q` admits; none when it admits none."""
    return queryset.none() if visible is None else queryset.filter(visible)


def party_sides(actor: Actor, *fields: str) -> list[Q] | None:
    """`parties_q` cut into disjoint parts, one per field, when the actor reads as one organisation (None for staff
    and regulators): the rows where it is in `fields[0]`, then those where it is in `fields[1]` and not in the
    first, and so on. An OR over two indexed columns has no index order, so a newest-first page of it is read
    along the primary key; each part has one (ApiViewSet.party_fields, NewestFirstCursorPagination.bounded)."""
    if actor.is_staff or actor.is_regulator or actor.organization is None:
        return None
    own = actor.organization
    return [
        reduce(lambda q, earlier: q & ~Q(**{earlier: own}), fields[:index], Q(**{field: own}))
        for index, field in enumerate(fields)
    ]


def _path(field: str, lookup: str) -> str:
    return f"{field}__{lookup}" if field else lookup


def _jurisdiction_q(codes, field: str) -> Q:
    """Organisations (through `field`) in these jurisdiction codes: of a province code's province, or of a
    city/county code's province and city/county (its name, a district of it, or the code itself)."""
    provinces = sorted(code for code in codes if is_province(code))
    q = Q(**{_path(field, "province_code__in"): provinces})
    for code in sorted(code for code in codes if not is_province(code) and code in CITY_COUNTY_CODES):
        q |= Q(**{_path(field, "province_code"): province_of(code)}) & (
            Q(**{_path(field, "city_county"): code})
            | Q(**{_path(field, "city_county__startswith"): CITY_COUNTY_CODES[code]})
        )
    return q


def in_jurisdiction(actor: Actor, organization) -> bool:
    """A regulator's jurisdiction covers this organisation, by its province or its city/county (False for anyone
    else)."""
    if not actor.is_regulator:
        return False
    codes = actor.jurisdiction or ()
    return organization.province_code in codes or any(
        city_county_covers(code, organization.province_code, organization.city_county or "")
        for code in codes
        if not is_province(code)
    )
