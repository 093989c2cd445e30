"""``extract_paragraphs``: a Document to addressable paragraphs with heading paths."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from risklens.filings.document import Document
from risklens.filings.errors import FilingError, NoRiskSection
from risklens.filings.sections import FALLBACK_SECTIONS, OTHER, SELECTIONS
from risklens.filings.structure import has_chapter_risk_factors, walk

HEADING_SEPARATOR = " / "
"""How heading paths are joined (TAXONOMY.md: outermost first, joined with " / ")."""
_SECTION_NAMES = {
    "risk": "风险因素, 重大事项提示, 特别风险提示, 可能面对的风险, 风险提示 or 风险管理",
    "major": "重大事项提示 or 特别风险提示",
}


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of a filing; ``doc.text[start:end] == text`` always holds.

    ``id`` is ``f"{doc_id}-{n:04d}"`` with n counting every paragraph of the document from
    1, so a paragraph keeps its id whichever sections are selected. ``page`` is None
    when the page is unknown (null in JSONL): never a guess.
    """

    doc: str
    id: str
    section: str
    heading: str
    heading_levels: tuple[str, ...]
    page: int | None
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (heading_levels as a list)."""
        data = asdict(self)
        data["heading_levels"] = list(self.heading_levels)
        return data


def all_paragraphs(doc: Document) -> list[Paragraph]:
    """Every prose paragraph of ``doc``, with section ``other`` outside risk sections.

    Table cells and rows of figures that lost their table layout (``filings.fragments``)
    are left out; they still count for the ids, so the ids of paragraphs stay put.
    """
    numbered = not has_chapter_risk_factors(doc)
    out: list[Paragraph] = []
    last_path: object = None
    levels: tuple[str, ...] = ()
    heading = ""
    for n, span in enumerate(walk(doc, numbered_risk_factors=numbered), start=1):
        if span.fragment:
            continue
        if span.path is not last_path:  # the path object only changes at headings
            last_path = span.path
            levels = tuple(h.text for h in span.path)
            heading = HEADING_SEPARATOR.join(levels)
        out.append(
            Paragraph(
                doc=doc.doc_id,
                id=f"{doc.doc_id}-{n:04d}",
                section=span.section or OTHER,
                heading=heading,
                heading_levels=levels,
                page=span.page or None,
                start=span.start,
                end=span.end,
                text=doc.text[span.start : span.end],
            )
        )
    return out


def extract_paragraphs(doc: Document, sections: str = "risk") -> list[Paragraph]:
    """Paragraphs of the selected sections: "risk", "major" or "all".

    "risk" takes a bank's 风险管理 section (``risk_management``) only when the filing has
    no other risk section. Raises ``NoRiskSection`` when "risk" or "major" finds nothing,
    so callers can tell an empty selection from a document without risk disclosures.
    """
    paragraphs = all_paragraphs(doc)
    if sections == "all":
        return paragraphs
    wanted = SELECTIONS.get(sections)
    if wanted is None:
        raise FilingError(doc.name, f"unknown sections {sections!r}; expected risk, major or all")
    chosen = [p for p in paragraphs if p.section in wanted]
    fallback = FALLBACK_SECTIONS.get(sections, frozenset())
    if not chosen and fallback:
        chosen = [p for p in paragraphs if p.section in fallback]
    if not chosen:
        raise NoRiskSection(
            doc.name,
            f"no {_SECTION_NAMES[sections]} section found; it may not be a filing with risk disclosures",
        )
    return chosen
