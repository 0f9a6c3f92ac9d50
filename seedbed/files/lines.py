"""Uploaded bytes as lines of text: encodings named, control characters refused.

Files come from every editor and spreadsheet there is. A byte-order mark says
for certain how a file is encoded, so UTF-8, UTF-16 and UTF-32 files that carry
one are read as what they are. Without one the file must be UTF-8; when it is
not, the problem says what it looks like instead (UTF-16 without its mark, or
Latin-1), so the user knows what to save it as. A value holding a control
character (a NUL, a bell) is refused: it is never what the author meant, and it
breaks the exports and the model prompts it would travel into.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass

# UTF-32 LE first: its mark begins with UTF-16 LE's. UTF-8's mark is dropped, and the
# lines after it are read one by one like any UTF-8 file's.
WIDE_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
SAVE_AS_UTF8 = "save it as UTF-8"
EMPTY = "the file is empty"
# Every C0 and C1 control character but the ones ordinary text holds: tab, line feed,
# carriage return and form feed (a page break in text taken from documents).
CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


@dataclass
class LineError:
    """A problem with one line of a file (line 0: with the whole file)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


def _utf16_without_mark(data: bytes) -> str | None:
    """'UTF-16 LE' or 'UTF-16 BE' when every other byte is NUL, as in UTF-16 of Latin text."""
    if len(data) < 2 or b"\x00" not in data:
        return None
    even, odd = data[0::2], data[1::2]
    for zeros, name in ((odd, "UTF-16 LE"), (even, "UTF-16 BE")):
        if zeros.count(0) >= 0.4 * len(zeros):
            return name
    return None


def _not_utf8(raw: bytes) -> str:
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        return f"not valid UTF-8; {SAVE_AS_UTF8}"
    return "not UTF-8 (it looks like Latin-1 / Windows-1252); save the file as UTF-8"


def decode_lines(data: bytes) -> tuple[list[tuple[int, str | None]], list[LineError]]:
    """(line number, text) for each line, text None where the line could not be read,
    and one problem per unreadable line (line 0 when the whole file is unreadable).

    Lines end at "\\n" only: a JSON string may hold U+2028 or a form feed as is.
    """
    for mark, codec, name in WIDE_MARKS:
        if data.startswith(mark):
            try:
                text = data[len(mark) :].decode(codec)
            except UnicodeDecodeError as error:
                reason = f"the file starts as {name} but is not valid {name} ({error.reason})"
                return [], [LineError(0, f"{reason}; {SAVE_AS_UTF8}")]
            if not text.strip():
                return [], [LineError(0, EMPTY)]
            lines = [line.removesuffix("\r") for line in text.split("\n")]
            return list(enumerate(lines, start=1)), []
    data = data.removeprefix(codecs.BOM_UTF8)
    if not data.strip():
        return [], [LineError(0, EMPTY)]
    if utf16 := _utf16_without_mark(data):
        reason = f"this file looks like {utf16} without a byte-order mark; {SAVE_AS_UTF8}"
        return [], [LineError(0, reason)]
    lines: list[tuple[int, str | None]] = []
    problems: list[LineError] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append((number, raw.decode("utf-8").removesuffix("\r")))
        except UnicodeDecodeError:
            lines.append((number, None))
            problems.append(LineError(number, _not_utf8(raw)))
    return lines, problems


def control_character(texts: Iterable[str]) -> str | None:
    """Why one of `texts` cannot be a value (it holds a control character), or None."""
    for text in texts:
        if found := CONTROL.search(text):
            return f"holds a control character (U+{ord(found.group()):04X}), which no text should"
    return None


def strings_in(value: object) -> list[str]:
    """Every string in a parsed JSON value, keys included (walked without recursion)."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            found += [key for key in item if isinstance(key, str)]
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item
    return found
