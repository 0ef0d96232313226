import hashlib
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from accounts.choices import MemberRole
from catalog.choices import CustomsStatus, DrugType, OfferStatus
from catalog.models import CustomsStatusChange, ImportJob, Offer, OfferPriceChange
from catalog.tasks import import_job_run_task
from tests.catalog.workbooks import xlsx_package
from tests.factories import DrugFactory, LicenseFactory, OfferFactory, OrganizationFactory
from tests.migrations import latest, migrate

PROBLEMS = "https://pharmex.example/problems/"


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _upload(client, content: bytes, name: str = "offers.csv", url: str = "/api/v1/offer-imports/"):
    return client.post(url, {"file": SimpleUploadedFile(name, content)}, format="multipart")


def _run(client, content, django_capture_on_commit_callbacks, name="offers.csv") -> dict:
    """Upload, then run the queued task body as the worker would; returns the job as the API shows it."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _upload(client, content, name)
    assert response.status_code == 202, response.json()
    assert len(callbacks) == 1
    import_job_run_task.run(response.json()["id"])
    return client.get(f"/api/v1/offer-imports/{response.json()['id']}/").json()


@pytest.fixture
def drugs(db):
    return [
        DrugFactory(approval_number="国药准字H20003263", generic_name="阿莫西林胶囊", specification="0.25g"),
        DrugFactory(approval_number="国药准字H20003264", generic_name="头孢克洛胶囊", specification="0.25g"),
        DrugFactory(approval_number="国药准字S20063025", generic_name="人血白蛋白", drug_type=DrugType.BLOOD_PRODUCT),
    ]


@pytest.mark.django_db
def test_mixed_file_imports_good_rows_and_reports_bad_ones(
    as_client, seller, drugs, django_capture_on_commit_callbacks
):
    organization, user = seller
    content = _csv(
        "approval_number,specification,unit_price,stock,vat_rate,provinces,earliest_expiry",
        "国药准字H20003263,0.25g,12.50,100,0.13,460000;440000,2027-06-30",
        "国药准字 H20003264,0.25g,abc,50,,,",
        "国药准字H20003264,0.25g,8.80,50,,海南省,",
        "国药准字S20063025,0.25g,300.00,5,,,",
        "国药准字H99999999,0.25g,1.00,5,,,",
        "国药准字H20003263,0.25g,12.00,1,,,",
        f"{drugs[0].approval_number},0.25g,3.3333,-4,0.5,999999,2027-13-01",
    )
    job = _run(as_client(user), content, django_capture_on_commit_callbacks)
    assert (job["status"], job["total_rows"], job["processed_rows"], job["progress"]) == ("succeeded", 7, 7, 1.0)
    assert job["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 5}
    assert [(e["row"], e["column"]) for e in job["errors"]] == [
        (3, "unit_price"),
        (5, "approval_number"),
        (6, "approval_number"),
        (7, "approval_number"),
        (8, "unit_price"),
        (8, "vat_rate"),
        (8, "stock"),
        (8, "provinces"),
        (8, "earliest_expiry"),
    ]
    assert job["errors"][0]["message"] == '"abc" is not a number; write it like 12.50.'
    assert "network sale is prohibited" in job["errors"][1]["message"]
    assert job["errors"][3]["message"] == "The same drug is already in row 2."
    offers = {o.drug.generic_name: o for o in Offer.objects.select_related("drug")}
    assert sorted(offers) == ["头孢克洛胶囊", "阿莫西林胶囊"]
    assert offers["阿莫西林胶囊"].provinces == ["440000", "460000"]
    assert offers["头孢克洛胶囊"].unit_price == Decimal("8.80")
    assert all(o.supplier_id == organization.pk for o in offers.values())


@pytest.mark.django_db
def test_the_same_file_twice_changes_nothing(as_client, seller, drugs, django_capture_on_commit_callbacks):
    _, user = seller
    client = as_client(user)
    content = _csv(f"drug_id,unit_price,stock\n{drugs[0].pk},12.50,100\n{drugs[1].pk},8.80,20")
    first = _run(client, content, django_capture_on_commit_callbacks)
    before = list(Offer.objects.order_by("id").values())
    second = _run(client, content, django_capture_on_commit_callbacks)
    assert first["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 0}
    assert second["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "failed": 0}
    assert list(Offer.objects.order_by("id").values()) == before
    assert OfferPriceChange.objects.exists() is False


@pytest.mark.django_db
def test_changed_rows_update_and_write_price_history(as_client, seller, drugs, django_capture_on_commit_callbacks):
    organization, user = seller
    offer = OfferFactory(supplier=organization, drug=drugs[0], unit_price=Decimal("12.50"), stock=1)
    paused = OfferFactory(supplier=organization, drug=drugs[1], unit_price=Decimal("8.80"), status=OfferStatus.PAUSED)
    content = _csv("药品ID,单价,库存", f"{offer.drug_id},11.00,1", f"{paused.drug_id},8.80,{paused.stock}")
    job = _run(as_client(user), content, django_capture_on_commit_callbacks)
    assert job["counts"] == {"created": 0, "updated": 1, "unchanged": 1, "failed": 0}
    change = OfferPriceChange.objects.get()
    assert (change.offer_id, change.old_price, change.new_price, change.import_job_id) == (
        offer.pk,
        Decimal("12.50"),
        Decimal("11.00"),
        job["id"],
    )
    paused.refresh_from_db()
    assert paused.status == OfferStatus.PAUSED  # a missing status column keeps the status


@pytest.mark.django_db
def test_xlsx_with_float_cells(as_client, seller, drugs, django_capture_on_commit_callbacks):
    _, user = seller
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["批准文号", "规格", "含税单价", "库存", "税率", "最近效期"])
    sheet.append(["国药准字H20003263", "0.25g", 12.3, 100.0, 0.13, "2027-06-30"])
    sheet.append(["国药准字H20003264", "0.25g", 0.1 + 0.2, 7, "13%", None])
    sheet.append(["国药准字H20003264", "0.25g", 2.555, 7.5, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = _run(as_client(user), buffer.getvalue(), django_capture_on_commit_callbacks, name="offers.xlsx")
    assert job["file_format"] == "xlsx"
    assert job["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 1}
    assert job["errors"] == [
        {"row": 4, "column": "unit_price", "message": "At most 2 decimal places (found 2.555)."},
        {"row": 4, "column": "stock", "message": "7.5 is not a whole number."},
    ]
    prices = sorted(Offer.objects.values_list("unit_price", flat=True))
    assert prices == [Decimal("0.30"), Decimal("12.30")]


@pytest.mark.django_db
def test_an_oversized_file_is_refused_with_413_and_nothing_is_queued(
    as_client, seller, django_capture_on_commit_callbacks
):
    _, user = seller
    big = _csv("drug_id,unit_price,stock", *["1,1.00,1"] * 20)
    with override_settings(CATALOG_IMPORT_MAX_BYTES=100), django_capture_on_commit_callbacks() as callbacks:
        response = _upload(as_client(user), big)
    assert (response.status_code, response.json()) == (
        413,
        {
            "type": PROBLEMS + "payload-too-large",
            "title": "The request body is too large",
            "status": 413,
            "detail": "The upload is larger than 100 bytes, the most this endpoint accepts.",
        },
    )
    assert ImportJob.objects.exists() is False
    assert callbacks == []


TOO_MANY_ROWS = "The file has more than 3 rows (blank rows count too); split it into several files."
NOTHING = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}


@pytest.mark.django_db
def test_blank_rows_count_toward_the_row_limit(as_client, seller, drugs, django_capture_on_commit_callbacks):
    # given: two data rows and two blank ones (an empty line, a line of empty cells) after the header
    _, user = seller
    client = as_client(user)
    content = _csv("drug_id,unit_price,stock", f"{drugs[0].pk},1.00,1", "", ",,", f"{drugs[1].pk},2.00,1")
    # when: the limit is 3 rows, then 4
    with override_settings(CATALOG_IMPORT_MAX_ROWS=3):
        refused = _run(client, content, django_capture_on_commit_callbacks)
    assert Offer.objects.exists() is False
    with override_settings(CATALOG_IMPORT_MAX_ROWS=4):
        accepted = _run(client, content, django_capture_on_commit_callbacks)
    # then: the whole file fails before any row is imported; at the limit it imports, blank rows counted as done
    assert (refused["status"], refused["message"], refused["total_rows"], refused["processed_rows"]) == (
        "failed",
        TOO_MANY_ROWS,
        0,
        0,
    )
    assert (refused["counts"], refused["errors"]) == (
        NOTHING,
        [{"row": None, "column": None, "message": TOO_MANY_ROWS}],
    )
    assert (accepted["status"], accepted["total_rows"], accepted["processed_rows"], accepted["progress"]) == (
        "succeeded",
        4,
        4,
        1.0,
    )
    assert accepted["counts"] == {**NOTHING, "created": 2}


@pytest.mark.django_db
def test_rows_missing_from_an_xlsx_sheet_count_as_blank_rows(
    as_client, seller, drugs, django_capture_on_commit_callbacks
):
    # given: data in rows 2 and 6 of the sheet; rows 3 to 5 are not in its XML at all
    _, user = seller
    client = as_client(user)
    content = xlsx_package(
        {1: ["drug_id", "unit_price", "stock"], 2: [drugs[0].pk, 1.5, 1], 6: [drugs[1].pk, "2.50", 1]}
    )
    # when
    with override_settings(CATALOG_IMPORT_MAX_ROWS=3):
        refused = _run(client, content, django_capture_on_commit_callbacks, name="offers.xlsx")
    with override_settings(CATALOG_IMPORT_MAX_ROWS=5):
        accepted = _run(client, content, django_capture_on_commit_callbacks, name="offers.xlsx")
    # then
    assert (refused["status"], refused["message"], refused["counts"]) == ("failed", TOO_MANY_ROWS, NOTHING)
    assert (accepted["status"], accepted["total_rows"], accepted["processed_rows"]) == ("succeeded", 5, 5)
    assert accepted["counts"] == {**NOTHING, "created": 2}
    assert sorted(Offer.objects.values_list("unit_price", flat=True)) == [Decimal("1.50"), Decimal("2.50")]


@pytest.mark.django_db
def test_a_file_without_the_needed_columns_fails_as_a_whole(
    as_client, seller, drugs, django_capture_on_commit_callbacks
):
    _, user = seller
    job = _run(as_client(user), _csv("name,cost", "x,1"), django_capture_on_commit_callbacks)
    assert job["status"] == "failed"
    assert job["message"] == (
        "Missing columns: unit_price, stock, drug_id or approval_number. The first row must name the columns."
    )


@pytest.mark.django_db
def test_a_finished_jobs_file_is_forgotten_and_what_it_did_is_kept(
    as_client, seller, drugs, django_capture_on_commit_callbacks
):
    client = as_client(seller[1])
    good = _csv("drug_id,unit_price,stock", f"{drugs[0].pk},12.50,100")
    bad = _csv("name,cost", "x,1")
    with django_capture_on_commit_callbacks(execute=False):
        queued = _upload(client, good).json()
    succeeded, failed = (
        _run(client, good, django_capture_on_commit_callbacks),
        _run(client, bad, django_capture_on_commit_callbacks),
    )
    assert (succeeded["status"], failed["status"]) == ("succeeded", "failed")
    for job, content in ((succeeded, good), (failed, bad)):
        row = ImportJob.objects.get(pk=job["id"])
        assert bytes(row.content) == b""
        assert (row.file_size, row.file_sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert ImportJob.objects.get(pk=failed["id"]).message.startswith("Missing columns")
    assert bytes(ImportJob.objects.get(pk=queued["id"]).content) == good  # still to be read by the worker
    assert import_job_run_task.run(succeeded["id"]) is None  # finished: never read again


@pytest.mark.django_db(transaction=True)
def test_the_migration_forgets_the_files_of_jobs_finished_before_it(seller):
    newest = latest()
    ImportJob_ = migrate([("catalog", "0006_foreign_keys_no_own_index")]).get_model("catalog", "ImportJob")
    jobs = {
        status: ImportJob_.objects.create(
            kind="offers",
            organization_id=seller[0].pk,
            created_by_label="x",
            file_name=f"{status}.csv",
            file_format="csv",
            file_size=5,
            file_sha256="0" * 64,
            content=b"a,b\n",
            status=status,
        ).pk
        for status in ("queued", "running", "succeeded", "failed")
    }
    migrate(newest)
    kept = {status: bytes(ImportJob.objects.get(pk=pk).content) for status, pk in jobs.items()}
    assert kept == {"queued": b"a,b\n", "running": b"a,b\n", "succeeded": b"", "failed": b""}
    assert ImportJob.objects.get(pk=jobs["succeeded"]).file_size == 5


@pytest.mark.django_db
def test_buyers_and_other_organisations_cannot_use_or_see_imports(as_client, seller, buyer, member_of, drugs):
    _, user = seller
    response = _upload(as_client(member_of(buyer)), _csv("drug_id,unit_price,stock", f"{drugs[0].pk},1.00,1"))
    assert (response.status_code, response.json()["type"]) == (403, PROBLEMS + "not-a-supplier")
    job = _upload(as_client(user), _csv("drug_id,unit_price,stock", f"{drugs[0].pk},1.00,1")).json()
    rival = OrganizationFactory(trading=False)
    LicenseFactory(organization=rival)
    assert as_client(member_of(rival, MemberRole.OWNER)).get(f"/api/v1/offer-imports/{job['id']}/").status_code == 404


@pytest.mark.django_db
def test_admin_drug_import_and_management_command(as_client, admin_user, tmp_path, django_capture_on_commit_callbacks):
    content = _csv(
        "批准文号,通用名称,商品名,剂型,规格,包装,销售单位,最小单位,包装数量,生产企业,drug_type,category",
        "国药准字H10960123,环孢素软胶囊,新赛斯平,胶囊剂,50mg,50粒/盒,盒,粒,50,杭州中美华东制药有限公司,chemical,rx",
        "国药准字H10900102,葡萄糖酸锌糖浆,,糖浆剂,100ml：0.70g,1瓶/盒,盒,瓶,1,国药集团新疆制药有限公司,chemical,otc_a",
        "------,米非司酮,,原料药,,,,,1,秦皇岛紫竹药业有限公司,chemical,rx",
    )
    client = as_client(admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        response = _upload(client, content, url="/api/v1/drug-imports/")
    assert response.status_code == 202
    import_job_run_task.run(response.json()["id"])
    job = client.get(f"/api/v1/drug-imports/{response.json()['id']}/").json()
    assert job["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 1}
    assert {e["column"] for e in job["errors"]} >= {"approval_number"}
    path = tmp_path / "drugs.csv"
    path.write_bytes(content)
    from django.core.management import call_command

    out = io.StringIO()
    call_command("import_drugs", str(path), stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == "0 created, 0 updated, 2 unchanged, 1 failed"


# --- the customs status (SPEC §4a): set when the offer is imported, then only forward by a recorded event -----


def _customs_history(offer_id: int) -> list[tuple]:
    return list(
        CustomsStatusChange.objects.filter(offer_id=offer_id)
        .order_by("id")
        .values_list("action", "from_status", "to_status", "actor", "data")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["customs_status", "关税状态", "海关状态", "Customs Status"])
def test_the_customs_status_column_sets_each_new_offers_status_and_writes_its_list_row(
    as_client, seller, header, django_capture_on_commit_callbacks
):
    # given: a drug for each value, English and Chinese, and a blank cell
    _, user = seller
    words = ["duty_paid", "完税", "zero_tariff", "零关税", "bonded", "保税", " Zero_Tariff ", ""]
    listed = [DrugFactory() for _ in words]
    lines = [f"{drug.pk},9.90,10,{word}" for drug, word in zip(listed, words, strict=True)]
    content = _csv(f"drug_id,unit_price,stock,{header}", *lines)

    # when
    job = _run(as_client(user), content, django_capture_on_commit_callbacks)

    # then: every row created, each offer with its status …
    assert (job["counts"], job["errors"]) == ({"created": 8, "updated": 0, "unchanged": 0, "failed": 0}, [])
    offers = {o.drug_id: o for o in Offer.objects.all()}
    expected = ["duty_paid", "duty_paid", "zero_tariff", "zero_tariff", "bonded", "bonded", "zero_tariff", "duty_paid"]
    assert [offers[d.pk].customs_status for d in listed] == expected
    # … and its first customs event, the listing, as POST /offers/ writes it, naming the import job
    for drug, status in zip(listed, expected, strict=True):
        assert _customs_history(offers[drug.pk].pk) == [("list", "", status, user.email, {"import_job": job["id"]})]
    shown = as_client(user).get(f"/api/v1/offers/{offers[listed[4].pk].pk}/customs-history/").json()["results"]
    assert [(e["action"], e["from_status"], e["to_status"]) for e in shown] == [("list", "", "bonded")]


@pytest.mark.django_db
def test_bad_and_special_licensed_customs_statuses_are_row_errors(
    as_client, seller, django_capture_on_commit_callbacks
):
    _, user = seller
    listed = [DrugFactory() for _ in range(4)]
    content = _csv(
        "drug_id,unit_price,stock,customs_status",
        f"{listed[0].pk},9.90,10,lecheng_special",
        f"{listed[1].pk},9.90,10,特许药品",
        f"{listed[2].pk},9.90,10,free",
        f"{listed[3].pk},9.90,10,bonded",
    )

    job = _run(as_client(user), content, django_capture_on_commit_callbacks)

    assert job["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "failed": 3}
    assert [(e["row"], e["column"]) for e in job["errors"]] == [
        (2, "customs_status"),
        (3, "customs_status"),
        (4, "customs_status"),
    ]
    assert job["errors"][0]["message"] == (
        "lecheng_special is only for special-licensed drugs (特许药品), which are listed one by one with "
        "POST /offers/, not by import."
    )
    assert job["errors"][2]["message"] == (
        "The customs status must be duty_paid, zero_tariff or bonded (完税, 零关税, 保税)."
    )
    offer = Offer.objects.get()
    assert (offer.drug_id, offer.customs_status) == (listed[3].pk, CustomsStatus.BONDED)
    assert CustomsStatusChange.objects.count() == 1  # no offer, no history row for the refused rows


@pytest.mark.django_db
def test_without_the_column_new_offers_are_duty_paid_and_still_get_their_list_row(
    as_client, seller, drugs, django_capture_on_commit_callbacks
):
    _, user = seller
    client = as_client(user)
    content = _csv("drug_id,unit_price,stock", f"{drugs[0].pk},12.50,100", f"{drugs[1].pk},8.80,20")

    first = _run(client, content, django_capture_on_commit_callbacks)
    second = _run(
        client, _csv("drug_id,unit_price,stock", f"{drugs[0].pk},11.00,100"), django_capture_on_commit_callbacks
    )

    assert first["counts"]["created"] == 2 and second["counts"]["updated"] == 1
    offers = list(Offer.objects.order_by("id"))
    assert [o.customs_status for o in offers] == [CustomsStatus.DUTY_PAID] * 2
    # every offer has exactly one listing event: updating an offer by import adds none
    for offer in offers:
        assert _customs_history(offer.pk) == [("list", "", "duty_paid", user.email, {"import_job": first["id"]})]


@pytest.mark.django_db
def test_an_existing_offers_customs_status_is_not_changed_by_import(
    as_client, seller, django_capture_on_commit_callbacks
):
    # given: offers listed with their status
    organization, user = seller
    bonded = OfferFactory(supplier=organization, unit_price=Decimal("10.00"), customs_status=CustomsStatus.BONDED)
    zero = OfferFactory(supplier=organization, unit_price=Decimal("10.00"), customs_status=CustomsStatus.ZERO_TARIFF)
    kept = OfferFactory(supplier=organization, unit_price=Decimal("10.00"), customs_status=CustomsStatus.BONDED)
    content = _csv(
        "drug_id,unit_price,stock,关税状态",
        f"{bonded.drug_id},11.00,5,零关税",  # forward, but only with its declaration number
        f"{zero.drug_id},11.00,5,bonded",  # backward
        f"{kept.drug_id},11.00,5,保税",  # the same status: fine
    )

    # when
    job = _run(as_client(user), content, django_capture_on_commit_callbacks)

    # then: a change is a row error naming the endpoint that records the customs event; the row changes nothing
    assert job["counts"] == {"created": 0, "updated": 1, "unchanged": 0, "failed": 2}
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(2, "customs_status"), (3, "customs_status")]
    assert job["errors"][0]["message"] == (
        "The offer's goods are bonded at customs, and an import does not change that. Goods move forward "
        "(bonded → zero_tariff or duty_paid, zero_tariff → duty_paid) by a customs event with its declaration "
        f"number: POST /api/v1/offers/{bonded.pk}/customs-status/ with customs_status zero_tariff."
    )
    assert f"/api/v1/offers/{zero.pk}/customs-status/" in job["errors"][1]["message"]
    statuses = dict(Offer.objects.values_list("pk", "customs_status"))
    assert statuses == {bonded.pk: "bonded", zero.pk: "zero_tariff", kept.pk: "bonded"}
    prices = dict(Offer.objects.values_list("pk", "unit_price"))
    assert prices == {bonded.pk: Decimal("10.00"), zero.pk: Decimal("10.00"), kept.pk: Decimal("11.00")}
    assert CustomsStatusChange.objects.exists() is False
    # and the endpoint the message names moves the goods forward
    entered = as_client(user).post(
        f"/api/v1/offers/{bonded.pk}/customs-status/",
        {"customs_status": "zero_tariff", "declaration_number": "460120260001234567"},
    )
    assert entered.status_code == 200, entered.json()
    assert _customs_history(bonded.pk)[-1][:3] == ("enter_zero_tariff", "bonded", "zero_tariff")


@pytest.mark.django_db
def test_the_import_writes_offers_and_customs_history_in_as_many_queries_for_2_rows_as_for_20(
    as_client, seller, django_capture_on_commit_callbacks
):
    # given: two files of new offers, each status present, one ten times as long as the other
    _, user = seller
    client = as_client(user)
    words = ["duty_paid", "zero_tariff", "bonded", "保税", ""]

    def queries_for(rows: int) -> int:
        listed = [DrugFactory() for _ in range(rows)]
        lines = [f"{d.pk},9.90,10,{words[i % len(words)]}" for i, d in enumerate(listed)]
        with django_capture_on_commit_callbacks(execute=False):
            response = _upload(client, _csv("drug_id,unit_price,stock,customs_status", *lines))
        with CaptureQueriesContext(connection) as captured:
            import_job_run_task.run(response.json()["id"])
        assert ImportJob.objects.get(pk=response.json()["id"]).created_count == rows
        return len(captured)

    # when / then: the rows and their history rows are written set-based, not one by one
    assert queries_for(2) == queries_for(20)
    assert CustomsStatusChange.objects.filter(action="list").count() == Offer.objects.count() == 22


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_runs_the_import(as_client, celery_worker_process):
    # given: committed data (the worker is another connection)
    supplier = OrganizationFactory(trading=False)
    LicenseFactory(organization=supplier)
    from tests.factories import MembershipFactory

    user = MembershipFactory(organization=supplier, role=MemberRole.OPERATOR).user
    drug = DrugFactory()
    # when: the upload commits and dispatches the task through the broker
    response = _upload(as_client(user), _csv("drug_id,unit_price,stock", f"{drug.pk},9.90,10", f"{drug.pk},x,1"))
    assert response.status_code == 202
    job_id = response.json()["id"]
    # then
    celery_worker_process.wait_until(lambda: ImportJob.objects.get(pk=job_id).status == "succeeded")
    job = ImportJob.objects.get(pk=job_id)
    assert (job.created_count, job.failed_count) == (1, 1)
    assert Offer.objects.get().unit_price == Decimal("9.90")
    assert "catalog.tasks.import_job_run_task" in celery_worker_process.log()
