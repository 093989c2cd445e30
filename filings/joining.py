"""Re-join broken lines into paragraphs, keep headings and tables on lines of their own.

A PDF breaks lines at the right margin, not at paragraph ends. A line break is a
paragraph break only when the line ends a sentence (。；！？), when the line is short and
ends with nothing that asks for more (a title), or when a heading or table row follows.
"Short" is measured against the document's usual full-line width, estimated from its own
lines, so the same rules work for PDFs, extracted text and page-lines JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from risklens.filings.cleanup import CleanLine
from risklens.filings.document import BlockKind, PendingBlock
from risklens.filings.headings import (
    INCOMPLETE_END,
    could_be_title,
    ends_sentence,
    has_heading_ending,
    is_front_title,
    parse_enumerator,
)
from risklens.filings.sections import ANNUAL_REPORT_RISKS, section_of_heading

# A line at least this share of the usual full width was wrapped by the margin.
FULL_SHARE = 0.8
# Fallback full-line width (35 Chinese characters) when a document has too few lines.
DEFAULT_WIDTH = 70
# The longest unnumbered line taken as a risk-block title; a longer one is more likely a wrapped sentence.
UNNUMBERED_TITLE_CHARS = 40


def estimate_full_width(lines: list[CleanLine]) -> int:
    """The usual width of a full (wrapped) line: the 80th percentile of unfinished lines."""
    widths = sorted(
        line.width
        for line in lines
        if line.kind == "text" and 40 <= line.width <= 140 and not ends_sentence(line.text)
    )
    if len(widths) < 20:
        return DEFAULT_WIDTH
    return widths[int(len(widths) * 0.8)]


def glue(left: str, right: str) -> str:
    """What goes between two re-joined lines: a space only between two Latin words."""
    if left and right and left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalnum():
        return " "
    return ""


@dataclass(slots=True)
class _Builder:
    """Accumulates lines into one block, remembering where pages change."""

    kind: BlockKind = "prose"
    text: str = ""
    marks: list[tuple[int, int]] = field(default_factory=list)
    last: CleanLine | None = None

    def add(self, line: CleanLine) -> None:
        sep = glue(self.text, line.text) if self.text else ""
        if not self.marks or self.marks[-1][1] != line.page:
            self.marks.append((len(self.text) + len(sep), line.page))
        self.text += sep + line.text
        self.last = line

    def take(self) -> PendingBlock | None:
        if not self.text:
            return None
        block = PendingBlock(self.text, self.kind, tuple(self.marks))
        self.text, self.marks, self.last = "", [], None
        return block


class Joiner:
    """Turns clean lines into blocks; one instance per document (it knows the line width)."""

    def __init__(self, lines: list[CleanLine]) -> None:
        self.lines = lines
        self.full = FULL_SHARE * estimate_full_width(lines)

    def blocks(self) -> list[PendingBlock]:
        """Headings, re-joined paragraphs and table rows, in reading order."""
        out: list[PendingBlock] = []
        current = _Builder()

        def flush() -> None:
            block = current.take()
            if block is not None:
                out.append(block)

        lines = self.lines
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.kind == "table":
                flush()
                out.append(PendingBlock(line.text, "table", ((0, line.page),)))
                i += 1
                continue
            span = self.heading_span(i)
            if span:
                flush()
                heading = _Builder(kind="heading")
                for part in lines[i : i + span]:
                    heading.add(part)
                block = heading.take()
                if block is not None:
                    out.append(block)
                i += span
                continue
            if current.last is not None and not self.continues(current.last, line):
                flush()
            current.add(line)
            i += 1
        flush()
        return out

    def is_full(self, line: CleanLine) -> bool:
        return line.width >= self.full

    def continues(self, previous: CleanLine, line: CleanLine) -> bool:
        """True if ``line`` continues the paragraph that ``previous`` is part of.

        A short line that ends with nothing asking for more is a title, a caption or the
        last line of a paragraph; figures and chart labels stay apart from the prose.
        """
        if ends_sentence(previous.text):
            return False
        last = previous.text[-1]
        if line.text[0] in "“\"" and last in "：:":
            return False  # "…披露如下：" then a quotation
        if previous.text[0] in "“\"" and len(previous.text) <= 80 and has_heading_ending(previous.text):
            return False  # a quoted heading on a line of its own
        if parse_enumerator(line.text) is not None and (last in "：:" or not self.is_full(previous)):
            return False
        if self.is_full(previous):
            return True
        return last in INCOMPLETE_END or last in "：:"

    def heading_span(self, i: int) -> int:
        """How many lines starting at ``i`` form one heading (0: not a heading)."""
        line = self.lines[i]
        if is_front_title(line.text):
            return 1
        enum = parse_enumerator(line.text)
        if enum is None:
            return 1 if self.is_unnumbered_risk_title(i) else 0
        title = line.text[enum.end :]
        nxt = self.lines[i + 1] if i + 1 < len(self.lines) else None
        if nxt is not None and nxt.kind != "text":
            nxt = None
        if enum.kind == "chapter":
            if not could_be_title(title, chapter=True):
                return 0
            if (
                not title
                and nxt is not None
                and parse_enumerator(nxt.text) is None
                and could_be_title(nxt.text, chapter=True)
                and len(nxt.text) <= 30
            ):
                return 2
            return 1
        if not could_be_title(title):
            return 1 if opens_section_with_full_stop(title) else 0
        if not self.is_full(line) or nxt is None:
            return 1
        if parse_enumerator(nxt.text) is not None or is_front_title(nxt.text):
            return 1
        # a long risk-block title ("…的风险因素以及采取的对策") is a heading, not wrapped text
        if has_heading_ending(title) or section_of_heading(title, chapter_level=False, numbered_risk_factors=False):
            return 1
        if not ends_sentence(nxt.text) and not self.is_full(nxt) and could_be_title(title + nxt.text):
            return 2  # a long heading wrapped onto a second line
        return 0  # a wrapped paragraph that happens to start with a number

    def is_unnumbered_risk_title(self, i: int) -> bool:
        """True for an annual report's risk-block title printed without a number on a short line
        of its own ("公司面临的风险和应对措施" between the outlook and "1、市场竞争风险"), after a
        line that does not run on into it. Numbered titles are headings by their number; an
        unnumbered one opened nothing, and its chapter gave "no risk section"."""
        line = self.lines[i]
        text = line.text.replace(" ", "")
        if len(text) > UNNUMBERED_TITLE_CHARS or self.is_full(line):
            return False
        if section_of_heading(text, chapter_level=False, numbered_risk_factors=False) != ANNUAL_REPORT_RISKS:
            return False
        previous = self.lines[i - 1] if i else None
        return previous is None or previous.kind != "text" or not self.continues(previous, line)


def opens_section_with_full_stop(title: str) -> bool:
    """True for a numbered title that names a risk block and ends in a full stop
    ("（四）可能面对的风险。"): some annual reports print it so, and the block would be lost.

    Only the names that open a section qualify; any other title ending in 。 is a sentence.
    """
    head, stop, rest = title.partition("。")
    return bool(stop) and not rest.strip() and section_of_heading(
        head, chapter_level=False, numbered_risk_factors=False) is not None
