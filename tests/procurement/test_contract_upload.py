"""Uploading 集采 results (SPEC §5a): validated whole, written in one transaction, re-uploads update volumes."""

import io

import pytest
from openpyxl import Workbook

from accounts.choices import OrganizationKind
from accounts.models import InsuranceFund
from pharmex.models import AuditEvent
from procurement.models import ContractVolume, ProcurementContract
from tests.conftest import client_for
from tests.factories import DrugFactory, OrganizationFactory
from tests.procurement.conftest import days
from tests.procurement.test_contracts import admin_client
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db

UPLOAD = "/api/v1/procurement-contracts/upload/"
HEADER = "programme,drug_id,supplier_id,agreed_price,valid_from,valid_until,institution_id,annual_volume\n"
PROGRAMME = "第十批国家组织药品集中采购"


def send(client, content: bytes, name: str = "result.csv", **headers):
    file = io.BytesIO(content)
    file.name = name
    return client.post(UPLOAD, {"file": file}, format="multipart", **headers)


def row(public, institution, *, volume=100, price="8.00", drug=None, supplier=None, programme=PROGRAMME) -> str:
    drug_id = (drug or public.drug).pk
    supplier_id = (supplier or public.mah).pk
    return f"{programme},{drug_id},{supplier_id},{price},{days(-1)},{days(364)},{institution.pk},{volume}\n"


@pytest.fixture
def second_hospital(db):
    return OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public", legal_name="海口市人民医院")


def test_a_result_file_loads_its_contracts_and_volumes(public, second_hospital):
    other_drug = DrugFactory()
    content = (
        HEADER
        + row(public, public.hospital, volume=120)
        + row(public, second_hospital, volume=80)
        + row(public, public.hospital, volume=50, drug=other_drug, supplier=public.other, price="2.35")
    )

    response = send(admin_client(), content.encode())

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rows"] == 3
    assert [(c["drug"], c["created"], c["volumes_created"]) for c in body["contracts"]] == [
        (public.drug.pk, True, 2),
        (other_drug.pk, True, 1),
    ]
    contract = ProcurementContract.objects.get(drug=public.drug)
    assert (contract.programme, contract.supplier_id, str(contract.agreed_price)) == (PROGRAMME, public.mah.pk, "8.00")
    assert dict(contract.volumes.values_list("institution_id", "annual_volume")) == {
        public.hospital.pk: 120,
        second_hospital.pk: 80,
    }
    assert AuditEvent.objects.filter(action="procurement_contract.uploaded").count() == 2
    loaded = OutboxEvent.objects.filter(event_type="procurement_contract.loaded", object_id=str(contract.pk))
    assert set(loaded.values_list("organization_id", flat=True)) == {public.mah.pk, public.hospital.pk,
                                                                     second_hospital.pk}  # fmt: skip


def test_every_bad_row_is_reported_with_its_row_number_and_nothing_is_written(public, second_hospital):
    pharmacy = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    content = (
        HEADER
        + row(public, public.hospital)  # row 2: fine
        + row(public, pharmacy)  # row 3: not a public institution
        + f"{PROGRAMME},999999,{public.mah.pk},8.00,{days(-1)},{days(364)},{second_hospital.pk},10\n"  # row 4
        + f"{PROGRAMME},{public.drug.pk},{public.mah.pk},abc,{days(364)},{days(-1)},{second_hospital.pk},0\n"  # 5
        + f",{public.drug.pk},{public.mah.pk},8.00,{days(-1)},{days(364)},,10\n"  # row 6: programme, institution
        + row(public, second_hospital, price="7.00")  # row 7: another price than row 2's
        + row(public, public.hospital)  # row 8: the hospital again
    )

    response = send(admin_client(), content.encode())

    assert response.status_code == 400, response.json()
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("rows[3].institution_id", "not_a_public_institution"),
        ("rows[4].drug_id", "not_found"),
        ("rows[5].agreed_price", "invalid"),
        ("rows[5].annual_volume", "invalid"),
        ("rows[5].valid_until", "before_start"),
        ("rows[6].programme", "required"),
        ("rows[6].institution_id", "required"),
        ("rows[7].agreed_price", "conflicting_row"),
        ("rows[8].institution_id", "duplicate"),
    ]
    assert "nothing was loaded" in response.json()["detail"]
    assert not ProcurementContract.objects.exists() and not ContractVolume.objects.exists()
    assert not AuditEvent.objects.filter(object_type="procurement_contract").exists()


def test_a_reupload_updates_the_volumes_and_changes_nothing_when_the_same(public, second_hospital):
    send(admin_client(), (HEADER + row(public, public.hospital, volume=100)).encode())
    contract = ProcurementContract.objects.get()

    again = send(admin_client(), (HEADER + row(public, public.hospital, volume=100)).encode())
    assert again.status_code == 201, again.json()
    assert [(c["contract_id"], c["created"], c["volumes_unchanged"]) for c in again.json()["contracts"]] == [
        (contract.pk, False, 1)
    ]
    assert AuditEvent.objects.filter(object_type="procurement_contract").count() == 1

    content = HEADER + row(public, public.hospital, volume=150) + row(public, second_hospital, volume=60)
    updated = send(admin_client(), content.encode())

    assert updated.status_code == 201, updated.json()
    (result,) = updated.json()["contracts"]
    assert (result["created"], result["volumes_created"], result["volumes_updated"]) == (False, 1, 1)
    assert ProcurementContract.objects.count() == 1
    assert dict(contract.volumes.values_list("institution_id", "annual_volume")) == {
        public.hospital.pk: 150,
        second_hospital.pk: 60,
    }
    audit = AuditEvent.objects.get(action="procurement_contract.volumes_uploaded")
    assert audit.changes["volumes_changed"] == [[public.hospital.pk, 100, 150]]
    event = OutboxEvent.objects.filter(event_type="procurement_contract.volumes_updated")
    assert set(event.values_list("organization_id", flat=True)) == {public.mah.pk, public.hospital.pk,
                                                                    second_hospital.pk}  # fmt: skip


