"""The section tree: walk a Document's blocks keeping the stack of open headings.

Chapter-level headings (第N节/章 and unnumbered chapter titles) reset the stack. A
numbered kind seen before (say "（一）") closes everything opened after it and takes its
place; a new kind nests one level deeper. This is how a reader infers the outline when
filings nest 一、/（一）/1、/（1） in different orders.

A prose block that starts with an enumerator may be a heading sharing its line with body
text ("（四）…的风险报告期内，…"). It is split only when its number continues the current
numbering (1 for a new kind, previous + 1 for a known one) and the head ends like a
heading.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from risklens.filings.document import Document
from risklens.filings.headings import (
    Enumerator,
    display,
    is_front_title,
    parse_enumerator,
    split_inline_heading,
)
from risklens.filings.sections import RISK_FACTORS, section_of_heading

# A numbered paragraph that continues the outline stands in heading paths by its first
# clause, cut at this many characters.
ITEM_TITLE_CHARS = 30


@dataclass(frozen=True, slots=True)
class OpenHeading:
    """One entry of the heading stack."""

    kind: str
    number: int
    text: str  # as shown in paths, e.g. "（一）业绩下滑及无法盈利的风险"
    section: str | None


class ProseSpan(NamedTuple):
    """A paragraph's place: its offsets, page and the headings above it."""

    start: int
    end: int
    page: int
    path: tuple[OpenHeading, ...]

    @property
    def section(self) -> str | None:
        for heading in reversed(self.path):
            if heading.section is not None:
                return heading.section
        return None


class _Stack:
    def __init__(self, numbered_risk_factors: bool) -> None:
        self.items: list[OpenHeading] = []
        self.numbered_risk_factors = numbered_risk_factors
        self._path: tuple[OpenHeading, ...] | None = ()

    def path(self) -> tuple[OpenHeading, ...]:
        """The open headings as a tuple; the same object until the stack changes."""
        if self._path is None:
            self._path = tuple(self.items)
        return self._path

    def expected_number(self, kind: str) -> int:
        for item in reversed(self.items):
            if item.kind == kind:
                return item.number + 1
        return 1

    def close(self, kind: str) -> None:
        """Close the open heading of ``kind`` and everything inside it."""
        for index in range(len(self.items) - 1, -1, -1):
            if self.items[index].kind == kind:
                del self.items[index:]
                self._path = None
                return

    def has_kind(self, kind: str) -> bool:
        return any(item.kind == kind for item in self.items)

    def open(self, enum: Enumerator | None, title: str) -> None:
        chapter_level = enum is None or enum.kind == "chapter"
        section = section_of_heading(
            title, chapter_level=chapter_level, numbered_risk_factors=self.numbered_risk_factors
        )
        kind = "chapter" if enum is None else enum.kind
        entry = OpenHeading(kind, enum.number if enum else 0, display(enum, title), section)
        self._path = None
        if chapter_level:
            self.items = [entry]
            return
        self.close(kind)
        self.items.append(entry)


def walk(doc: Document, *, numbered_risk_factors: bool = False) -> Iterator[ProseSpan]:
    """Yield every prose paragraph of ``doc`` with its heading path."""
    stack = _Stack(numbered_risk_factors)
    for block in doc.blocks:
        text = doc.block_text(block)
        if block.kind == "table":
            continue
        if block.kind == "heading":
            enum = None if is_front_title(text) else parse_enumerator(text)
            title = text.replace(" ", "") if enum is None else text[enum.end :]
            stack.open(enum, title)
            continue
        start = block.start
        enum = parse_enumerator(text)
        opened_item: Enumerator | None = None
        if enum is not None and enum.kind != "chapter" and enum.number == stack.expected_number(enum.kind):
            cut = split_inline_heading(text, enum)
            if cut is not None:
                head = text[:cut].rstrip("。 ")
                stack.open(enum, head[enum.end :])
                start = block.start + cut
            elif stack.has_kind(enum.kind) or (enum.number == 1 and enum.kind in ("cn", "paren_cn")):
                opened_item = enum  # a numbered paragraph continuing the outline
                stack.close(enum.kind)
        yield ProseSpan(start, block.end, doc.page_at(start), stack.path())
        if opened_item is not None:
            stack.open(opened_item, _short_title(text[opened_item.end :]))


def _short_title(text: str) -> str:
    """The first clause of a numbered paragraph, to stand for it in heading paths."""
    for index, ch in enumerate(text):
        if ch in "，。；：,;:" or index >= ITEM_TITLE_CHARS:
            return text[:index] + ("…" if ch not in "，。；：,;:" else "")
    return text


def has_chapter_risk_factors(doc: Document) -> bool:
    """True if some chapter-level heading opens the 风险因素 chapter."""
    for block in doc.blocks:
        if block.kind != "heading":
            continue
        text = doc.block_text(block)
        enum = None if is_front_title(text) else parse_enumerator(text)
        if enum is not None and enum.kind != "chapter":
            continue
        title = text.replace(" ", "") if enum is None else text[enum.end :]
        if section_of_heading(title, chapter_level=True, numbered_risk_factors=False) == RISK_FACTORS:
            return True
    return False

