"""Catalogue reads, scoped to the actor (STYLE G6): drug search, the market, own offers, import jobs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import (
    Case,
    Exists,
    Expression,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.selectors import trading_organization_ids
from catalog.choices import DrugStatus, ImportKind, OfferStatus
from catalog.customs import lecheng_drug_visible_q
from catalog.models import (
    CeilingPrice,
    Drug,
    DrugStatusChange,
    ImportJob,
    Offer,
    OfferPriceChange,
    OfferStatusChange,
    SimplifiedVatElection,
)
from catalog.validators import APPROVAL_PREFIX, normalize_code
from pharmex import events
from pharmex.actor import Actor
from pharmex.errors import NotFound
from pharmex.tenancy import in_jurisdiction, parties_q

MAX_QUERY_LENGTH = 100
_PINYIN = re.compile(r"[a-z]+")
_HAS_DIGIT = re.compile(r"\d")


def _code_hit(code: str) -> Q:
    """Exact hits on the regulated codes; a bare H12345678 also finds 国药准字H12345678."""
    approval = [code] if code.startswith(APPROVAL_PREFIX) else [code, APPROVAL_PREFIX + code]
    hit = Q(approval_number__in=approval)
    if code.isdigit():
        hit |= Q(national_drug_code=code) | Q(gtin=code)
    elif code[:1] in ("X", "Z"):
        hit |= Q(nrdl_code=code)
    return hit


SEARCH_ORDER = ("search_rank", "-search_similarity", "generic_name", "id")
SEARCH_COUNT_CAP = 1_000


@dataclass(frozen=True)
class _Search:
    """A parsed `?search=`: what matches it, and how matches rank."""

    strict: Q  # exact codes, pinyin-initial prefixes, name substrings
    fuzzy: Q | None  # trigram similarity (typos), for names of 3+ characters
    rank: Case
    similarity: Expression

    def ranked(self, queryset: QuerySet[Drug]) -> QuerySet[Drug]:
        return queryset.annotate(search_rank=self.rank, search_similarity=self.similarity).order_by(*SEARCH_ORDER)


def _parse_search(query: str) -> _Search | None:
    """Matching: a code (it has a digit) → approval number, 本位码, GTIN, NRDL code; Latin letters → pinyin-initial
    prefix (amxl → 阿莫西林); names → substring, where 1-2-character queries use the name_grams array (a trigram
    index cannot serve them), else trigram similarity."""
    text = re.sub(r"\s+", "", query or "")[:MAX_QUERY_LENGTH]
    if not text:
        return None
    lowered = text.lower()
    code = normalize_code(text)
    is_code = bool(_HAS_DIGIT.search(code)) and code.isalnum()
    code_hit = _code_hit(code) if is_code else Q(pk__in=[])
    prefix = Q(generic_name__prefix_like=text) | Q(brand_name__prefix_like=text)
    if _PINYIN.fullmatch(lowered):
        initials = Q(generic_initials__prefix_like=lowered) | Q(brand_initials__prefix_like=lowered)
        prefix |= initials
    else:
        initials = Q(pk__in=[])
    fuzzy = None
    if len(lowered) <= 2:
        names = Q(name_grams__contains=[lowered])
        similarity = Value(0.0, output_field=FloatField())
    else:
        names = Q(generic_name__trgm_icontains=text) | Q(brand_name__trgm_icontains=text)
        similarity = Greatest(TrigramSimilarity("generic_name", text), TrigramSimilarity("brand_name", text))
        if not is_code:
            fuzzy = Q(generic_name__trigram_similar=text) | Q(brand_name__trigram_similar=text)
    rank = Case(When(code_hit, then=0), When(prefix, then=1), default=2, output_field=IntegerField())
    return _Search(strict=code_hit | initials | names, fuzzy=fuzzy, rank=rank, similarity=similarity)


@dataclass(frozen=True)
class DrugSearchPage:
    drugs: list[Drug]
    count: int | None  # None: more matches than the count cap
    has_next: bool


def _capped_count(queryset: QuerySet[Drug], cap: int) -> int | None:
    count = queryset.order_by().values("pk")[: cap + 1].count()  # COUNT over a LIMIT: stops reading at the cap
    return count if count <= cap else None


def drug_search_page(
    queryset: QuerySet[Drug], *, query: str, offset: int, limit: int, count_cap: int
) -> DrugSearchPage | None:
    """One page of `?search=` over `queryset` (already scoped and filtered); None when the query is blank.

    Ranking: exact code hits, then name (or pinyin-initial) prefixes, then the rest by trigram similarity; ties by
    generic name and id, so pages are stable. Fuzzy (typo) matches are looked for only when nothing matches
    exactly (no code, prefix or substring hit): checking similarity against every name that shares a common
    trigram (口服溶液, 小儿…) cost 50-200 ms per query on 100k drugs (BENCHMARKS.md, catalogue).

    Two queries (three for a fuzzy fallback): a count that stops after `count_cap` matches, and the page. The page
    is ranked inside an id subquery that reads only the columns it orders by and stops at LIMIT, so only the
    page's rows are fetched whole — ranking 10,000 matches as whole rows (`射液`, `zs`) cost 80 ms.
    """
    search = _parse_search(query)
    if search is None:
        return None
    matches = queryset.filter(search.strict)
    count = _capped_count(matches, count_cap)
    if count == 0 and search.fuzzy is not None:
        matches = queryset.filter(search.fuzzy)
        count = _capped_count(matches, count_cap)
    if count == 0:
        return DrugSearchPage(drugs=[], count=0, has_next=False)
    page_ids = search.ranked(matches).values("pk")[offset : offset + limit + 1]  # one more: is there a next page?
    drugs = list(search.ranked(Drug.objects.filter(pk__in=page_ids)))
    return DrugSearchPage(drugs=drugs[:limit], count=count, has_next=len(drugs) > limit)


def drug_list(*, actor: Actor) -> QuerySet[Drug]:
    """Active drugs for everyone; admins see every status; a supplier also sees the drugs it proposed (a regulator
    those its jurisdiction's suppliers proposed); special-licensed drugs only those who may deal in them."""
    return _drugs_readable(actor).filter(lecheng_drug_visible_q(actor=actor))


def _drugs_readable(actor: Actor) -> QuerySet[Drug]:
    if actor.is_admin:
        return Drug.objects.all()
    visible = Q(status=DrugStatus.ACTIVE)
    if actor.is_regulator:  # and the drugs its jurisdiction's suppliers proposed, whatever their status
        visible |= parties_q(actor, "proposed_by")
    elif actor.organization is not None:
        visible |= Q(proposed_by=actor.organization)
    return Drug.objects.filter(visible)


def registration_valid_q(*, on: date | None = None, prefix: str = "") -> Q:
    """Drugs whose registration (批准文号) is valid on a day (today): not limited, or not expired yet."""
    on = on or timezone.localdate()
    return Q(**{f"{prefix}registration_valid_until__isnull": True}) | Q(
        **{f"{prefix}registration_valid_until__gte": on}
    )


def with_ceilings(queryset: QuerySet, *, path: str = "drug") -> QuerySet:
    """`queryset` with each drug's ceiling period in force today loaded (Drug.ceiling_in_force reads it)."""
    ceilings = Prefetch(
        f"{path}__ceiling_prices" if path else "ceiling_prices",
        queryset=CeilingPrice.objects.in_force(timezone.localdate()),
        to_attr="ceilings_in_force",
    )
    return queryset.prefetch_related(ceilings)


def load_ceilings(drugs: Iterable[Drug]) -> None:
    """Give drugs already fetched their ceiling period in force today (one query for all of them)."""
    drugs = [drug for drug in drugs if not hasattr(drug, "ceilings_in_force")]
    found: dict[int, list[CeilingPrice]] = {drug.pk: [] for drug in drugs}
    for period in CeilingPrice.objects.in_force(timezone.localdate()).filter(drug_id__in=list(found)):
        found[period.drug_id].append(period)
    for drug in drugs:
        drug.ceilings_in_force = found[drug.pk]


def ceiling_history(*, drug: Drug) -> QuerySet[CeilingPrice]:
    """A drug's ceiling periods (the actor already reads the drug), newest first."""
    return drug.ceiling_prices.order_by("-effective_from")


def _market_offers() -> QuerySet[Offer]:
    # A drug whose registration expired leaves the market at once, before the nightly job pauses its offers.
    return Offer.objects.filter(
        registration_valid_q(prefix="drug__"),
        supplier_id__in=trading_organization_ids(),
        status=OfferStatus.ACTIVE,
        drug__status=DrugStatus.ACTIVE,
    )


class _ExistsPerRow(Exists):
    """EXISTS checked row by row, an index probe per candidate: `OFFSET 0` keeps PostgreSQL from making it a
    semi-join."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def drug_has_market_offers_q(*, per_row: bool = False) -> Q:
    """Drugs buyers can order. `per_row` for a search's few thousand candidates: as a semi-join, `has_offers` on a
    broad search (7,000 matches) hashed all 270,000 market offers (250 ms) where probing the offer index per match
    takes 25 ms; over the whole catalogue the semi-join is the faster plan (100 vs 200 ms; BENCHMARKS.md)."""
    offers = Offer.objects.filter(
        drug=OuterRef("pk"), status=OfferStatus.ACTIVE, supplier_id__in=trading_organization_ids()
    )
    return Q(_ExistsPerRow(offers) if per_row else Exists(offers)) & registration_valid_q()


def offer_market(*, actor: Actor) -> QuerySet[Offer]:
    """What buyers see: active offers of active drugs with a valid registration, from suppliers that may trade
    today."""
    market = _market_offers().filter(lecheng_drug_visible_q(actor=actor, prefix="drug__"))
    return _with_terms(market.select_related("drug", "supplier"))


def offer_market_for_drug(*, actor: Actor, drug_id: int) -> QuerySet[Offer]:
    """The market view of one drug, cheapest first."""
    return offer_market(actor=actor).filter(drug_id=drug_id).order_by("unit_price", "id")


def market_marks(*, actor: Actor, offers: list[Offer]) -> dict[int, list[dict]]:
    """What the caller must still do before ordering each offer of a market page, by offer id: the apps that know
    (the first-business review) add their marks through pharmex.events, a query a page."""
    marks: dict[int, list[dict]] = {}
    if offers:
        events.emit(events.MARKET_OFFERS_LISTED, actor=actor, offers=offers, marks=marks)
    return marks


def market_prices(*, actor: Actor, offers: list[Offer]) -> dict[int, Decimal]:
    """The caller's own price for offers of a market page where lower than the offer's (a negotiated or 集采 price,
    added by the apps that know through pharmex.events), by offer id; shown to that caller only."""
    prices: dict[int, Decimal] = {}
    if offers:
        events.emit(events.MARKET_PRICES_LISTED, actor=actor, offers=offers, prices=prices)
    return prices


def offer_list(*, actor: Actor, own: bool = False) -> QuerySet[Offer]:
    """`own`: every offer of the caller's organisation, whatever its status; otherwise the market.
    Admins listing their "own" see every offer; a regulator every offer of its jurisdiction's suppliers."""
    if own:
        if actor.is_admin and actor.organization is None:
            return _with_terms(Offer.objects.select_related("drug", "supplier"))
        if actor.is_regulator:
            return _with_terms(Offer.objects.filter(parties_q(actor, "supplier")).select_related("drug", "supplier"))
        if actor.organization is None:
            return Offer.objects.none()
        return _with_terms(Offer.objects.filter(supplier=actor.organization).select_related("drug", "supplier"))
    return offer_market(actor=actor)


def _with_terms(queryset: QuerySet[Offer]) -> QuerySet[Offer]:
    """Offers with what their output shows besides their own row: the ceiling in force, the running 3% election."""
    elections = Prefetch(
        "drug__vat_elections",
        queryset=SimplifiedVatElection.objects.filter(ended_on__isnull=True),
        to_attr="running_vat_elections",
    )
    return with_ceilings(queryset).prefetch_related(elections)


def offer_visible(*, actor: Actor) -> QuerySet[Offer]:
    """Offers the actor may read one by one: the market plus its own (admins: all)."""
    if actor.is_admin:
        return _with_terms(Offer.objects.select_related("drug", "supplier"))
    market = _market_offers().filter(lecheng_drug_visible_q(actor=actor, prefix="drug__"))
    if actor.organization is not None:
        return _with_terms(
            Offer.objects.filter(Q(pk__in=market.values("pk")) | Q(supplier=actor.organization)).select_related(
                "drug", "supplier"
            )
        )
    return _with_terms(market.select_related("drug", "supplier"))


def import_job_list(*, actor: Actor, kind: str) -> QuerySet[ImportJob]:
    """An organisation's own offer imports; admins see every job. The file content is never loaded."""
    queryset = ImportJob.objects.filter(kind=kind).defer("content").order_by("-id")
    if actor.is_admin:
        return queryset
    if kind == ImportKind.OFFERS and actor.organization is not None:
        return queryset.filter(organization=actor.organization)
    return queryset.none()


def drug_history(*, drug: Drug) -> QuerySet[DrugStatusChange]:
    """Reviews of a drug the actor already reads (drug_list), newest first."""
    return drug.status_changes.order_by("-id")


def offer_history(*, actor: Actor, offer: Offer) -> QuerySet[OfferStatusChange]:
    """Status changes of an offer: its supplier and platform staff only (a competitor learns nothing).

    Raises: NotFound for anyone else.
    """
    if not (actor.is_staff or actor.acts_for(offer.supplier_id) or in_jurisdiction(actor, offer.supplier)):
        raise NotFound()
    return offer.status_changes.order_by("-id")


def offer_price_history(*, actor: Actor, offer: Offer) -> QuerySet[OfferPriceChange]:
    """Price changes of an offer, newest first, with who made them: its supplier and platform staff only (a
    competitor would learn another supplier's pricing and its staff's emails).

    Raises: NotFound for anyone else.
    """
    if not (actor.is_staff or actor.acts_for(offer.supplier_id) or in_jurisdiction(actor, offer.supplier)):
        raise NotFound()
    return offer.price_changes.order_by("-changed_at", "-id")


def drug_for_offer(*, actor: Actor, drug_id: int) -> Drug | None:
    """The drug an offer of the actor's would list, when the actor may see it (special-licensed drugs too: a
    supplier lists them, catalog.customs decides whether it may)."""
    return _drugs_readable(actor).filter(pk=drug_id).first()
