"""The section tree: walk a Document's blocks keeping the stack of open headings.

Chapter-level headings (第N节/章 and unnumbered chapter titles) reset the stack. A
numbered kind seen before (say "（一）") closes everything opened after it and takes its
place; a new kind nests one level deeper. This is how a reader infers the outline when
filings nest 一、/（一）/1、/（1） in different orders.

A prose block that starts with an enumerator may be a heading sharing its line with body
text ("（四）…的风险报告期内，…"). It is split only when its number continues the current
numbering (1 for a new kind, previous + 1 for a known one) and the head ends like a
heading.

These rules keep the outline honest where layout is lost:

- ``目录`` (the table of contents) opens nothing: it closes every open heading, so the
  entries after it never sit under "目录".
- A numbered item that PDF layout turned into a table row ("十四、…分别为 7,446.73万元")
  still opens its item when its number continues the outline; and an item that skips one
  number (十三 → 十五) still takes its sibling's place when a table came between them.
- An annual report's risk block (sections in ``ENDS_AT_TABLE``) ends at a run of
  ``TABLE_RUN`` table rows or cells (``filings.fragments``): what follows is the next
  table (an investor-reception log), not more of the last risk item.
- It also ends at a paragraph numbered in the outer outline ("十、董事会…的说明不适用十一、…")
  when no heading of that kind is open: the block's own heading sits at an inner level
  ("（三）可能面对的风险") and its parent ("九、未来发展的展望") was not recognised as a
  heading, as in Word exports where a heading and its body share one paragraph.
- Any risk block whose own heading is numbered ends the same way at a paragraph numbered in
  a kind that conventionally sits outside that heading's kind (一、 outside （一） outside 1、
  outside （1）), past 1 and not open: "八、…不适用" after "（四）风险因素", "（七）报告期内的
  技术创新情况…" after "2、面临的风险因素". A block that nests its items the other way round
  ("（三）可能面对的风险" / "一、市场风险") opens that kind at 1 first, so it stays whole.
- And at a later number of the kind of a heading open around the block ("九、…说明不适用十、…"
  under "三、… / 4、公司面临的风险"): a sibling of that heading whose break was lost.
- A risk-block title printed without a number ("公司面临的风险和应对措施" on a line of its own)
  opens its block below the innermost 一、-level heading instead of resetting the outline like a
  chapter title, so "十一、…" still ends it; inside a block already open it is a sub-title.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from risklens.filings.document import Document
from risklens.filings.fragments import is_fragment
from risklens.filings.headings import (
    Enumerator,
    display,
    is_front_title,
    parse_enumerator,
    split_inline_heading,
)
from risklens.filings.sections import (
    ANNUAL_REPORT_RISKS,
    ENDS_AT_TABLE,
    RISK_FACTORS,
    section_of_heading,
)

# A numbered paragraph that continues the outline stands in heading paths by its first
# clause, cut at this many characters.
ITEM_TITLE_CHARS = 30
# A numbered table row with this many characters besides figures is an item of the outline.
MIN_ITEM_CHARS = 8
# This many table rows or cells in a row end an annual report's risk block.
TABLE_RUN = 3
# The heading that is a table of contents, not a chapter.
TOC_TITLE = "目录"
# The kind of an unnumbered risk-block title inside the outline (``_Stack._open_unnumbered_block``).
UNNUMBERED = "unnumbered"
# Enumerator kinds that conventionally sit outside a heading of the key's kind.
OUTER_KINDS: dict[str, frozenset[str]] = {
    "paren_cn": frozenset({"cn"}),
    "arabic_dun": frozenset({"cn", "paren_cn"}),
    "arabic_dot": frozenset({"cn", "paren_cn"}),
    "paren_arabic": frozenset({"cn", "paren_cn", "arabic_dun", "arabic_dot"}),
}


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
    fragment: bool = False
    """A table cell or row of figures (``filings.fragments``), not a paragraph."""

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
        self.table_run = 0  # table rows or cells since the last prose paragraph
        self.table_since_heading = False  # a table came after the last opened heading
        self.prose_since_heading = False  # a paragraph came after the last opened heading

    def see_prose(self) -> None:
        self.table_run = 0
        self.prose_since_heading = True

    def _block_index(self) -> int | None:
        """Index of the innermost open heading that opened a section (the current block)."""
        for index in range(len(self.items) - 1, -1, -1):
            if self.items[index].section is not None:
                return index
        return None

    def section(self) -> str | None:
        index = self._block_index()
        return None if index is None else self.items[index].section

    def see_table(self) -> None:
        """A table row or cell: end an annual report's risk block after a run of them."""
        self.table_run += 1
        self.table_since_heading = True
        if self.table_run >= TABLE_RUN and self.prose_since_heading and self.section() in ENDS_AT_TABLE:
            self.end_block()

    def end_block(self) -> None:
        """Close the current block (the innermost section heading) and everything inside it."""
        index = self._block_index()
        if index is not None:
            del self.items[index:]
            self._path = None

    def leaves_block(self, enum: Enumerator) -> bool:
        """True if a paragraph numbered ``enum`` belongs to the outline around the current block:
        a number past 1 of a kind no open heading has, and either a 一、 kind in an annual
        report's risk block (whose heading sits at an inner level) or a kind outside the
        block's own numbered heading; or a later number of the kind of a heading open around
        the block ("九、…说明不适用十、…" under "三、… / 4、公司面临的风险": a sibling of "三、" whose
        break was lost, so it could not close the block as a heading)."""
        index = self._block_index()
        if index is None or enum.number <= 1:
            return False
        if self.has_kind(enum.kind):
            innermost = max(i for i, item in enumerate(self.items) if item.kind == enum.kind)
            return innermost < index and enum.number > self.items[innermost].number
        block = self.items[index]
        if enum.kind == "cn" and block.section in ENDS_AT_TABLE:
            return True
        return enum.kind in OUTER_KINDS.get(block.kind, frozenset())

    def continues_numbering(self, enum: Enumerator) -> bool:
        """True if ``enum`` is the next number of its kind (one may be lost in a table)."""
        expected = self.expected_number(enum.kind)
        if enum.number == expected:
            return True
        return enum.number == expected + 1 and expected > 1 and self.table_since_heading

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
        self.table_since_heading = self.prose_since_heading = False
        self.table_run = 0
        self._path = None
        if enum is None and title == TOC_TITLE:
            self.items = []  # a table of contents is no heading root
            return
        chapter_level = enum is None or enum.kind == "chapter"
        section = section_of_heading(
            title, chapter_level=chapter_level, numbered_risk_factors=self.numbered_risk_factors
        )
        if enum is None and section == ANNUAL_REPORT_RISKS and self.items and not is_front_title(title):
            self._open_unnumbered_block(title)
            return
        kind = "chapter" if enum is None else enum.kind
        entry = OpenHeading(kind, enum.number if enum else 0, display(enum, title), section)
        if chapter_level:
            self.items = [entry]
            return
        self.close(kind)
        self.items.append(entry)

    def _open_unnumbered_block(self, title: str) -> None:
        """An annual report's risk-block title printed without a number ("公司面临的风险和应对措施"
        after "十、…展望") sits inside the outline rather than resetting it like a chapter title:
        below the innermost 一、-level heading, so that the next 一、 sibling still ends the block.
        Inside a block already open (a sub-title naming it again) it opens nothing new."""
        if self.section() is not None:
            self.items.append(OpenHeading(UNNUMBERED, 0, title, None))
            return
        outer = [index for index, item in enumerate(self.items) if item.kind in ("chapter", "cn")]
        del self.items[outer[-1] + 1 if outer else 0 :]
        self.items.append(OpenHeading(UNNUMBERED, 0, title, ANNUAL_REPORT_RISKS))