def test_a_reupload_with_another_winner_or_price_is_refused(public):
    send(admin_client(), (HEADER + row(public, public.hospital)).encode())
    response = send(admin_client(), (HEADER + row(public, public.hospital, price="7.50")).encode())
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("rows[2].agreed_price", "contract_conflict")
    ]
    assert str(ProcurementContract.objects.get().agreed_price) == "8.00"


def test_an_xlsx_with_chinese_headers_and_codes_instead_of_ids(public, second_hospital):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["集采项目", "批准文号", "中选企业统一社会信用代码", "中选价格", "执行开始日期", "执行结束日期",
                  "医疗机构统一社会信用代码", "约定采购量"])  # fmt: skip
    sheet.append([PROGRAMME, public.drug.approval_number, public.mah.uscc, 8.5, days(-1), days(364),
                  second_hospital.uscc, 300])  # fmt: skip
    content = io.BytesIO()
    workbook.save(content)

    response = send(admin_client(), content.getvalue(), "结果.xlsx")

    assert response.status_code == 201, response.json()
    contract = ProcurementContract.objects.get()
    assert (contract.drug_id, contract.supplier_id, str(contract.agreed_price)) == (public.drug.pk, public.mah.pk,
                                                                                    "8.50")  # fmt: skip
    assert list(contract.volumes.values_list("institution_id", "annual_volume")) == [(second_hospital.pk, 300)]


def test_a_file_without_the_columns_is_refused(public):
    response = send(admin_client(), b"programme,drug_id\nx,1\n")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "file" and "supplier_id / supplier_uscc" in error["message"]


def test_the_same_idempotency_key_replays_the_upload(public):
    client, content = admin_client(), (HEADER + row(public, public.hospital)).encode()
    first = send(client, content, HTTP_IDEMPOTENCY_KEY="result-10")
    replay = send(client, content, HTTP_IDEMPOTENCY_KEY="result-10")
    assert (first.status_code, replay.status_code, replay.headers["Idempotent-Replayed"]) == (201, 201, "true")
    assert replay.json() == first.json()
    assert ProcurementContract.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="procurement_contract").count() == 1


def test_only_platform_admins_upload(public):
    content = (HEADER + row(public, public.hospital)).encode()
    assert send(public.client(public.hospital), content).status_code == 403
    assert send(client_for(None), content).status_code == 401
    assert not ProcurementContract.objects.exists()


def test_the_settling_fund_column_marks_direct_settlement_and_must_agree(public, second_hospital):
    fund = InsuranceFund.objects.create(name="海南省医疗保障基金", province_code="460000")
    closed = InsuranceFund.objects.create(name="已停用基金", province_code="460000", active=False)
    header = HEADER.rstrip("\n") + ",settlement_fund_id\n"

    def with_fund(institution, fund_id) -> str:
        return row(public, institution).rstrip("\n") + f",{fund_id}\n"

    # rows of one contract naming two funds, and an inactive fund: nothing loaded, every problem named
    response = send(
        admin_client(), (header + with_fund(public.hospital, fund.pk) + with_fund(second_hospital, closed.pk)).encode()
    )
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("rows[3].settlement_fund_id", "not_an_active_fund")
    ]
    response = send(
        admin_client(), (header + with_fund(public.hospital, fund.pk) + with_fund(second_hospital, "")).encode()
    )
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("rows[3].settlement_fund_id", "conflicting_row")
    ]
    assert not ProcurementContract.objects.exists()

    body = header + with_fund(public.hospital, fund.pk) + with_fund(second_hospital, fund.pk)
    assert send(admin_client(), body.encode()).status_code == 201
    assert ProcurementContract.objects.get().settlement_fund == fund
    # the same result without its fund is another result: refused, not silently changing who pays
    response = send(admin_client(), (HEADER + row(public, public.hospital)).encode())
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("rows[2].settlement_fund_id", "contract_conflict")
    ]
    assert ProcurementContract.objects.get().settlement_fund == fund


def test_a_programme_loaded_one_by_one_and_then_from_a_file_is_one_contract(public):
    # full-width brackets typed in the JSON, half-width in the spreadsheet (cells are read NFKC)
    response = admin_client().post(
        "/api/v1/procurement-contracts/",
        {
            "programme": "海南省第一批药品集中带量采购（演示批次）",
            "drug_id": public.drug.pk,
            "supplier_id": public.mah.pk,
            "agreed_price": "8.00",
            "valid_from": str(days(-1)),
            "valid_until": str(days(364)),
            "volumes": [{"institution_id": public.hospital.pk, "annual_volume": 50}],
        },
        format="json",
    )
    assert (response.status_code, response.json()["programme"]) == (201, "海南省第一批药品集中带量采购(演示批次)")
    body = HEADER + row(public, public.hospital, volume=80, programme="海南省第一批药品集中带量采购(演示批次)")
    response = send(admin_client(), body.encode())
    assert response.status_code == 201, response.json()
    assert ProcurementContract.objects.count() == 1
    assert ContractVolume.objects.get().annual_volume == 80
