"""Every upload endpoint refuses a body over its limit with 413 before reading it (by its Content-Length) or as
soon as the limit is passed while it streams, and stores what it accepts in a temporary file, not in memory."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, FakePayload, encode_multipart

from accounts.choices import MemberRole, OrganizationKind
from catalog import services as catalog_services
from catalog.models import ImportJob
from pharmex.api.uploads import MULTIPART_ALLOWANCE, LimitedUploadHandler
from settlements.models import BankStatement
from tests.conftest import client_for
from tests.factories import LicenseFactory, MembershipFactory, OrganizationFactory

PROBLEMS = "https://pharmex.example/problems/"
ENDPOINTS = [
    ("/api/v1/offer-imports/", "CATALOG_IMPORT_MAX_BYTES", "supplier"),
    ("/api/v1/drug-imports/", "CATALOG_IMPORT_MAX_BYTES", "admin"),
    ("/api/v1/bank-statements/", "BANK_STATEMENT_MAX_BYTES", "finance_admin"),
]


def _too_large(limit: int) -> dict:
    return {
        "type": PROBLEMS + "payload-too-large",
        "title": "The request body is too large",
        "status": 413,
        "detail": f"The upload is larger than {limit:,} bytes, the most this endpoint accepts.",
    }


class CountingPayload(FakePayload):
    """The request body as the server hands it over, counting what the application reads of it."""

    def __init__(self, content: bytes):
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size=-1, /):
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size=-1, /):
        data = super().readline(size)
        self.bytes_read += len(data)
        return data


@pytest.fixture
def caller(db, admin_user, finance_admin_user):
    def make(who: str):
        if who == "supplier":
            supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)
            LicenseFactory(organization=supplier)
            return client_for(MembershipFactory(organization=supplier, role=MemberRole.OPERATOR).user)
        return client_for(admin_user if who == "admin" else finance_admin_user)

    return make


def _post(client, url: str, content: bytes, *, name: str = "upload.csv", **extra):
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile(name, content)})
    payload = CountingPayload(body)
    response = client.generic("POST", url, body, content_type=MULTIPART_CONTENT, **{"wsgi.input": payload, **extra})
    return response, payload, len(body)


def _nothing_stored() -> bool:
    return not ImportJob.objects.exists() and not BankStatement.objects.exists()


@pytest.mark.parametrize(("url", "setting", "who"), ENDPOINTS)
def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(caller, url, setting, who, settings):
    # given: a client announcing 100 MiB (the body it actually sends does not matter: none of it is read)
    limit = getattr(settings, setting)
    # when
    response, payload, _ = _post(caller(who), url, b"x" * 100, CONTENT_LENGTH=str(100 * 1024 * 1024))
    # then
    assert (response.status_code, response.json()) == (413, _too_large(limit))
    assert payload.bytes_read == 0
    assert _nothing_stored()


@pytest.mark.parametrize(("url", "setting", "who"), ENDPOINTS)
def test_a_body_just_over_the_allowance_is_refused_unread(caller, url, setting, who):
    with override_settings(**{setting: 4096}):
        response, payload, _ = _post(caller(who), url, b"x", CONTENT_LENGTH=str(4096 + MULTIPART_ALLOWANCE + 1))
    assert (response.status_code, response.json()) == (413, _too_large(4096))
    assert payload.bytes_read == 0


@pytest.mark.parametrize(("url", "setting", "who"), ENDPOINTS)
def test_a_file_over_the_limit_is_refused_while_it_streams_without_reading_the_rest(
    caller, url, setting, who, monkeypatch, django_capture_on_commit_callbacks
):
    # given: a Content-Length that does not give it away (within the multipart allowance), read in 1 KiB chunks
    monkeypatch.setattr(LimitedUploadHandler, "chunk_size", 1024)
    content = b"transaction_id,booked_on,amount,counterparty_account,counterparty_name,reference\n" + b"y" * 12_000
    # when
    with override_settings(**{setting: 4096}), django_capture_on_commit_callbacks() as callbacks:
        response, payload, body_size = _post(caller(who), url, content)
    # then: refused once 4 KiB of the file went by; the rest of the 12 KiB body was never read
    assert body_size <= 4096 + MULTIPART_ALLOWANCE
    assert (response.status_code, response.json()) == (413, _too_large(4096))
    assert payload.bytes_read <= 4096 + 3 * 1024
    assert payload.bytes_read < body_size - 6000
    assert _nothing_stored()
    assert callbacks == []


def test_without_credentials_the_size_is_not_looked_at(db):
    response, payload, _ = _post(client_for(), "/api/v1/offer-imports/", b"x", CONTENT_LENGTH=str(10**9))
    assert (response.status_code, response.json()["type"]) == (401, PROBLEMS + "not-authenticated")
    assert payload.bytes_read == 0


def test_an_accepted_upload_is_a_temporary_file_on_disk_even_when_small(caller, django_capture_on_commit_callbacks):
    # given: a 40-byte file, which Django would otherwise keep in memory
    content = b"drug_id,unit_price,stock\n1,9.90,10\n"
    # when
    with (
        mock.patch.object(catalog_services, "import_job_create", wraps=catalog_services.import_job_create) as create,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        response, _, _ = _post(caller("supplier"), "/api/v1/offer-imports/", content, name="offers.csv")
    # then
    assert response.status_code == 202, response.json()
    upload = create.call_args.kwargs["file"]
    assert isinstance(upload, TemporaryUploadedFile)
    assert bytes(ImportJob.objects.get().content) == content
    assert len(callbacks) == 1
