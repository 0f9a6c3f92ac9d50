"""Zip bombs and oversized archives: refused with the limit named, never inflated whole."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile

import pytest

from seedbed.files.archives import ArchiveError, ZipLimits
from seedbed.files.attribute_files import files_from_zip
from seedbed.files.recipe import read_bundle

MB = 1024 * 1024


def bomb(name: str, inflated_mb: int, extra: dict[str, bytes] | None = None) -> bytes:
    """A zip whose one entry is `inflated_mb` MB of newlines: deflates about 1000 to 1."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for extra_name, data in (extra or {}).items():
            archive.writestr(extra_name, data)
        with archive.open(name, "w") as entry:
            for _ in range(inflated_mb):
                entry.write(b"\n" * MB)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def attribute_bomb() -> bytes:
    return bomb("style/style.txt", 90)  # 90 MB in about 90 KB, under the one-file limit


def test_an_attribute_zip_bomb_is_refused_without_inflating_it(attribute_bomb: bytes) -> None:
    assert len(attribute_bomb) < 2 * MB
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveError, match="style/style.txt .* more than 100 times"):
            files_from_zip(attribute_bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB  # stopped soon after the 1 MB the ratio allows, not at 90 MB


def test_a_bundle_zip_bomb_is_refused_without_inflating_it() -> None:
    data = bomb("export/raw.jsonl", 90, {"export/recipe.json": b"{}"})
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveError, match="raw.jsonl .* looks like a zip bomb"):
            read_bundle(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB


def stored(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_one_entry_over_the_size_limit_is_named() -> None:
    data = stored({"style/style.txt": os.urandom(3 * MB)})
    with pytest.raises(ArchiveError, match=r"style/style.txt in the zip is 3 MB, over the 2 MB"):
        files_from_zip(data, ZipLimits(entry_bytes=2 * MB))


def test_the_total_of_all_entries_is_capped() -> None:
    files = {f"style/part{i}.txt": os.urandom(MB) for i in range(4)}
    with pytest.raises(ArchiveError, match=r"limit for all its files together \(reached at"):
        files_from_zip(stored(files), ZipLimits(total_bytes=3 * MB))


def test_a_file_that_is_not_a_zip_says_so() -> None:
    with pytest.raises(ArchiveError, match="not a readable zip"):
        files_from_zip(b"PK\x03\x04 but nothing more")


def test_ordinary_archives_still_read() -> None:
    files = {"style/style.txt": b"calm\nangry\n" * 1000, "subtopics/sports.jsonl": b"cricket\n"}
    assert files_from_zip(stored(files)) == files
