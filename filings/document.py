"""The normalised document every reader produces, and its page lookup.

``text`` holds one block per line: a heading, a re-joined paragraph or a table row,
separated by "\\n". Offsets into ``text`` are what paragraphs and downstream stand-off
labels point at, so ``text`` never changes once built. Pages are stored as the offsets
where each page starts (not a page per character).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import dataclass
from typing import Literal, NamedTuple

BlockKind = Literal["prose", "heading", "table"]


class Block(NamedTuple):
    """A line of ``Document.text``: ``text[start:end]``, and what it is (immutable)."""

    start: int
    end: int
    kind: BlockKind
    page: int


@dataclass(frozen=True)
class Document:
    """A filing turned into clean text with page numbers.

    ``doc_id`` is the first 16 hex digits of the SHA-256 of the file's bytes, so the same
    file always gets the same id. ``page_starts[i]`` is the first offset of the page
    numbered ``page_numbers[i]``; page number 0 means *unknown* (a Word file, a text
    without page marks), and ``pages`` is 0 when no page is known.
    """

    doc_id: str
    name: str
    text: str
    reader: str
    pages: int
    page_starts: tuple[int, ...]
    page_numbers: tuple[int, ...]
    blocks: tuple[Block, ...]
    recovered: bool = False
    """The file was damaged (a cut-off download) and was read only as far as it goes."""
    pages_read: int | None = None
    """Pages that yielded text, where the reader counts them (PDF)."""

    def page_at(self, offset: int) -> int:
        """The page number of the character at ``offset`` (clamped to the text); 0 if unknown."""
        if not self.page_starts:
            return 0
        index = bisect_right(self.page_starts, max(0, offset)) - 1
        return self.page_numbers[max(0, index)]

    def block_text(self, block: Block) -> str:
        """The text of one block."""
        return self.text[block.start : block.end]


def content_id(data: bytes) -> str:
    """Stable document id: first 16 hex digits of the SHA-256 of the file bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class PendingBlock:
    """A block before assembly: its text and where its pages change.

    ``page_marks`` lists (offset within ``text``, page) pairs, the first at offset 0; a
    paragraph re-joined across a page break has two.
    """

    text: str
    kind: BlockKind
    page_marks: tuple[tuple[int, int], ...]


def build_document(
    *,
    data: bytes,
    name: str,
    reader: str,
    pages: int,
    blocks: list[PendingBlock],
    recovered: bool = False,
    pages_read: int | None = None,
    known_pages: frozenset[int] | None = None,
) -> Document:
    """Assemble a Document from blocks in reading order.

    Pages not in ``known_pages`` (when given) were guessed by the reader and become 0,
    unknown; ``pages`` is then the highest known page.
    """
    if known_pages is not None:
        pages = max(known_pages, default=0)
        blocks = [_forget_guessed_pages(block, known_pages) for block in blocks]
    parts: list[str] = []
    built: list[Block] = []
    starts: list[int] = []
    numbers: list[int] = []
    offset = 0
    for block in blocks:
        for relative, page in block.page_marks:
            if not numbers or numbers[-1] != page:
                starts.append(offset + relative)
                numbers.append(page)
        built.append(Block(offset, offset + len(block.text), block.kind, block.page_marks[0][1]))
        parts.append(block.text)
        offset += len(block.text) + 1
    return Document(
        doc_id=content_id(data),
        name=name,
        text="\n".join(parts),
        reader=reader,
        pages=max([pages, *numbers]) if numbers else max(pages, 0),
        page_starts=tuple(starts),
        page_numbers=tuple(numbers),
        blocks=tuple(built),
        recovered=recovered,
        pages_read=pages_read,
    )


def _forget_guessed_pages(block: PendingBlock, known: frozenset[int]) -> PendingBlock:
    """``block`` with every page not in ``known`` replaced by 0 (unknown)."""
    if all(page in known for _, page in block.page_marks):
        return block
    marks = tuple((offset, page if page in known else 0) for offset, page in block.page_marks)
    return PendingBlock(block.text, block.kind, marks)
