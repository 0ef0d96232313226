"""Looking inside a ZIP upload (an XLSX workbook) before any parser does (issue 10).

A ZIP's central directory says how large every member unpacks, and Python's zipfile never hands out more than
that (it stops at the declared size and checks the CRC), so the directory alone bounds what a parser can be
made to read: the total, each member's compression ratio, the number of members. Everything here reads
the directory or a bounded number of unpacked bytes, never a whole member into memory.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _

_END_RECORD = struct.Struct("<4s4H2LH")  # end of central directory: signature, disk numbers, counts, size, offset
_END_SIGNATURE = b"PK\x05\x06"
_MAX_COMMENT = 0xFFFF
STREAM_CHUNK = 1024 * 1024


class ZipRefused(ValueError):
    """The archive unpacks to more than is accepted (a "zip bomb"); the message says what and by how much."""


@dataclass(frozen=True)
class ZipLimits:
    max_unpacked: int  # bytes, all members together
    max_ratio: int = 100  # unpacked : packed, for each member above ratio_floor
    ratio_floor: int = 1024 * 1024  # small members (styles, relationships) may compress better than that
    max_members: int = 1000


def _declared_members(file: BinaryIO) -> int | None:
    """The member count the end record declares, read before zipfile builds an entry for each (None: no record)."""
    file.seek(0, 2)
    size = file.tell()
    file.seek(max(0, size - _END_RECORD.size - _MAX_COMMENT))
    tail = file.read()
    at = tail.rfind(_END_SIGNATURE)
    if at < 0 or len(tail) - at < _END_RECORD.size:
        return None
    return _END_RECORD.unpack(tail[at : at + _END_RECORD.size])[4]  # entries in the whole directory


def open_checked(file: BinaryIO, limits: ZipLimits) -> zipfile.ZipFile:
    """The archive, opened once its directory is within `limits`.

    Raises: ZipRefused (too many members, too large unpacked, a member compressed past the ratio);
    zipfile.BadZipFile when it is no ZIP at all.
    """
    members = _declared_members(file)
    if members is None:
        raise zipfile.BadZipFile("no end of central directory record")
    if members > limits.max_members:  # 0xFFFF (a ZIP64 directory) included: no workbook needs one
        raise ZipRefused(
            _("The file has %(count)s parts; at most %(limit)s are accepted.")
            % {"count": f"{members:,}", "limit": f"{limits.max_members:,}"}
        )
    file.seek(0)
    archive = zipfile.ZipFile(file)
    try:
        total = 0
        for info in archive.infolist():
            total += info.file_size
            if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise ZipRefused(
                    _(
                        "%(member)s unpacks from %(packed)s to %(unpacked)s bytes (%(ratio)s:1); "
                        "at most %(limit)s:1 is accepted."
                    )
                    % {
                        "member": info.filename[:200],
                        "packed": f"{info.compress_size:,}",
                        "unpacked": f"{info.file_size:,}",
                        "ratio": f"{info.file_size // max(info.compress_size, 1):,}",
                        "limit": limits.max_ratio,
                    }
                )
        if total > limits.max_unpacked:
            raise ZipRefused(
                _("The file unpacks to %(total)s bytes; at most %(limit)s are accepted.")
                % {"total": f"{total:,}", "limit": f"{limits.max_unpacked:,}"}
            )
    except BaseException:
        archive.close()
        raise
    return archive


def read_start(archive: zipfile.ZipFile, name: str, size: int) -> bytes:
    """The first `size` unpacked bytes of a member (a bounded read, whatever the member's size)."""
    with archive.open(name) as member:
        return member.read(size)


def scan_tags(archive: zipfile.ZipFile, name: str, tag: re.Pattern[bytes], each: Callable[[bytes], None]) -> None:
    """Call `each` with every complete tag `tag` matches in a member, unpacking it a chunk at a time.

    `tag` must match a whole start tag (`<row …>`). A tag cut by a chunk boundary is carried to the next chunk;
    a single tag longer than a chunk is refused as unreadable (ZipRefused), so memory stays at a chunk or two.
    """
    carry = b""
    with archive.open(name) as member:
        while chunk := member.read(STREAM_CHUNK):
            buffer = carry + chunk
            end = 0
            for match in tag.finditer(buffer):
                each(match.group(0))
                end = match.end()
            start = buffer.rfind(b"<", end)
            carry = buffer[start:] if start >= 0 and buffer.find(b">", start) < 0 else b""
            if len(carry) > STREAM_CHUNK:
                raise ZipRefused(_("%(member)s holds a tag longer than 1 MiB.") % {"member": name[:200]})
