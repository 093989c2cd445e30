"""Remove PDF debris from raw page lines: headers, footers, page numbers, TOC lines.

Running headers and footers are found by repetition: a line (digits masked, spaces
removed) that sits at the top or bottom edge of at least three pages is page furniture,
whatever company name it carries. A repeated line that is a chapter heading (some filings
print the chapter title in the header) keeps its first occurrence, which is the heading.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import NamedTuple

from risklens.filings.headings import ends_sentence, parse_enumerator
from risklens.filings.readers.raw import LineKind, RawDocument
from risklens.filings.readers.text import page_number_of
from risklens.filings.textnorm import normalize_line

# How many non-empty lines at each end of a page count as its edge.
EDGE_LINES = 2
# A line at the page edge on at least this many pages is a running header/footer ...
MIN_REPEATS = 3
# ... but a numbered heading must repeat on this share of pages to be taken for one.
NUMBERED_MIN_SHARE = 0.2

_DOT_LEADER = re.compile(r"(?:\.{4,}|…{2,}|·{4,}|．{4,}|。{4,}|-{6,}|_{6,}|—{4,})\s*[-—\dIVXivx]*\s*$")
_CHECKBOX = re.compile(r"^[√□☑■☐✓✔]\s*适用\s*[√□☑■☐✓✔]\s*不适用$")
_LONE_NUMBER = re.compile(r"^[-—－\s]*\d{1,4}[-—－\s]*$")
_DIGITS = re.compile(r"\d+")
# A table cell that holds a figure: amounts, shares, years, dates, periods.
_FIGURE = re.compile(
    r"^[-+−(（]?[\d,.]*\d[\d,.]*%?[)）]?$"
    r"|^\d{4}\s*年(?:度|末|初)?(?:\d{1,2}(?:-\d{1,2})?\s*月(?:\d{1,2}\s*日)?)?$"
    r"|^\d{4}[-./]\d{1,2}(?:[-./]\d{1,2})?$"
)
_UNIT_LINE = re.compile(r"^(?:单位|币种|金额单位)\s*[:：]")
# Sentence punctuation; an ASCII comma counts only when not a thousands separator.
_PROSE_PUNCT = re.compile(r"[，。；：;]|,(?!\d)|:(?!\d)")


class CleanLine(NamedTuple):
    """A line that survived clean-up: normalised text, its page, kind and layout width."""

    text: str
    page: int
    kind: LineKind
    width: int  # visual width of the raw line (half-em units), for re-joining decisions


def looks_like_table_row(raw: str) -> bool:
    """A line of table columns, judged on the raw line (its spaces separate the cells).

    Numeric columns ("营业收入 1,175.30 1,230.54 -4.49", "项目 2023年度 2022年度"), a row
    of at least four column titles without punctuation, a lone figure ("40.00%"), or a
    unit line ("单位：万元").
    """
    if raw.count(" ") + raw.count("\u3000") + raw.count("\t") < 2:
        text = raw.strip()
        return bool(_UNIT_LINE.match(text) or (text and _FIGURE.match(text.replace(" ", ""))))
    tokens = raw.split()
    if len(tokens) < 3:
        return bool(tokens) and bool(_UNIT_LINE.match(tokens[0]))
    text = " ".join(tokens)
    if _UNIT_LINE.match(text):
        return True
    if _PROSE_PUNCT.search(text):
        return False
    figures = sum(1 for token in tokens if _FIGURE.match(token))
    if figures >= 2 and figures * 2 >= len(tokens):
        return True
    return len(tokens) >= 4 and all(len(token) >= 2 for token in tokens)


def repetition_key(text: str) -> str:
    """Key under which running headers repeat: digits masked, spaces removed."""
    return _DIGITS.sub("#", text.replace(" ", ""))


_LEADER_PAIR = re.compile(r"[.…·．。_—-]{2}")


def is_toc_line(text: str) -> bool:
    """A table-of-contents entry: text followed by a dot leader (and a page number)."""
    tail = text[-40:]
    return bool(_LEADER_PAIR.search(tail)) and bool(_DOT_LEADER.search(tail))


def clean(raw: RawDocument) -> list[CleanLine]:
    """Normalise each line and drop furniture; the order of the remaining lines is kept."""
    lines: list[CleanLine] = []
    append = lines.append  # this loop runs once per line of the file: keep it lean
    furniture: set[str] = set()
    for raw_text, page, kind in raw.lines:
        if kind == "header" or kind == "footer":
            text = normalize_line(raw_text)
            if len(text) >= 6:
                furniture.add(text)
            continue
        text = normalize_line(raw_text)
        if not text:
            continue
        if len(text) >= 8 and not len(text) % 2:
            text = _undouble(text)
        first = text[0]
        if (first.isdigit() or first in _PAGE_NUMBER_FIRST) and page_number_of(text) is not None:
            continue
        if kind == "text":
            if is_toc_line(text) or (first in _CHECKBOX_FIRST and _CHECKBOX.match(text)):
                continue
            if looks_like_table_row(raw_text):
                kind = "table"
        stripped = raw_text.strip()
        append(CleanLine(text, page, kind, (len(stripped) + len(stripped.encode("utf-8", "surrogatepass"))) // 2))
    lines, running = _drop_running_lines(lines, raw.pages)
    return _strip_header_prefixes(lines, furniture | running)


# First characters of a printed page number line and of a check-box line.
_PAGE_NUMBER_FIRST = frozenset("-－—第")
_CHECKBOX_FIRST = frozenset("√□☑■☐✓✔")


def _undouble(text: str) -> str:
    """"第三节风险因素第三节风险因素" (a heading printed twice) → "第三节风险因素"."""
    half = len(text) // 2
    if len(text) >= 8 and len(text) % 2 == 0 and text[:half] == text[half:] and parse_enumerator(text):
        return text[:half]
    return text


def _strip_header_prefixes(lines: list[CleanLine], furniture: set[str]) -> list[CleanLine]:
    """Remove running-header text glued to the start of a page's first line.

    Two shapes: a known header ("…股份有限公司招股说明书") or a chapter title used as
    the running header ("第三节风险因素") glued to the first line of the page; and a
    document title glued before a chapter heading ("…招股说明书第三章风险因素").
    """
    chapters = {
        line.text
        for line in lines
        if (enum := parse_enumerator(line.text)) is not None and enum.kind == "chapter"
        and 2 <= len(line.text) - enum.end <= 30
    }
    by_head: dict[str, list[str]] = defaultdict(list)
    for prefix in sorted((p for p in furniture | chapters if len(p) >= 4), key=len, reverse=True):
        by_head[prefix[:2]].append(prefix)
    out: list[CleanLine] = []
    previous_page = None
    for line in lines:
        text = line.text
        if line.page != previous_page and line.kind == "text":
            for prefix in by_head.get(text[:2], ()):
                if len(text) > len(prefix) and text.startswith(prefix):
                    text = text[len(prefix) :].lstrip()
                    break
            if len(text) <= 80 and ("第" in text[4:] or text.endswith("】")):
                text = _unglue_chapter(text)
        previous_page = line.page
        out.append(line if text == line.text else CleanLine(text, line.page, line.kind, line.width))
    return out


_GLUED_CHAPTER = re.compile(r"^[^，。；：,;:、（）()]{4,40}?(?:书|报告|稿)(?P<chapter>第[一二三四五六七八九十\d]{1,3}[节章][^，。；,;]{1,30})$")


# A running header glued before a bracketed title: "重大事项提示【发行人声明】".
_GLUED_BRACKET_TITLE = re.compile(r"^[^，。；,;【】\d]{2,30}?【(?P<title>[^【】，。；\d]{2,30})】$")


def _unglue_chapter(text: str) -> str:
    match = _GLUED_CHAPTER.match(text) or _GLUED_BRACKET_TITLE.match(text)
    return match.group(match.lastgroup or 0) if match else text


def _page_edges(lines: list[CleanLine]) -> list[int]:
    """Indices of the lines at the top and bottom edge of each page."""
    by_page: dict[int, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        by_page[line.page].append(index)
    edges: list[int] = []
    for indices in by_page.values():
        edge = set(indices[:EDGE_LINES]) | set(indices[-EDGE_LINES:])
        edges.extend(sorted(edge))
    return edges


def _drop_running_lines(lines: list[CleanLine], pages: int) -> tuple[list[CleanLine], set[str]]:
    """Drop lines repeated at page edges; also return the texts taken for headers."""
    edges = _page_edges(lines)
    pages_of: dict[str, set[int]] = defaultdict(set)
    for index in edges:
        line = lines[index]
        if len(line.text) <= 80:
            pages_of[repetition_key(line.text)].add(line.page)
    page_count = max(pages, len({line.page for line in lines}), 1)
    drop: set[int] = set()
    running: set[str] = set()
    kept_first: set[str] = set()
    for index in edges:
        line = lines[index]
        if line.kind not in ("text", "table"):
            continue
        if _LONE_NUMBER.match(line.text) and page_count > 1:
            drop.add(index)
            continue
        key = repetition_key(line.text)
        repeats = len(pages_of.get(key, ()))
        if repeats < MIN_REPEATS:
            continue
        if ends_sentence(line.text) and repeats < 0.5 * page_count:
            continue  # a sentence repeated a few times is text, not furniture
        enum = parse_enumerator(line.text)
        if enum is not None and enum.kind == "chapter":
            if key not in kept_first:  # the real chapter heading comes first
                kept_first.add(key)
                continue
        elif enum is not None and repeats < NUMBERED_MIN_SHARE * page_count:
            continue
        drop.add(index)
        if enum is None and len(line.text) >= 6:
            running.add(line.text)
    return [line for index, line in enumerate(lines) if index not in drop], running
