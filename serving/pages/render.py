"""Jinja2 rendering of the pages, and the pieces they show that the CLI report lacks.

Templates live in ``templates/`` beside this module and are autoescaped; every string
from a filing reaches the page escaped. The profile page embeds the CLI's own HTML
report (``scoring.report_html.profile_section``), so whatever that report shows — and
anything added to it later, such as peer flags — shows here too; this module adds only
the interactive parts: each paragraph's 30 probabilities and its label form, and a
character-level diff of aligned paragraphs for the comparison — and puts the report's peer
section into Chinese first, in its place.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from risklens.labels.taxonomy import GROUP_OF, LEAVES
from risklens.scoring.peers import EMPHASISED, EXPECTED_ABSENT, FLAG_TEXT, UNUSUAL, flagged
from risklens.scoring.profile import FilingProfile, RiskScore
from risklens.scoring.report_html import CSS as REPORT_CSS
from risklens.scoring.report_html import PALETTE, profile_section
from risklens.scoring.score import ScoredFiling

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
LEAF_NAMES = {leaf.id: leaf for leaf in LEAVES}
_ALL_PARAGRAPHS = '<section class="card"><details><summary>All risk paragraphs'
_PEERS = '<section class="card"><h2>Against its peers</h2>'
REPORT_HEADINGS = {
    "Scores by group and leaf": "按类别评分",
    "Disclosed risks": "已披露的风险",
    "Evidence": "证据",
    "How scores are computed": "评分方法",
}
"""The Chinese put before the CLI report's English section titles on the page."""
_HEADING = re.compile(r"<h2>((" + "|".join(map(re.escape, REPORT_HEADINGS)) + r")[^<]*)</h2>")

environment = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
)
environment.globals["report_css"] = Markup(REPORT_CSS)  # the CLI report's CSS, trusted
environment.globals["leaves"] = LEAVES


def chip_colour(leaf: str) -> str:
    """The colour of a leaf's chip: its group's, as in the CLI report."""
    return PALETTE.get(GROUP_OF.get(leaf, leaf), "#868e96")


environment.globals["chip_colour"] = chip_colour
environment.globals["leaf_names"] = LEAF_NAMES


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
    lists them itself, expandable and correctable), with its peer section ("Against its
    peers") in Chinese and English (``peer_section``) in the same place, first after the head,
    and Chinese before its English section titles."""
    html = _cut(profile_section(scored.profile), _ALL_PARAGRAPHS)
    start = html.find(_PEERS)
    if start >= 0:
        end = html.find("</section>", start) + len("</section>")
        html = html[:start] + peer_section(scored.profile) + html[end:]
    html = _HEADING.sub(lambda m: f'<h2>{REPORT_HEADINGS[m.group(2)]} <span class="en">{m.group(1)}</span></h2>', html)
    return Markup(html)  # built by report_html and our templates, which escape every filing string


def _cut(html: str, opening: str) -> str:
    """``html`` without the section that starts with ``opening``."""
    start = html.find(opening)
    if start < 0:
        return html
    end = html.find("</section>", start)
    return html[:start] + html[end + len("</section>"):]


@dataclass(frozen=True)
class PeerFlag:
    """One kind of peer flag with the leaves that carry it, as the profile page lists them."""

    flag: str
    zh: str
    en: str
    risks: list[RiskScore]


FLAG_ZH = {UNUSUAL: "同行少见", EXPECTED_ABSENT: "同行通常披露、此处缺失", EMPHASISED: "比同行更突出"}
"""The Chinese of ``scoring.peers.FLAG_TEXT``."""


def peer_flags(profile: FilingProfile) -> list[PeerFlag]:
    """The flags of ``profile`` in the CLI report's order (unusual, expected but absent,
    emphasised), each with its leaves; kinds no leaf carries are left out."""
    out = []
    for flag in (UNUSUAL, EXPECTED_ABSENT, EMPHASISED):
        risks = flagged(profile, flag)
        if risks:
            out.append(PeerFlag(flag, FLAG_ZH[flag], FLAG_TEXT[flag], risks))
    return out


def peer_section(profile: FilingProfile) -> str:
    """The peer group and its flags as the page shows them (templates/peers.html)."""
    return render("peers.html", peers=profile.peers, flags=peer_flags(profile) if profile.peers else [])


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
