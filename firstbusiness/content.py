"""What an uploaded document is, by its bytes: the type check and the virus-scan hook (issue 20).

A document is accepted as PDF, PNG or JPEG only when its content says so — the leading signature and the
format's end marker — whatever its name or the `Content-Type` the client sent. Then every scanner named in
`settings.DOCUMENT_SCANNERS` reads it; the first that objects refuses the upload. That list is the hook for
a virus scanner (a function calling ClamAV's clamd, a cloud scanning API …); the default scanner only
refuses PDFs carrying active content (scripts, launch actions, embedded files), which no licence scan needs.
Scanning runs in the request, before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import BinaryIO

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from firstbusiness.errors import DocumentContentNotAccepted, DocumentScanRefused
from pharmex.files import CHUNK

TAIL = 1024  # how far from the end a format's end marker may sit (trailing newlines, padding)


@dataclass(frozen=True)
class ContentType:
    media_type: str
    extension: str
    signature: bytes
    end_marker: bytes


ACCEPTED = (
    ContentType("application/pdf", "pdf", b"%PDF-", b"%%EOF"),
    ContentType("image/png", "png", b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"),
    ContentType("image/jpeg", "jpg", b"\xff\xd8\xff", b"\xff\xd9"),
)
MEDIA_TYPES = tuple(kind.media_type for kind in ACCEPTED)


def detect(file: BinaryIO) -> ContentType:
    """The file's type by its content. Raises: DocumentContentNotAccepted for anything but a whole PDF, PNG or
    JPEG (a renamed executable, a truncated upload, an HTML page called scan.pdf)."""
    file.seek(0)
    head = file.read(16)
    file.seek(0, 2)
    size = file.tell()
    file.seek(max(size - TAIL, 0))
    tail = file.read(TAIL)
    file.seek(0)
    for kind in ACCEPTED:
        if head.startswith(kind.signature) and kind.end_marker in tail and size > len(kind.signature):
            return kind
    raise DocumentContentNotAccepted(
        _("The file is not a complete PDF, PNG or JPEG document (checked by its content, not its name).")
    )


# PDF names that run or carry something: JavaScript, launch actions, attached files, Flash/3D media.
_ACTIVE_PDF = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia)(?![A-Za-z0-9])")
_OVERLAP = 32  # a name split across two chunks is still seen


def refuse_active_content(file: BinaryIO, content_type: ContentType) -> str | None:
    """The default scanner: a PDF with scripts, launch actions or embedded files is refused."""
    if content_type.media_type != "application/pdf":
        return None
    file.seek(0)
    carry = b""
    try:
        while chunk := file.read(CHUNK):
            window = carry + chunk
            if _ACTIVE_PDF.search(window):
                return _("The PDF carries active content (scripts, launch actions or embedded files).")
            carry = window[-_OVERLAP:]
        return None
    finally:
        file.seek(0)


@cache
def _scanners(paths: tuple[str, ...]) -> tuple[Callable[[BinaryIO, ContentType], str | None], ...]:
    return tuple(import_string(path) for path in paths)


def scan(file: BinaryIO, content_type: ContentType) -> None:
    """Run every configured scanner. Raises: DocumentScanRefused with the first objection."""
    for scanner in _scanners(tuple(settings.DOCUMENT_SCANNERS)):
        reason = scanner(file, content_type)
        file.seek(0)
        if reason:
            raise DocumentScanRefused(reason)
