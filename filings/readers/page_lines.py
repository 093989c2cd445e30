"""Reader for the page-lines JSON of ``corpus/ipo-2007-2021/*.txt``.

One JSON object per line: ``{"page": 12, "allrow": 345, "type": "text", "inside": "…"}``
with ``type`` one of ``text``, ``excel`` (a table row written as a Python list literal),
``页眉`` (running header) or ``页脚`` (footer).
"""

from __future__ import annotations

import json
import re
from typing import Any

from risklens.filings.errors import UnsupportedFormat
from risklens.filings.readers.raw import LineKind, RawDocument, RawLine

_KINDS: dict[str, LineKind] = {"text": "text", "excel": "table", "页眉": "header", "页脚": "footer"}
# Tolerated share of lines that are not valid records (a truncated last line, stray blanks).
_MAX_BAD_SHARE = 0.05


def looks_like_page_lines(text: str) -> bool:
    """True if the first non-blank line is a page-lines record."""
    for line in text.splitlines():
        if line.strip():
            return _parse_record(line) is not None
    return False


def _parse_record(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return record if _valid(record) else None


_CELL = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"|(None|-?\d+(?:\.\d+)?)")


def _records(text: str) -> list[dict[str, Any] | None]:
    """Every non-blank line parsed (None where malformed); one json call when all are valid."""
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        records = json.loads("[" + ",".join(lines) + "]")
    except (ValueError, RecursionError):
        return [_parse_record(line) for line in lines]
    if len(records) != len(lines):  # a line held several values: check one by one
        return [_parse_record(line) for line in lines]
    return [
        record
        if type(record) is dict
        and type(record.get("inside")) is str
        and type(page := record.get("page")) is int
        and page >= 0
        else None
        for record in records
    ]


def _valid(record: Any) -> bool:
    if not isinstance(record, dict) or not isinstance(record.get("inside"), str):
        return False
    page = record.get("page")
    return isinstance(page, int) and not isinstance(page, bool) and page >= 0


_SIMPLE_SEPARATOR = re.compile(r"'\s*,\s*'")


def _table_cells(inside: str) -> str:
    """Turn an ``excel`` row like "['2020年', '2019年']" into "2020年 | 2019年"."""
    stripped = inside.strip()
    if not (stripped.startswith("[") and stripped.endswith("]")):
        return inside
    inner = stripped[1:-1].strip()
    if len(inner) >= 2 and inner[0] == inner[-1] == "'" and "\\" not in inner and "None" not in inner:
        cells = _SIMPLE_SEPARATOR.split(inner[1:-1])  # the usual "['a', 'b']"
    else:
        cells = [a or b or (c if c != "None" else "") for a, b, c in _CELL.findall(stripped)]
        cells = [cell.replace("\\n", " ") for cell in cells]
    return " | ".join(cell.strip() for cell in cells if cell.strip())


def read_page_lines(text: str, name: str) -> RawDocument:
    """Parse page-lines JSON; raise ``UnsupportedFormat`` if too many lines are malformed."""
    doc = RawDocument(reader="page_lines")
    append = doc.lines.append  # one iteration per line of the file: keep it lean
    bad = total = pages = 0
    for record in _records(text):
        total += 1
        if record is None:
            bad += 1
            continue
        kind_name = record.get("type")
        kind = _KINDS.get(kind_name, "text") if isinstance(kind_name, str) else "text"
        inside = record["inside"]
        if kind == "table":
            inside = _table_cells(inside)
            if " | " not in inside and not any(ch.isdigit() for ch in inside):
                kind = "text"  # a one-cell "table" is a line of text (often a heading in a box)
        page = record["page"] or 1
        append(RawLine(inside, page, kind))
        if page > pages:
            pages = page
    doc.pages = pages
    if total == 0 or bad > max(1, int(total * _MAX_BAD_SHARE)):
        raise UnsupportedFormat(
            name,
            f"looks like page-lines JSON but {bad} of {total} lines are not valid records; "
            "expected one {\"page\": N, \"type\": …, \"inside\": …} object per line",
        )
    return doc
