"""Plain-text table and Markdown renderings of profiles and comparisons.

The table is for a terminal (columns padded by display width, so Chinese lines up); the
Markdown is for pasting into a review or an issue. Both show the top risks only; the JSON
(``to_dict``) has everything.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from risklens.scoring.compare import STATUS_ORDER, Comparison, EvidencePair, RiskChange
from risklens.scoring.peers import EMPHASISED, EXPECTED_ABSENT, FLAG_TEXT, UNUSUAL, flagged
from risklens.scoring.profile import FilingProfile, RiskScore

DEFAULT_TOP = 10
SNIPPET = 90


def pad(text: str, width: int) -> str:
    """``text`` cut or padded with spaces to exactly ``width`` display columns."""
    out, used = [], 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out) + " " * (width - used)


def snippet(text: str, limit: int = SNIPPET) -> str:
    """One line of at most ``limit`` characters, whitespace collapsed."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


PAGE_UNKNOWN = "page unknown"
"""Shown instead of a page number when the filing does not say (never a guess)."""


def where(page: int | None, heading: str) -> str:
    """"p.12 · heading path", or "page unknown · heading path"."""
    head = heading or "(no heading)"
    return f"p.{page} · {head}" if page else f"{PAGE_UNKNOWN} · {head}"


def short_heading(heading: str) -> str:
    """The innermost level of a heading path (the risk's own title)."""
    return heading.rsplit(" / ", 1)[-1] if heading else ""


def _header(profile: FilingProfile) -> list[str]:
    doc = profile.document
    sections = ", ".join(f"{name} {count}" for name, count in profile.sections.items()) or "none"
    pages = f", {doc.pages} pages" if doc.pages else ""
    if doc.recovered:
        pages += f" — RECOVERED from a damaged file: text on {doc.pages_read or 0} of {doc.pages or '?'} pages"
    model = profile.model
    title = f"{doc.title()} ({doc.name})" if doc.title() != doc.name else doc.name
    return [
        f"{title}: {len(profile.paragraphs)} risk paragraphs ({sections}){pages}",
        f"model {model.get('name', '?')} {model.get('version', '?')} · {profile.taxonomy_version} · {profile.profile_version}",
        peer_line(profile),
    ]


def peer_line(profile: FilingProfile) -> str:
    """"peers: prospectus · industry C39 · 2021–2025 · n = 34 (shipped peers)", or why there are none."""
    if profile.peers is None:
        return "peers: none (no peer baseline; `risklens score --db FILE` or a model with peer_baseline.json)"
    return f"peers: {profile.peers.describe()}"


def percent(share: float | None) -> str:
    """0.153 -> "15%"; None -> "–"."""
    return "–" if share is None else f"{100 * share:.0f}%"


