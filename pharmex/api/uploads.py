"""File uploads (multipart): refused past the endpoint's limit before the body is read, counted again while it
streams, and written to a temporary file on disk, never held in memory (issue 10).

An upload endpoint names the setting that holds its limit in bytes:

    class BankStatementViewSet(UploadViewMixin, …, ApiViewSet):
        upload_limits = {"create": "BANK_STATEMENT_MAX_BYTES"}

Two checks answer 413 `payload-too-large`:

* a `Content-Length` above the limit (plus a small allowance for the multipart framing) is refused in
  `initial()`, after authentication and permissions and before anything reads the body;
* the file parts are counted as the multipart parser streams them (`LimitedUploadHandler`), so a body whose
  `Content-Length` does not tell (within the allowance, or a server that hands over a body without one)
  is refused as soon as the limit is passed, not after it was stored.

The 413 does not carry `Connection: close`: WSGI forbids an application to set hop-by-hop headers (Django's
runserver answers 500 to one, gunicorn drops it). The server closes the connection itself: gunicorn's gthread
worker drains at most 64 KiB of an unread body, then closes; its sync worker closes after every request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler
from django.http import HttpRequest
from django.utils.translation import gettext as _

# Boundaries and part headers around the file (a long file name included): a body may exceed the file
# limit by this much and still be read.
MULTIPART_ALLOWANCE = 16 * 1024


class UploadTooLarge(RequestDataTooBig):
    """An upload over its endpoint's limit; the exception handler answers 413 `payload-too-large` with `detail`."""

    def __init__(self, limit: int):
        self.limit = limit
        self.detail = _("The upload is larger than %(limit)s bytes, the most this endpoint accepts.") % {
            "limit": f"{limit:,}"
        }
        super().__init__(self.detail)


def declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def refuse_declared_length(request: HttpRequest, limit: int) -> None:
    """Raises: UploadTooLarge when the request announces a body over `limit` (nothing of it is read)."""
    if declared_length(request) > limit + MULTIPART_ALLOWANCE:
        raise UploadTooLarge(limit)


class LimitedUploadHandler(FileUploadHandler):
    """First of the upload handlers: counts the file bytes of the whole request as they stream in and stops
    the upload past the limit (the rest of the body is never read); the next handler stores the bytes."""

    def __init__(self, request: HttpRequest, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self.limit + MULTIPART_ALLOWANCE:
            raise UploadTooLarge(self.limit)
        return None  # the multipart parser goes on

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            for handler in self.request.upload_handlers:  # the partly written temporary file goes now
                if handler is not self:
                    handler.upload_interrupted()
            raise UploadTooLarge(self.limit)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler returns the file


def limit_uploads(request: HttpRequest, limit: int) -> None:
    """Stream the request's files to temporary files on disk, refusing them past `limit` bytes in all.

    Call it before anything reads `request.POST` or `request.FILES` (a CSRF check does).
    """
    request.upload_handlers = [LimitedUploadHandler(request, limit), TemporaryFileUploadHandler(request)]


class UploadViewMixin:
    """For views with upload actions: `upload_limits` maps each action (or method) to the setting holding its
    limit in bytes. Put it before the view's base class (`class X(UploadViewMixin, …, ApiViewSet)`)."""

    upload_limits: ClassVar[Mapping[str, str]] = {}

    def upload_limit(self) -> int | None:
        key = getattr(self, "action", None) or self.request.method.lower()
        name = self.upload_limits.get(key)
        return getattr(settings, name) if name else None

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any):
        drf_request = super().initialize_request(request, *args, **kwargs)  # a viewset knows its action now
        limit = self.upload_limit()
        if limit is not None:
            limit_uploads(request, limit)
        return drf_request

    def initial(self, request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # who may call is answered first; none of it reads the body
        limit = self.upload_limit()
        if limit is not None:
            refuse_declared_length(request, limit)
