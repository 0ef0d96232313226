"""Uploaded files kept in a database row (a BinaryField), so any worker on any machine can process them: hashed
and checked a chunk at a time, and read back into a temporary file a chunk at a time (issue 10)."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, BinaryIO

from django.db.models import BinaryField, QuerySet
from django.db.models.functions import Substr

CHUNK = 1024 * 1024


def file_size(file: BinaryIO) -> int:
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size


def file_sha256(file: BinaryIO) -> str:
    file.seek(0)
    digest = hashlib.file_digest(file, "sha256").hexdigest()
    file.seek(0)
    return digest


def file_is_blank(file: BinaryIO) -> bool:
    """Nothing but whitespace (or nothing at all)."""
    file.seek(0)
    try:
        while chunk := file.read(CHUNK):
            if chunk.strip():
                return False
        return True
    finally:
        file.seek(0)


@contextmanager
def spooled_field(row: QuerySet, field: str, size: int, *, suffix: str = "") -> Iterator[IO[bytes]]:
    """The BinaryField `field` of the one row of `row` (`size` bytes) in a temporary file, read from the database
    a megabyte at a time; the file is deleted on exit."""
    with tempfile.NamedTemporaryFile(prefix="pharmex-", suffix=suffix) as spool:
        for offset in range(0, size, CHUNK):
            part = (
                row.annotate(_part=Substr(field, offset + 1, CHUNK, output_field=BinaryField()))
                .values_list("_part", flat=True)
                .get()
            )
            spool.write(part)
        if spool.tell() != size:
            raise ValueError(f"{field}: {spool.tell()} bytes stored, {size} expected")
        spool.flush()
        spool.seek(0)
        yield spool
