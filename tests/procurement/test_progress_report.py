"""The agreed-volume progress report (SPEC §5a): the progress endpoint's figures, one row per contract and
institution, through the one export writer."""

import csv
import io

import pytest
from openpyxl import load_workbook

from accounts.choices import OrganizationKind
from tests.factories import OrganizationFactory
from tests.orders.conftest import place
from tests.procurement.test_contracts import CONTRACTS, admin_client, load

pytestmark = pytest.mark.django_db

REPORT = f"{CONTRACTS}progress-report/"


def rows_of(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_report_gives_each_institution_its_ordered_and_received_against_the_agreed_volume(public):
    other = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public", legal_name="三亚市人民医院")
    contract = load(public, public.hospital, other, volume=40)
    hospital = public.client(public.hospital)
    assert place(hospital, (public.mah_offer.pk, 6)).status_code == 201
    assert place(hospital, (public.mah_offer.pk, 4)).status_code == 201

    response = admin_client().get(REPORT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    report = rows_of(response)
    assert [(r["contract_id"], r["institution_id"], r["agreed_volume"], r["ordered"], r["received"],
             r["ordered_percent"]) for r in report] == [
        (str(contract["id"]), str(public.hospital.pk), "40", "10", "0", "25.0"),
        (str(contract["id"]), str(other.pk), "40", "0", "0", "0.0"),
    ]  # fmt: skip
    progress = admin_client().get(f"{CONTRACTS}{contract['id']}/progress/").json()["results"]
    assert [(p["ordered"], p["received"]) for p in progress] == [
        (int(r["ordered"]), int(r["received"])) for r in report
    ]
    # a page at a time, in institution order, each page's figures read for its institutions
    first = admin_client().get(f"{CONTRACTS}{contract['id']}/progress/", {"page_size": 1}).json()
    second = admin_client().get(first["next"]).json()
    assert (first["count"], second["next"]) == (2, None)
    assert first["results"] + second["results"] == progress

    own = rows_of(hospital.get(REPORT))  # an institution sees its own row
    assert [r["institution_id"] for r in own] == [str(public.hospital.pk)]
    assert rows_of(public.client(public.other).get(REPORT)) == []  # neither winner nor institution


def test_the_report_as_xlsx_for_one_contract(public):
    first = load(public, public.hospital)
    load(public, public.hospital, price="7.00")
    response = admin_client().get(REPORT, {"file_format": "xlsx", "contract": first["id"]})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("contract_id", "programme", "drug_id")
    assert [row[0] for row in values[1:]] == [first["id"]]