def walk(doc: Document, *, numbered_risk_factors: bool = False) -> Iterator[ProseSpan]:
    """Yield every prose paragraph of ``doc`` with its heading path."""
    stack = _Stack(numbered_risk_factors)
    for block in doc.blocks:
        text = doc.block_text(block)
        if block.kind == "table":
            _numbered_table_row(stack, text)
            continue
        if block.kind == "heading":
            enum = None if is_front_title(text) else parse_enumerator(text)
            title = text.replace(" ", "") if enum is None else text[enum.end :]
            stack.open(enum, title)
            continue
        if is_fragment(text):
            yield ProseSpan(block.start, block.end, doc.page_at(block.start), stack.path(), fragment=True)
            stack.see_table()
            continue
        stack.see_prose()
        start = block.start
        enum = parse_enumerator(text)
        if enum is not None and stack.leaves_block(enum):
            stack.end_block()
        opened_item: Enumerator | None = None
        if enum is not None and enum.kind != "chapter" and stack.continues_numbering(enum):
            cut = split_inline_heading(text, enum)
            if cut is not None:
                head = text[:cut].rstrip("。：: ")
                stack.open(enum, head[enum.end :])
                start = block.start + cut
            elif stack.has_kind(enum.kind) or (enum.number == 1 and enum.kind in ("cn", "paren_cn")):
                opened_item = enum  # a numbered paragraph continuing the outline
                stack.close(enum.kind)
        yield ProseSpan(start, block.end, doc.page_at(start), stack.path())
        if opened_item is not None:
            stack.open(opened_item, _short_title(text[opened_item.end :]))


def _numbered_table_row(stack: _Stack, text: str) -> None:
    """A table row, or a numbered item that PDF layout made look like one.

    "十四、公司最近三年及一期投资收益分别为 7,446.73万元、…" is read as a table row (its
    figures stand in columns), but its number continues the outline: it opens its item,
    so that the rest of its text and the next item ("十五、") are not nested under the
    previous one.
    """
    enum = parse_enumerator(text)
    if (
        enum is not None
        and enum.kind in ("cn", "paren_cn")
        and stack.has_kind(enum.kind)
        and enum.number == stack.expected_number(enum.kind)
        and sum(not (ch.isdigit() or ch in " .,%") for ch in text[enum.end :]) >= MIN_ITEM_CHARS
    ):
        stack.close(enum.kind)
        stack.open(enum, _short_title(text[enum.end :]))
        return
    stack.see_table()


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

