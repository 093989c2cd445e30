"""Reader for Markdown whose pages are marked ``## 第N页`` (or ``<!-- page N -->``).

The 2024–2025 prospectuses come as a title block, then ``## 第N页`` before each page's
raw PDF lines. Markdown syntax in the title block (``#`` titles, ``**bold**`` fields,
``---`` rules) is metadata, not filing text, and is skipped.
"""

from __future__ import annotations

import re

from risklens.filings.readers.raw import RawDocument, RawLine

PAGE_MARKER = re.compile(r"^\s*(?:#{1,6}\s*第\s*(\d{1,5})\s*页\s*|<!--\s*page\s*(\d{1,5})\s*-->)\s*$")
_MARKUP = re.compile(r"^\s*(?:#{1,6}\s|\*\*[^*]+\*\*\s*[:：]|-{3,}\s*$|\*{3,}\s*$)")


def looks_like_markdown(text: str) -> bool:
    """True if the text has at least one page marker line."""
    return any(PAGE_MARKER.match(line) for line in text.splitlines()[:2000])


def read_markdown(text: str) -> RawDocument:
    """Split on page markers; lines before the first marker belong to page 1."""
    doc = RawDocument(reader="markdown")
    page = 1
    seen_marker = False
    for line in text.splitlines():
        marker = PAGE_MARKER.match(line)
        if marker:
            page = max(1, int(marker.group(1) or marker.group(2)))
            seen_marker = True
            doc.pages = max(doc.pages, page)
            continue
        if not seen_marker and _MARKUP.match(line):
            continue
        doc.lines.append(RawLine(line, page))
    doc.pages = max(doc.pages, 1)
    return doc
