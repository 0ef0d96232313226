"""An XLSX is a ZIP: its directory is checked before openpyxl ever opens it, at upload and again in the worker
(a 125 KB shared-strings bomb held a web worker 37 s and 350 MB, issue 10)."""

from __future__ import annotations

import io
import zipfile
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from catalog.choices import ImportFormat, ImportKind
from catalog.models import ImportJob, Offer
from catalog.tasks import import_job_run_task
from tests.catalog.workbooks import member, shared_strings_bomb, xlsx_package

PROBLEMS = "https://pharmex.example/problems/"
pytestmark = pytest.mark.django_db
NEVER_OPEN = mock.patch("catalog.tabular.load_workbook", side_effect=AssertionError("openpyxl opened the file"))


def _upload(client, content: bytes, name: str = "offers.xlsx"):
    return client.post("/api/v1/offer-imports/", {"file": SimpleUploadedFile(name, content)}, format="multipart")


def _bomb_problem(detail: str) -> dict:
    return {
        "type": PROBLEMS + "upload-bomb",
        "title": "The file unpacks to more than is accepted",
        "status": 413,
        "detail": detail,
        "errors": [{"field": "file", "code": "upload_bomb", "message": detail}],
        "code": "upload_bomb",
    }


def _invalid_problem(detail: str) -> dict:
    return {
        "type": PROBLEMS + "import-file-invalid",
        "title": "The import file could not be read",
        "status": 400,
        "detail": detail,
        "errors": [{"field": "file", "code": "import_file_invalid", "message": detail}],
        "code": "import_file_invalid",
    }


def test_a_shared_strings_bomb_is_refused_before_openpyxl_reads_it(
    as_client, seller, django_capture_on_commit_callbacks
):
    # given: 125 KB that unpack to 51 MB: three million one-letter texts
    _, user = seller
    bomb = shared_strings_bomb()
    table = member(bomb, "xl/sharedStrings.xml")
    assert 100_000 < len(bomb) < 200_000
    assert table.file_size > 50_000_000
    # when
    with NEVER_OPEN as opened, django_capture_on_commit_callbacks() as callbacks:
        response = _upload(as_client(user), bomb)
    # then
    detail = (
        f"xl/sharedStrings.xml unpacks from {table.compress_size:,} to {table.file_size:,} bytes "
        f"({table.file_size // table.compress_size:,}:1); at most 100:1 is accepted."
    )
    assert (response.status_code, response.json()) == (413, _bomb_problem(detail))
    assert opened.call_count == 0
    assert ImportJob.objects.exists() is False
    assert callbacks == []


def test_a_table_declaring_more_shared_strings_than_allowed_is_refused(as_client, seller):
    _, user = seller
    content = xlsx_package({1: ["drug_id", "unit_price", "stock"], 2: ["a", "b", "c", "d"]})
    with override_settings(CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS=6), NEVER_OPEN as opened:
        response = _upload(as_client(user), content)
    detail = "The file holds 7 texts (its shared strings); at most 6 are accepted."
    assert (response.status_code, response.json()) == (413, _bomb_problem(detail))
    assert opened.call_count == 0
    assert ImportJob.objects.exists() is False


def test_a_table_understating_its_size_passes_the_upload_and_fails_in_the_worker_unopened(
    as_client, seller, django_capture_on_commit_callbacks
):
    # given: seven texts in a table that declares one
    _, user = seller
    client = as_client(user)
    content = xlsx_package({1: ["drug_id", "unit_price", "stock"], 2: ["a", "b", "c", "d"]}, declared_strings=1)
    with override_settings(CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS=6):
        # when: the upload only reads the declaration
        with django_capture_on_commit_callbacks() as callbacks:
            response = _upload(client, content)
        assert response.status_code == 202, response.json()
        assert len(callbacks) == 1
        # then: the worker counts the entries before openpyxl opens the file
        with NEVER_OPEN as opened:
            import_job_run_task.run(response.json()["id"])
    job = client.get(f"/api/v1/offer-imports/{response.json()['id']}/").json()
    message = "The file holds more than 6 texts (its shared strings), more than it declares."
    assert (job["status"], job["message"], job["errors"]) == (
        "failed",
        message,
        [{"row": None, "column": None, "message": message}],
    )
    assert opened.call_count == 0


def test_a_workbook_unpacking_past_the_total_is_refused(as_client, seller):
    _, user = seller
    content = xlsx_package({1: ["drug_id", "unit_price", "stock"]})
    unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(content)).infolist())
    with override_settings(CATALOG_IMPORT_XLSX_MAX_UNPACKED_BYTES=1000), NEVER_OPEN:
        response = _upload(as_client(user), content)
    detail = f"The file unpacks to {unpacked:,} bytes; at most 1,000 are accepted."
    assert (response.status_code, response.json()) == (413, _bomb_problem(detail))


def _zip_of_notes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed timestamp: the bytes are a test id, which every xdist worker must collect alike.
        archive.writestr(zipfile.ZipInfo("notes.txt", date_time=(2026, 1, 1, 0, 0, 0)), "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"PK\x03\x04 not really a zip", "The XLSX file could not be opened (BadZipFile)."),
        (_zip_of_notes(), "The file is not an XLSX workbook (it has no [Content_Types].xml)."),
    ],
)
def test_a_file_that_is_no_workbook_is_refused_as_invalid(as_client, seller, content, detail):
    _, user = seller
    with NEVER_OPEN:
        response = _upload(as_client(user), content)
    assert (response.status_code, response.json()) == (400, _invalid_problem(detail))
    assert ImportJob.objects.exists() is False


def test_the_worker_checks_the_zip_again_whatever_the_upload_let_through(seller):
    # given: a bomb stored as a job without the upload's checks (an older upload, another path into the table)
    organization, user = seller
    bomb = shared_strings_bomb()
    job = ImportJob.objects.create(
        kind=ImportKind.OFFERS,
        organization=organization,
        created_by=user,
        created_by_label=user.email,
        file_name="bomb.xlsx",
        file_format=ImportFormat.XLSX,
        file_size=len(bomb),
        file_sha256="0" * 64,
        content=bomb,
    )
    table = member(bomb, "xl/sharedStrings.xml")
    # when
    with NEVER_OPEN as opened:
        import_job_run_task.run(job.pk)
    # then
    job.refresh_from_db()
    assert (job.status, job.message) == (
        "failed",
        f"xl/sharedStrings.xml unpacks from {table.compress_size:,} to {table.file_size:,} bytes "
        f"({table.file_size // table.compress_size:,}:1); at most 100:1 is accepted.",
    )
    assert opened.call_count == 0
    assert Offer.objects.exists() is False
