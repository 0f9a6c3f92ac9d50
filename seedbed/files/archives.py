"""Reading zip archives a user uploads without trusting what they claim to hold.

A zip's headers may lie about sizes, and a few kilobytes of deflated zeros inflate
to gigabytes. Every entry is therefore read in chunks, counting what actually
comes out, and the read stops at the first limit passed: the size of one entry,
the total of all entries, or the ratio of inflated to compressed bytes. The error
names the entry and the limit, so the user knows what to change.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from seedbed.errors import InputError

CHUNK_BYTES = 1 << 16
# A CRC mismatch, corrupt data, an unknown compression method, an encrypted entry.
UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


@dataclass(frozen=True)
class ZipLimits:
    """What one archive may inflate to.

    The ratio applies only past `ratio_from_bytes`, so a small, highly repetitive
    text file (a column of identical labels) still reads.
    """

    entry_bytes: int = 100 * 1024 * 1024
    total_bytes: int = 500 * 1024 * 1024
    ratio: int = 100
    ratio_from_bytes: int = 1024 * 1024


DEFAULT_LIMITS = ZipLimits()


class ArchiveError(InputError):
    """A zip that is not readable or inflates past a limit."""


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


def _read_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, limits: ZipLimits
) -> bytes:
    """The entry's bytes, read in chunks; ArchiveError as soon as a limit is passed."""
    compressed = max(info.compress_size, 1)
    if info.file_size > limits.entry_bytes:  # the header admits it: refuse before inflating
        raise ArchiveError(
            f"{info.filename} in the zip is {_mb(info.file_size)}, over the "
            f"{_mb(limits.entry_bytes)} limit for one file."
        )
    parts: list[bytes] = []
    size = 0
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            size += len(chunk)
            if size > limits.entry_bytes:
                raise ArchiveError(
                    f"{info.filename} in the zip inflates past the {_mb(limits.entry_bytes)} "
                    "limit for one file."
                )
            if size > budget:
                raise ArchiveError(
                    f"The zip inflates past the {_mb(limits.total_bytes)} limit for all its "
                    f"files together (reached at {info.filename})."
                )
            if size > limits.ratio_from_bytes and size > limits.ratio * compressed:
                raise ArchiveError(
                    f"{info.filename} in the zip inflates more than {limits.ratio} times its "
                    "compressed size: it looks like a zip bomb, so it was not read."
                )
            parts.append(chunk)
    return b"".join(parts)


def read_zip(
    data: bytes,
    wanted: Callable[[zipfile.ZipInfo], bool],
    limits: ZipLimits = DEFAULT_LIMITS,
) -> dict[str, bytes]:
    """The bytes of every entry of the zip `data` that `wanted` accepts, by name.

    Raises ArchiveError when `data` is not a zip or an entry passes one of `limits`.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ArchiveError(f"The file is not a readable zip ({error}).") from None
    found: dict[str, bytes] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not wanted(info):
                continue
            try:
                found[info.filename] = _read_entry(
                    archive, info, limits.total_bytes - total, limits
                )
            except UNREADABLE as error:
                message = f"{info.filename} in the zip cannot be read ({error})."
                raise ArchiveError(message) from None
            total += len(found[info.filename])
    return found
