from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.choices import DosageForm, DrugType, Storage
from tests.catalog.conftest import shared_rows
from tests.factories import DrugFactory, OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    return {
        "amoxicillin": DrugFactory(
            generic_name="阿莫西林胶囊",
            brand_name="阿莫仙",
            approval_number="国药准字H20003263",
            dosage_form=DosageForm.CAPSULE,
            national_drug_code="86900193000071",
            gtin="6901234567892",
            atc_code="J01CA04",
            nrdl_code="XJ01CAA040A001010100001",
            nrdl_class="a",
        ),
        "coamoxiclav": DrugFactory(generic_name="阿莫西林克拉维酸钾片", brand_name="安奇"),
        "amox_injection": DrugFactory(generic_name="注射用阿莫西林钠", dosage_form=DosageForm.POWDER_FOR_INJECTION),
        "cold": DrugFactory(generic_name="感冒灵颗粒", brand_name="999", dosage_form=DosageForm.GRANULE),
        "compound_cold": DrugFactory(generic_name="复方感冒灵片"),
        "acarbose": DrugFactory(generic_name="阿卡波糖片", brand_name="拜唐苹", drug_type=DrugType.CHEMICAL),
        "insulin": DrugFactory(
            generic_name="门冬胰岛素注射液",
            brand_name="诺和锐",
            drug_type=DrugType.BIOLOGIC,
            storage=Storage.COLD_CHAIN,
        ),
    }


def _search(client, query: str, **params) -> list[str]:
    response = client.get("/api/v1/drugs/", {"search": query, **params})
    assert response.status_code == 200, response.json()
    return [row["generic_name"] for row in response.json()["results"]]


@pytest.fixture
def client(as_client, pharmacy_user):
    return as_client(pharmacy_user)


def test_pinyin_initials_find_the_chinese_name(client, catalogue):
    assert _search(client, "amxl") == ["阿莫西林克拉维酸钾片", "阿莫西林胶囊"]
    assert _search(client, "AMXLJN") == ["阿莫西林胶囊"]
    assert _search(client, "btp") == ["阿卡波糖片"]  # brand 拜唐苹


def test_two_and_one_character_chinese_queries(client, catalogue):
    assert _search(client, "感冒") == ["感冒灵颗粒", "复方感冒灵片"]  # prefix first, then substring
    assert _search(client, "胰岛") == ["门冬胰岛素注射液"]
    assert _search(client, "钠") == ["注射用阿莫西林钠"]


def test_ranking_puts_name_prefixes_first_by_similarity_then_substrings(client, catalogue):
    assert _search(client, "阿莫西林") == ["阿莫西林胶囊", "阿莫西林克拉维酸钾片", "注射用阿莫西林钠"]


def test_fuzzy_match_finds_a_typo(client, catalogue):
    assert _search(client, "阿莫西临胶囊") == ["阿莫西林胶囊"]


@pytest.mark.parametrize(
    "query",
    ["国药准字H20003263", "H20003263", "国药准字 Ｈ２０００３２６３", "86900193000071", "6901234567892",
     "XJ01CAA040A001010100001"],
)  # fmt: skip
def test_codes_find_their_drug_first(client, catalogue, query):
    assert _search(client, query)[:1] == ["阿莫西林胶囊"]


def test_an_exact_code_hit_ranks_above_name_matches(client, catalogue):
    # given: a drug whose brand name is another drug's approval number fragment would be odd; use the GTIN
    DrugFactory(generic_name="维生素C片", brand_name="6901234567892")
    # then: the code hit first, the name match after it
    assert _search(client, "6901234567892") == ["阿莫西林胶囊", "维生素C片"]


def test_filters(client, catalogue, seller):
    organization, _ = seller
    OfferFactory(supplier=organization, drug=catalogue["cold"], unit_price=Decimal("15.00"))
    assert _search(client, "", dosage_form="granule") == ["感冒灵颗粒"]
    assert _search(client, "", nrdl_listed="true") == ["阿莫西林胶囊"]
    assert _search(client, "", atc="J01C") == ["阿莫西林胶囊"]
    assert _search(client, "", storage="cold_chain") == ["门冬胰岛素注射液"]
    assert _search(client, "", has_offers="true") == ["感冒灵颗粒"]
    assert _search(client, "感冒", has_offers="false") == ["复方感冒灵片"]


