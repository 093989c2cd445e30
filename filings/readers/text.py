"""Reader for plain text extracted from a PDF (UTF-8 or GB18030/GBK, detected).

Pages are not marked explicitly; printed page numbers on a line of their own
(``1-1-5``, ``8-1-3``, ``19 / 156``, ``- 12 -``, ``第 3 页``) or a form feed end a page. When
the printed numbers increase, a page takes the number printed at its end; otherwise pages
are counted from 1.

Only some of those pages are *known*: text between two printed numbers more than one
apart (numbers lost in extraction) is spread over the pages between them, text after
the last printed number is put on the next page, and a text without any page mark is
page 1 — guesses that let clean-up find page edges, but that no paragraph may show (seed
002 printed "p.95" for every risk paragraph that way). ``RawDocument.known_pages`` lists
the pages that are known; the others are reported as unknown.
"""

from __future__ import annotations

import re
from itertools import pairwise

from risklens.filings.errors import UnsupportedFormat
from risklens.filings.readers.raw import RawDocument, RawLine

# A printed page number alone on a line; group "n" is the page's own number.
PAGE_NUMBER = re.compile(
    r"^\s*(?:"
    r"\d{1,2}\s*-\s*\d{1,2}\s*-\s*(?P<a>\d{1,4})"  # 1-1-46, 8-1-3
    r"|(?P<b>\d{1,4})\s*/\s*\d{1,4}"  # 19 / 156
    r"|[-－—]\s*(?P<c>\d{1,4})\s*[-－—]"  # - 12 -
    r"|第\s*(?P<d>\d{1,4})\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"  # 第 3 页 共 9 页
    r")\s*$"
)


def page_number_of(line: str) -> int | None:
    """The page number printed on ``line`` if the line is only a page number, else None."""
    match = PAGE_NUMBER.match(line)
    if not match:
        return None
    return int(next(g for g in match.group("a", "b", "c", "d") if g is not None))


def decode_text(data: bytes, name: str) -> str:
    """Decode UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnsupportedFormat(
        name,
        "looks like binary data: not a PDF, and neither UTF-8 nor GB18030/GBK text; "
        "expected a filing as PDF or text",
    )


# A page number glued to the next page's running header: "24 山西…公司 …募集说明书".
_NUMBER_THEN_HEADER = re.compile(r"^\s*(\d{1,4})\s+(\S.{3,})$")
# The glued header must recur on at least this many pages to be taken for one.
_MIN_GLUED_REPEATS = 3
# A running header has at least this many characters besides digits.
_MIN_HEADER_CHARS = 6


def _glued_headers(lines: list[str]) -> set[str]:
    """Header texts that follow a page number on one line, on several pages.

    A running header recurs with page numbers that increase through the document; a
    numbered list item ("1 2020年", a table row "1 项目名称 363,519.00") does not, so keys
    whose numbers do not strictly increase, or that are too short to be a header, are
    not taken.
    """
    numbers: dict[str, list[int]] = {}
    for line in lines:
        match = _NUMBER_THEN_HEADER.match(line)
        if match and not any(ch in match.group(2) for ch in "，。；"):
            key = re.sub(r"\d+", "#", match.group(2).replace(" ", ""))
            numbers.setdefault(key, []).append(int(match.group(1)))
    return {
        key
        for key, seen in numbers.items()
        if len(seen) >= _MIN_GLUED_REPEATS
        and len(key.replace("#", "")) >= _MIN_HEADER_CHARS
        and all(b > a for a, b in pairwise(seen))
    }


def read_text(text: str) -> RawDocument:
    """Split text into pages at printed page numbers and form feeds."""
    chunks: list[list[str]] = [[]]
    printed: list[int | None] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    glued = _glued_headers(lines)
    for line in lines:
        parts = line.split("\f")
        for k, part in enumerate(parts):
            if k > 0:  # a form feed ends the page
                printed.append(None)
                chunks.append([])
            number = page_number_of(part)
            match = _NUMBER_THEN_HEADER.match(part) if glued and number is None else None
            if match and re.sub(r"\d+", "#", match.group(2).replace(" ", "")) in glued:
                printed.append(int(match.group(1)))
                chunks.append([match.group(2)])  # the header opens the next page
            elif number is not None:
                printed.append(number)
                chunks.append([])
            else:
                chunks[-1].append(part)
    if not any(s.strip() for s in chunks[-1]) and len(chunks) > 1:
        chunks.pop()
    doc = RawDocument(reader="text")
    for chunk, pages in zip(chunks, _chunk_pages(printed, chunks), strict=True):
        doc.lines.extend(RawLine(line, page) for line, page in zip(chunk, pages, strict=True))
    doc.pages = max((line.page for line in doc.lines), default=1)
    doc.known_pages = _known_pages(printed, len(chunks))
    return doc


def _known_pages(printed: list[int | None], chunks: int) -> frozenset[int]:
    """The pages whose number the text states, as ``_chunk_pages`` numbers them.

    With increasing printed numbers, a chunk ending with m is known to be page m only when
    the chunk before it ended with m - 1 (or m is 1); text after the last number is not.
    Otherwise the chunks are pages cut at page marks, known when there is more than one.
    """
    known = [n for n in printed if n is not None]
    if known and len(known) == len(printed) and all(b > a for a, b in pairwise(known)):
        first = 0 if known[0] <= 10 else known[0] - 1  # a front part, or an excerpt
        return frozenset(m for k, m in zip([first, *known], known, strict=False) if m - k == 1)
    return frozenset(range(1, chunks + 1)) if chunks > 1 else frozenset()


def _chunk_pages(printed: list[int | None], chunks: list[list[str]]) -> list[list[int]]:
    """The page of every line of every chunk.

    When the printed numbers strictly increase, a chunk ending with number m that follows
    one ending with k covers pages k+1..m; text extracted with some page numbers missing
    has chunks spanning many pages, so lines are spread over that range in proportion to
    their position. Otherwise chunks are numbered 1, 2, 3…
    """
    known = [n for n in printed if n is not None]
    monotonic = (
        bool(known)
        and len(known) == len(printed)
        and all(b > a for a, b in pairwise(known))
    )
    if not monotonic:
        return [[index + 1] * len(chunk) for index, chunk in enumerate(chunks)]
    ends = list(known)
    while len(ends) < len(chunks):  # text after the last printed number
        ends.append(ends[-1] + 1)
    result: list[list[int]] = []
    previous = 0 if ends[0] <= 10 else ends[0] - 1  # a front part, or an excerpt
    for chunk, end in zip(chunks, ends, strict=False):
        span = end - previous
        count = max(1, len(chunk))
        result.append([previous + 1 + (i * span) // count for i in range(len(chunk))])
        previous = end
    return result
