"""Harvest risk-disclosure paragraphs from the corpus through ``filings``.

The harvest is what the silver labeller labels and what annotators choose gold paragraphs
from. Each harvested paragraph keeps its stand-off address (corpus-relative path, file hash,
offsets, text hash) so a label can be stored without copying the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from risklens.labels.annotations import text_hash
from risklens.labels.sources import file_hash

# Filings under the corpus root that hold risk sections (seeds: only the filings).
FILING_GLOBS: tuple[str, ...] = (
    "corpus/ipo-2007-2021/*.txt",
    "corpus/ipo-2007-2021/*.md",
    "corpus/ipo-2024-2025/*.md",
    "corpus/refinancing/*.txt",
    "corpus/annual-reports/*.pdf",
    "seeds/002_*.txt",
    "seeds/004_*.txt",
)


@dataclass(frozen=True)
class Harvested:
    """A risk paragraph with its stand-off address."""

    doc: str
    doc_hash: str
    start: int
    end: int
    text_hash: str
    section: str
    heading: str
    page: int | None
    text: str

    def ref(self) -> dict[str, object]:
        """The stand-off reference (no text) of this paragraph."""
        return {
            "doc": self.doc,
            "doc_hash": self.doc_hash,
            "start": self.start,
            "end": self.end,
            "text_hash": self.text_hash,
            "section": self.section,
            "heading": self.heading,
            "page": self.page,
        }


def filing_paths(corpus_root: Path) -> list[Path]:
    """Every filing the harvest reads, in a stable order."""
    paths: list[Path] = []
    for pattern in FILING_GLOBS:
        paths.extend(sorted(corpus_root.glob(pattern)))
    return paths


def harvest_file(path: Path, corpus_root: Path, sections: str = "risk") -> list[Harvested]:
    """Risk paragraphs of one filing (raises ``filings.errors.FilingError`` on bad input)."""
    from risklens.filings import extract_paragraphs, load_document

    document = load_document(path)
    rel = path.relative_to(corpus_root).as_posix()
    digest = file_hash(path)
    out: list[Harvested] = []
    for paragraph in extract_paragraphs(document, sections=sections):
        out.append(
            Harvested(
                doc=rel,
                doc_hash=digest,
                start=paragraph.start,
                end=paragraph.end,
                text_hash=text_hash(paragraph.text),
                section=paragraph.section,
                heading=paragraph.heading,
                page=paragraph.page,
                text=paragraph.text,
            )
        )
    return out


def harvest(
    corpus_root: Path,
    *,
    sections: str = "risk",
    on_error: Callable[[Path, Exception], None] | None = None,
) -> Iterator[Harvested]:
    """Harvest every filing under ``corpus_root``; failures go to ``on_error`` and are skipped."""
    from risklens.filings.errors import FilingError

    for path in filing_paths(corpus_root):
        try:
            yield from harvest_file(path, corpus_root, sections)
        except FilingError as exc:
            if on_error is None:
                raise
            on_error(path, exc)