def test_brand_names_of_originator_drugs_are_found(client):
    # given: the first 60 distinct brands of the reference list, as drugs
    brands = {}
    for row in shared_rows("originator_brands_cn.csv"):
        if row["trade_name"] not in brands and len(row["trade_name"]) >= 2 and len(brands) < 60:
            brands[row["trade_name"]] = row["generic_name"]
    for number, (brand, generic) in enumerate(brands.items()):
        DrugFactory(generic_name=generic, brand_name=brand, specification=f"{number}mg")
    # then: each brand finds a drug of that brand first
    misses = []
    for brand in brands:
        response = client.get("/api/v1/drugs/", {"search": brand})
        first = response.json()["results"][:1]
        if not first or first[0]["brand_name"] != brand:
            misses.append(brand)
    assert misses == []


def test_pending_drugs_are_hidden_from_buyers(client, catalogue):
    DrugFactory(generic_name="阿莫西林分散片", status="pending_review")
    assert "阿莫西林分散片" not in _search(client, "阿莫西林")


@pytest.mark.parametrize("query", ["", "amxl", "感冒", "阿莫西林", "H20003263"])
def test_list_and_search_make_a_constant_number_of_queries(client, query):
    for number in range(30):
        DrugFactory(generic_name=f"阿莫西林感冒{number}片", brand_name=f"品牌{number}")
    counts = []
    for page_size in (2, 30):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/drugs/", {"search": query, "page_size": page_size})
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert counts[0] <= 4  # user, memberships, count, page


def _page(client, **params) -> dict:
    response = client.get("/api/v1/drugs/", params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_search_pages_link_to_each_other_with_an_exact_count(client):
    for number in range(5):
        DrugFactory(generic_name=f"头孢克洛{number}胶囊")
    first = _page(client, search="头孢", page_size=2)
    assert (first["count"], first["count_capped"], first["previous"]) == (5, False, None)
    assert "page=2" in first["next"] and "search=" in first["next"]
    last = client.get(first["next"].replace("page=2", "page=3")).json()
    assert [row["generic_name"] for row in last["results"]] == ["头孢克洛4胶囊"]
    assert last["next"] is None and "page=2" in last["previous"]
    second = client.get(last["previous"]).json()
    assert [row["generic_name"] for row in second["results"]] == ["头孢克洛2胶囊", "头孢克洛3胶囊"]
    assert "page=" not in second["previous"]
    assert client.get("/api/v1/drugs/", {"search": "头孢", "page_size": 2, "page": 4}).status_code == 404


def test_broad_searches_report_no_count_past_the_cap(client, monkeypatch):
    from catalog.apis.pagination import DrugSearchPagination

    monkeypatch.setattr(DrugSearchPagination, "count_cap", 3)
    for number in range(5):
        DrugFactory(generic_name=f"头孢克洛{number}胶囊")
    broad = _page(client, search="头孢", page_size=4)
    assert (broad["count"], broad["count_capped"], len(broad["results"])) == (None, True, 4)
    assert [row["generic_name"] for row in client.get(broad["next"]).json()["results"]] == ["头孢克洛4胶囊"]
    narrow = _page(client, search="头孢克洛1")
    assert (narrow["count"], narrow["count_capped"]) == (1, False)
    listing = _page(client)
    assert (listing["count"], listing["count_capped"]) == (5, False)


def test_fuzzy_matches_are_a_fallback_when_nothing_matches_exactly(client, catalogue):
    DrugFactory(generic_name="阿莫西临胶囊")  # a misspelt record
    assert _search(client, "阿莫西林胶囊") == ["阿莫西林胶囊"]  # the exact name wins alone
    assert _search(client, "阿莫西临胶") == ["阿莫西临胶囊"]
    assert sorted(_search(client, "阿莫西琳胶囊")) == ["阿莫西临胶囊", "阿莫西林胶囊"]  # no exact hit: both similar
