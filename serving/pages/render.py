"""Jinja2 rendering of the pages, and the pieces they show that the CLI report lacks.

Templates live in ``templates/`` beside this module and are autoescaped; every string
from a filing reaches the page escaped. The profile page embeds the CLI's own HTML
report (``scoring.report_html.profile_section``), so whatever that report shows — and
anything added to it later, such as peer flags — shows here too; this module adds only
the interactive parts: each paragraph's 30 probabilities and its label form, and a
character-level diff of aligned paragraphs for the comparison.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from risklens.labels.taxonomy import LEAVES
from risklens.scoring.report_html import CSS as REPORT_CSS
from risklens.scoring.report_html import profile_section
from risklens.scoring.score import ScoredFiling

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
LEAF_NAMES = {leaf.id: leaf for leaf in LEAVES}
_ALL_PARAGRAPHS = '<section class="card"><details><summary>All risk paragraphs'

environment = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
)
environment.globals["report_css"] = Markup(REPORT_CSS)  # the CLI report's CSS, trusted
environment.globals["leaves"] = LEAVES


def render(template: str, **context: Any) -> str:
    """The HTML of ``template`` with ``context``."""
    return environment.get_template(template).render(**context)


@dataclass(frozen=True)
class Probability:
    """One leaf's probability for one paragraph, and whether the model assigns the leaf."""

    leaf: str
    zh: str
    en: str
    value: float
    assigned: bool


@dataclass(frozen=True)
class ParagraphView:
    """A risk paragraph as the profile page lists it."""

    index: int
    section: str
    heading: str
    page: int | None
    text: str
    labels: list[str]
    probabilities: list[Probability]  # all 30, highest first


def paragraph_views(scored: ScoredFiling) -> list[ParagraphView]:
    """Every risk paragraph with its 30 probabilities (highest first) and assigned leaves."""
    views = []
    for i, (paragraph, result) in enumerate(zip(scored.paragraphs, scored.profile.paragraphs, strict=True)):
        assigned = set(result.labels)
        probs = [
            Probability(leaf, LEAF_NAMES[leaf].zh, LEAF_NAMES[leaf].en, float(p), leaf in assigned)
            for leaf, p in zip(scored.labels, scored.probs[i], strict=True)
        ]
        probs.sort(key=lambda item: -item.value)
        views.append(ParagraphView(i, paragraph.section, paragraph.heading, paragraph.page,
                                   " ".join(paragraph.text.split()), list(result.labels), probs))
    return views


def report_fragment(scored: ScoredFiling) -> Markup:
    """The CLI report of the profile, without its static list of all paragraphs (the page
    lists them itself, expandable and correctable)."""
    html = profile_section(scored.profile)
    start = html.find(_ALL_PARAGRAPHS)
    if start >= 0:
        end = html.find("</section>", start)
        html = html[:start] + html[end + len("</section>"):]
    return Markup(html)  # built by report_html, which escapes every filing string


def peer_flags(profile_dict: dict[str, Any]) -> list[str]:
    """One line per peer flag when the profile carries them (keys ``peer_flags`` or
    ``peers``, added by the peer-comparison work), else nothing."""
    flags = profile_dict.get("peer_flags") or profile_dict.get("peers") or []
    if isinstance(flags, dict):
        flags = [f"{key}: {value}" for key, value in flags.items()]
    lines = []
    for flag in flags if isinstance(flags, list) else []:
        if isinstance(flag, dict):
            lines.append(" · ".join(f"{k}: {v}" for k, v in flag.items()))
        else:
            lines.append(str(flag))
    return lines


def char_diff(old: str, new: str) -> tuple[Markup, Markup]:
    """``old`` and ``new`` as HTML with deleted characters in ``<del>`` and inserted ones in
    ``<ins>`` (difflib on characters: Chinese has no word boundaries to diff on)."""
    old, new = " ".join(old.split()), " ".join(new.split())
    left: list[str] = []
    right: list[str] = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(escape(old[a0:a1]))
            right.append(escape(new[b0:b1]))
            continue
        if a1 > a0:
            left.append(f"<del>{escape(old[a0:a1])}</del>")
        if b1 > b0:
            right.append(f"<ins>{escape(new[b0:b1])}</ins>")
    return Markup("".join(left)), Markup("".join(right))


CSV_COLUMNS = ("rank", "id", "zh", "en", "group", "score", "disclosure", "prominence", "paragraphs",
               "disclosed", "first_evidence_page", "first_evidence_heading")


def profile_csv(scored: ScoredFiling) -> str:
    """One row per leaf (best score first), the columns of the ranking table."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for leaf in scored.profile.leaves:
        first = leaf.evidence[0] if leaf.evidence else None
        writer.writerow([
            leaf.rank, leaf.id, leaf.zh, leaf.en, leaf.group, f"{leaf.score:.2f}", f"{leaf.disclosure:.4f}",
            f"{leaf.prominence:.4f}", leaf.paragraphs, leaf.disclosed,
            first.page if first and first.page is not None else "", first.heading if first else "",
        ])
    return buffer.getvalue()