def number(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def flag_lines(profile: FilingProfile) -> list[str]:
    """The flags as sentences, unusual and expected-but-absent first, each with the peer share."""
    lines = []
    for flag in (UNUSUAL, EXPECTED_ABSENT, EMPHASISED):
        items = flagged(profile, flag)
        if items:
            listed = ", ".join(f"{r.id} {r.zh} ({percent(r.peer_prevalence)} of peers)" for r in items)
            lines.append(f"{FLAG_TEXT[flag]}: {listed}")
    if profile.peers is not None and profile.peers.too_small:
        lines.append("flags: not judged, the peer group is too small")
    return lines


def _top(profile: FilingProfile, top: int) -> list[RiskScore]:
    return profile.disclosed()[:top]


def profile_table(profile: FilingProfile, top: int = DEFAULT_TOP) -> str:
    """The terminal view: the top disclosed risks ranked by score, then the groups."""
    lines = _header(profile)
    risks = _top(profile, top)
    if not risks:
        lines.append("no risk reaches its threshold in this filing.")
        return "\n".join(lines) + "\n"
    flags = flag_lines(profile)
    if flags:
        lines += ["", *flags]
    lines.append("")
    lines.append(f"{'#':>2}  {'score':>5}  {'rel':>3}  {'peers':>5}  {'paras':>5}  {pad('risk', 44)}  {pad('flag', 15)}  first evidence")
    for item in risks:
        label = f"{item.id} {item.zh}"
        evidence = item.evidence[0] if item.evidence else None
        place = snippet(where(evidence.page, short_heading(evidence.heading)), 60) if evidence else ""
        lines.append(f"{item.rank:>2}  {item.score:5.1f}  {number(item.relative):>3}  {percent(item.peer_prevalence):>5}  "
                     f"{item.paragraphs:>5}  {pad(label, 44)}  {pad(','.join(item.flags), 15)}  {place}")
    groups = " · ".join(f"{g.id} {g.score:.0f}" for g in profile.groups if g.disclosed)
    lines.append("")
    lines.append(f"groups: {groups}")
    hidden = len(profile.disclosed()) - len(risks)
    if hidden > 0:
        lines.append(f"(+{hidden} more disclosed risks; --top N or --format json shows them)")
    return "\n".join(lines) + "\n"


def profiles_table(profiles: Sequence[FilingProfile], top: int = DEFAULT_TOP) -> str:
    return "\n".join(profile_table(p, top) for p in profiles)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def profile_markdown(profile: FilingProfile, top: int = DEFAULT_TOP) -> str:
    """A Markdown report: the ranking table, group scores, evidence per top risk."""
    doc = profile.document
    out = [f"# Risk profile: {doc.title()}", ""]
    out += [f"- {line}" for line in _header(profile)]
    out += [f"- **{line.split(': ', 1)[0]}**: {line.split(': ', 1)[1]}" for line in flag_lines(profile) if ": " in line]
    out += ["", "| # | risk | 中文 | score | relative | peers disclosing | peer median | flags | paragraphs | first evidence |",
            "|---:|---|---|---:|---:|---:|---:|---|---:|---|"]
    risks = _top(profile, top)
    for item in risks:
        ev = item.evidence[0] if item.evidence else None
        place = _md_escape(where(ev.page, ev.heading)) if ev else ""
        out.append(f"| {item.rank} | `{item.id}` | {item.zh} | {item.score:.1f} | {number(item.relative)} | "
                   f"{percent(item.peer_prevalence)} | {number(item.peer_median)} | {', '.join(item.flags)} | "
                   f"{item.paragraphs} | {place} |")
    if not risks:
        out.append("| | no risk reaches its threshold | | | | | | | | |")
    out += ["", "## Groups", "", "| group | score | paragraphs |", "|---|---:|---:|"]
    out += [f"| {g.id} ({g.zh}) | {g.score:.1f} | {g.paragraphs} |" for g in profile.groups]
    out += ["", "## Evidence", ""]
    for item in risks:
        out.append(f"### {item.rank}. `{item.id}` {item.zh} — {item.score:.1f}")
        out.append("")
        for ev in item.evidence:
            out.append(f"*{_md_escape(where(ev.page, ev.heading))}* — p = {ev.probability:.2f}")
            out.append("")
            out.append(f"> {' '.join(ev.text.split())}")
            out.append("")
    out += ["## Formula", "", profile.formula, ""]
    return "\n".join(out)


def profiles_markdown(profiles: Sequence[FilingProfile], top: int = DEFAULT_TOP) -> str:
    return "\n\n".join(profile_markdown(p, top) for p in profiles)


def _pair_line(pair: EvidencePair) -> str:
    ev = pair.evidence
    line = f"      {pair.side}: {where(ev.page, short_heading(ev.heading))} (p={ev.probability:.2f}) {snippet(ev.text, 60)}"
    if pair.counterpart is None:
        return line + f"\n        ↔ no counterpart in the {'new' if pair.side == 'old' else 'old'} filing"
    cp = pair.counterpart
    return line + (
        f"\n        ↔ {where(cp.page, short_heading(cp.heading))} (similarity {pair.similarity:.2f}, p={cp.probability:.2f})"
    )


def _risk_lines(risk: RiskChange, evidence: bool) -> list[str]:
    lines = [
        f"  {pad(risk.id + ' ' + risk.zh, 46)} {risk.old_score:5.1f} → {risk.new_score:5.1f}"
        f" ({risk.delta:+.1f})  paragraphs {risk.old_paragraphs} → {risk.new_paragraphs}"
    ]
    lines += [f"      · {reason}" for reason in risk.reasons if risk.status == "changed"]
    if evidence:
        pairs = risk.old_evidence[:1] + risk.new_evidence[:1]
        lines += [_pair_line(pair) for pair in pairs]
    return lines


def comparison_table(comparison: Comparison, evidence: bool = True) -> str:
    """Terminal view of a comparison: added, removed, changed, then a count of the rest."""
    a = comparison.alignment
    lines = [
        f"old: {comparison.old.name}  ({a.old_paragraphs} risk paragraphs)",
        f"new: {comparison.new.name}  ({a.new_paragraphs} risk paragraphs)",
        f"aligned {a.matched} paragraph pairs ({a.rewritten} rewritten), {a.only_old} only in old, {a.only_new} only in new",
    ]
    for status in STATUS_ORDER[:3]:
        risks = comparison.by_status(status)
        lines.append("")
        lines.append(f"{status} ({len(risks)}):")
        for risk in risks:
            lines += _risk_lines(risk, evidence)
        if not risks:
            lines.append("  (none)")
    unchanged = comparison.by_status("unchanged")
    if unchanged:
        lines.append("")
        lines.append(f"unchanged ({len(unchanged)}): " + ", ".join(r.id for r in unchanged))
    lines.append("")
    s = comparison.settings
    lines.append(
        f"changed = score moves ≥ {s['change_delta']:.0f} points or top evidence < "
        f"{s['rewrite_similarity']:.2f} similar to the old evidence"
    )
    return "\n".join(lines) + "\n"


def _md_side(pair: EvidencePair | None) -> str:
    if pair is None:
        return ""
    ev = pair.evidence
    return f"*{_md_escape(where(ev.page, short_heading(ev.heading)))}* (p = {ev.probability:.2f}) {_md_escape(snippet(ev.text))}"


def _md_change(risk: RiskChange) -> list[str]:
    out = [f"### `{risk.id}` {risk.zh} — {risk.old_score:.1f} → {risk.new_score:.1f} ({risk.delta:+.1f})", ""]
    out += [f"- paragraphs {risk.old_paragraphs} → {risk.new_paragraphs}"]
    out += [f"- {_md_escape(reason)}" for reason in risk.reasons if risk.status == "changed"]
    old = risk.old_evidence[0] if risk.old_evidence else None
    new = risk.new_evidence[0] if risk.new_evidence else None
    if old or new:
        out += ["", "| old filing | new filing |", "|---|---|", f"| {_md_side(old)} | {_md_side(new)} |"]
    return [*out, ""]


def comparison_markdown(comparison: Comparison) -> str:
    """A Markdown report of a comparison: the same sections as the table, with the top
    evidence of each side in a two-column table, for pasting into a review."""
    a = comparison.alignment
    out = [f"# Risk comparison: {comparison.old.title()} → {comparison.new.title()}", "",
           f"- old: {comparison.old.name} ({a.old_paragraphs} risk paragraphs)",
           f"- new: {comparison.new.name} ({a.new_paragraphs} risk paragraphs)",
           f"- aligned {a.matched} paragraph pairs ({a.rewritten} rewritten), {a.only_old} only in old, "
           f"{a.only_new} only in new", ""]
    for status in STATUS_ORDER[:3]:
        risks = comparison.by_status(status)
        out += [f"## {status} ({len(risks)})", ""]
        for risk in risks:
            out += _md_change(risk)
        if not risks:
            out += ["(none)", ""]
    unchanged = comparison.by_status("unchanged")
    if unchanged:
        out += [f"## unchanged ({len(unchanged)})", "", ", ".join(f"`{r.id}`" for r in unchanged), ""]
    s = comparison.settings
    out.append(f"*changed* = score moves ≥ {s['change_delta']:.0f} points or the top evidence is less than "
               f"{s['rewrite_similarity']:.2f} similar to the old evidence.")
    return "\n".join(out) + "\n"
