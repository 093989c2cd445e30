"""What every reader returns: the lines of each page, before any clean-up.

A reader only knows its container format. It reports each line with the page it sits on
and, when the format says so (page-lines JSON), whether the line is a running header,
footer or table row. Clean-up and paragraph joining are format-independent and live in
``filings.cleanup`` and ``filings.joining``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

LineKind = Literal["text", "table", "header", "footer"]
ReaderName = Literal["pdf", "text", "page_lines", "markdown", "docx"]

UNKNOWN_PAGE = 0
"""The page of a line whose page is not known (Word files; text without page marks)."""


class RawLine(NamedTuple):
    """One extracted line; ``page`` is the page number as the source labels it (1-based;
    0 = unknown, for formats without pages such as Word).

    A NamedTuple, not a dataclass: readers create one per line, 100,000 for a big file.
    """

    text: str
    page: int
    kind: LineKind = "text"


@dataclass(slots=True)
class RawDocument:
    """A reader's output: lines in reading order and the number of pages."""

    reader: ReaderName
    lines: list[RawLine] = field(default_factory=list)
    pages: int = 0
    recovered: bool = False
    """True when the file was damaged (e.g. a cut-off download) and was read as far as it goes."""
    pages_read: int | None = None
    """Pages that yielded text, where the reader counts them (PDF)."""
    known_pages: frozenset[int] | None = None
    """Pages whose number is known; None when all are. Lines on other pages carry a guessed
    number that clean-up may use (page edges), but paragraphs report them as unknown."""
