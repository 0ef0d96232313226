"""Where document files live: Django's storage API, the `documents` entry of settings.STORAGES.

The local filesystem by default (`make run`, tests); any S3-compatible store in production through
django-storages (`DOCUMENT_STORAGE_BACKEND=storages.backends.s3.S3Storage` and its options in
`DOCUMENT_STORAGE_OPTIONS`; the credentials come from the environment as boto3 reads them). Nothing is ever
served from the storage's own URLs: downloads go through the API (firstbusiness.links).
"""

from __future__ import annotations

from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import Storage, storages


def document_storage() -> Storage:
    """The store as configured now. Read files through it by name (`document_open_file`), not through the
    FileField, which keeps the store it found when the model was loaded."""
    return storages["documents"]


def document_open_file(name: str):
    return document_storage().open(name, "rb")


def document_file_name(*, organization_id: int, sha256: str, extension: str) -> str:
    """Named by content, per organisation: a retried upload writes nothing twice, and no name a client chose
    ever reaches the store (no path tricks, no collisions)."""
    return f"documents/{organization_id}/{sha256[:2]}/{sha256}.{extension}"


def document_file_store(*, name: str, file: BinaryIO) -> str:
    """Write the file unless the store has it already (same name, same content). Call outside a transaction:
    a remote store is network I/O (STYLE G11)."""
    storage = document_storage()
    if storage.exists(name):
        return name
    file.seek(0)
    stored = storage.save(name, File(file, name=name))
    file.seek(0)
    return stored
