"""Self-contained HTML reports: one file, inline CSS and SVG, no script, no network.

A profile report shows a bar chart of the group and leaf scores, the ranking of the
disclosed risks, the evidence paragraphs of each (highlighted, with heading path, page and
probability), every risk paragraph of the filing with its labels (paragraphs that carry a
label are highlighted), the model and taxonomy versions and the scoring formula. A
Content-Security-Policy meta tag forbids any outside fetch, so the file opens offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from risklens.labels.taxonomy import GROUP_OF, GROUPS
from risklens.scoring.compare import STATUS_ORDER, Comparison, EvidencePair, RiskChange
from risklens.scoring.peers import EMPHASISED, EXPECTED_ABSENT, FLAG_TEXT, UNUSUAL, flagged
from risklens.scoring.profile import DocumentInfo, Evidence, FilingProfile, RiskScore

PALETTE = {
    "technology": "#4e79a7",
    "operations": "#f28e2b",
    "international": "#e15759",
    "financial": "#76b7b2",
    "governance": "#59a14f",
    "legal": "#edc948",
    "industry": "#b07aa1",
    "offering": "#ff9da7",
    "other": "#9c755f",
}

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --hit:#fff3bf; --strong:#ffe066; }
* { box-sizing:border-box; }
body { font-family: "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;
       color:var(--ink); margin:0; background:#f5f7fa; line-height:1.55; }
main { max-width:1080px; margin:0 auto; padding:24px; }
section.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:16px 20px; margin:16px 0; }
h1 { font-size:22px; margin:0 0 4px; } h2 { font-size:18px; margin:0 0 12px; } h3 { font-size:15px; margin:16px 0 6px; }
.meta { color:var(--muted); font-size:13px; } .meta code { color:var(--ink); }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.chip { display:inline-block; padding:0 6px; margin:1px 2px; border-radius:10px; font-size:12px; color:#fff; }
blockquote { margin:6px 0 12px; padding:8px 12px; border-left:4px solid var(--strong); background:var(--hit); }
blockquote mark { background:var(--strong); padding:0 1px; }
.where { font-size:12px; color:var(--muted); }
.para { padding:6px 10px; margin:4px 0; border-radius:4px; font-size:13px; }
.para.hit { background:var(--hit); border-left:4px solid var(--strong); }
.para.miss { color:var(--muted); }
.cols { display:grid; grid-template-columns:1fr 1fr; gap:12px; }
.flag-unusual { color:#c92a2a; } .flag-expected_absent { color:#e67700; } .flag-emphasised { color:#1c7ed6; }
.status-added { color:#2b8a3e; } .status-removed { color:#c92a2a; } .status-changed { color:#e67700; }
details summary { cursor:pointer; font-weight:600; }
svg text { font-size:12px; fill:var(--ink); }
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body><main>\n{body}\n</main></body>\n</html>\n"
    )


def _where(page: int | None, heading: str) -> str:
    head = escape(heading) if heading else "(no heading)"
    return f"p.{page} · {head}" if page else f"page unknown · {head}"


def _chip(label: str) -> str:
    color = PALETTE.get(GROUP_OF.get(label, label), "#868e96")
    return f"<span class=\"chip\" style=\"background:{color}\">{escape(label)}</span>"


def bar_chart(profile: FilingProfile) -> str:
    """SVG bars: each group's score, followed by its leaves' scores (taxonomy order)."""
    rows: list[tuple[str, float, str, bool]] = []  # label, score, colour, is_group
    by_id = {item.id: item for item in profile.leaves}
    for group in GROUPS:
        g = profile.group(group)
        rows.append((f"{group} · {g.zh}", g.score, PALETTE.get(group, "#868e96"), True))
        for leaf in (item for item in profile.leaves if item.group == group):
            colour = PALETTE.get(group, "#868e96") if leaf.disclosed else "#ced4da"
            rows.append((f"{leaf.id} · {by_id[leaf.id].zh}", leaf.score, colour, False))
    label_w, bar_w, row_h = 410, 520, 18
    height = row_h * len(rows) + 30
    parts = [
        f"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"risk scores by group and leaf\" "
        f"width=\"100%\" viewBox=\"0 0 {label_w + bar_w + 50} {height}\">"
    ]
    for tick in (0, 25, 50, 75, 100):
        x = label_w + bar_w * tick / 100
        parts.append(f"<line x1=\"{x:.1f}\" y1=\"0\" x2=\"{x:.1f}\" y2=\"{height - 18}\" stroke=\"#e4e7eb\"/>")
        parts.append(f"<text x=\"{x:.1f}\" y=\"{height - 4}\" text-anchor=\"middle\">{tick}</text>")
    for i, (label, score, colour, is_group) in enumerate(rows):
        y = i * row_h
        weight = " font-weight=\"700\"" if is_group else ""
        indent = 4 if is_group else 18
        width = bar_w * max(0.0, min(score, 100.0)) / 100
        parts.append(f"<text x=\"{indent}\" y=\"{y + 13}\"{weight}>{escape(label)}</text>")
        opacity = "1" if is_group else "0.8"
        parts.append(
            f"<rect x=\"{label_w}\" y=\"{y + 3}\" width=\"{width:.1f}\" height=\"{row_h - 6}\" "
            f"fill=\"{colour}\" opacity=\"{opacity}\"><title>{escape(label)}: {score:.1f}</title></rect>"
        )
        parts.append(f"<text x=\"{label_w + width + 4:.1f}\" y=\"{y + 13}\">{score:.0f}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _evidence_block(ev: Evidence) -> str:
    return (
        f"<div class=\"where\">{_where(ev.page, ev.heading)} · p = {ev.probability:.2f} · "
        f"{' '.join(_chip(label) for label in ev.labels)}</div>"
        f"<blockquote><mark>{escape(' '.join(ev.text.split()))}</mark></blockquote>"
    )


def _share(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def peer_summary(profile: FilingProfile) -> str:
    """The flags first ("unusual for its peers", "peers usually disclose, missing here"), with the peer group."""
    if profile.peers is None:
        return ("<section class=\"card\"><h2>Against its peers</h2><p class=\"meta\">No peer baseline: "
                "score with <code>--db FILE</code> or a model that ships <code>peer_baseline.json</code>.</p></section>")
    blocks = []
    for flag in (UNUSUAL, EXPECTED_ABSENT, EMPHASISED):
        items = flagged(profile, flag)
        if items:
            lis = "".join(
                f"<li>{_chip(r.id)} {escape(r.zh)} — {_share(r.peer_prevalence)} of peers disclose it"
                f"{f', score {r.score:.0f}, relative {_num(r.relative)}' if r.disclosed else ''}</li>"
                for r in items
            )
            blocks.append(f"<h3 class=\"flag-{flag}\">{escape(FLAG_TEXT[flag])} ({len(items)})</h3><ul>{lis}</ul>")
    if profile.peers.too_small:
        blocks.append("<p><b>Too few peers to judge</b>: no flags raised.</p>")
    elif not blocks:
        blocks.append("<p>Nothing unusual: every disclosed risk is common among the peers, none they usually disclose is missing.</p>")
    return (f"<section class=\"card\"><h2>Against its peers</h2><div class=\"meta\">peer group: "
            f"{escape(profile.peers.describe())}</div>{''.join(blocks)}</section>")


def _ranking(risks: Sequence[RiskScore]) -> str:
    rows = "".join(
        f"<tr><td class=\"num\">{item.rank}</td><td>{_chip(item.id)} {escape(item.zh)}</td>"
        f"<td class=\"num\">{item.score:.1f}</td><td class=\"num\">{_num(item.relative)}</td>"
        f"<td class=\"num\">{_share(item.peer_prevalence)}</td><td class=\"num\">{_num(item.peer_median)}</td>"
        f"<td>{escape(', '.join(item.flags))}</td><td class=\"num\">{item.paragraphs}</td>"
        f"<td class=\"num\">{item.disclosure:.2f}</td><td class=\"num\">{item.prominence:.2f}</td>"
        f"<td>{_where(item.evidence[0].page, item.evidence[0].heading) if item.evidence else ''}</td></tr>"
        for item in risks
    )
    return (
        "<table><thead><tr><th class=\"num\">#</th><th>risk</th><th class=\"num\">score</th>"
        "<th class=\"num\">relative</th><th class=\"num\">peers disclosing</th><th class=\"num\">peer median</th>"
        "<th>flags</th><th class=\"num\">paragraphs</th><th class=\"num\">D</th><th class=\"num\">P</th>"
        f"<th>first evidence</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def profile_section(profile: FilingProfile) -> str:
    """The HTML of one filing's profile (several may share a page)."""
    doc = profile.document
    model = profile.model
    disclosed = profile.disclosed()
    sections = ", ".join(f"{escape(k)} {v}" for k, v in profile.sections.items()) or "none"
    head = (
        f"<section class=\"card\"><h1>Risk profile: {escape(doc.title())}</h1>"
        f"<div class=\"meta\"><code>{escape(doc.name)}</code> · {len(profile.paragraphs)} risk paragraphs ({sections})"
        f"{f' · {doc.pages} pages' if doc.pages else ''} · reader <code>{escape(doc.reader)}</code>"
        f"{_recovered_note(doc)}<br>"
        f"model <code>{escape(str(model.get('name', '?')))}</code> version "
        f"<code>{escape(str(model.get('version', '?')))}</code> · taxonomy "
        f"<code>{escape(profile.taxonomy_version)}</code> · formula "
        f"<code>{escape(profile.profile_version)}</code></div></section>"
    )
    chart = f"<section class=\"card\"><h2>Scores by group and leaf (0–100)</h2>{bar_chart(profile)}</section>"
    ranking = (
        f"<section class=\"card\"><h2>Disclosed risks ({len(disclosed)})</h2>{_ranking(disclosed)}</section>"
        if disclosed
        else "<section class=\"card\"><h2>Disclosed risks</h2><p>No risk reaches its threshold.</p></section>"
    )
    evidence = "".join(
        f"<h3 id=\"{escape(item.id)}\">{item.rank}. {_chip(item.id)} {escape(item.zh)} "
        f"<span class=\"meta\">score {item.score:.1f} · {item.paragraphs} paragraph(s)</span></h3>"
        + "".join(_evidence_block(ev) for ev in item.evidence)
        for item in disclosed
    )
    paragraphs = "".join(
        f"<div class=\"para {'hit' if p.labels else 'miss'}\"><div class=\"where\">{escape(p.section)} · "
        f"{_where(p.page, p.heading)} {' '.join(_chip(label) for label in p.labels)}</div>"
        f"{escape(' '.join(p.text.split()))}</div>"
        for p in profile.paragraphs
    )
    return (
        head
        + peer_summary(profile)
        + chart
        + ranking
        + f"<section class=\"card\"><h2>Evidence</h2>{evidence or '<p>None.</p>'}</section>"
        + "<section class=\"card\"><details><summary>All risk paragraphs "
        f"({len(profile.paragraphs)}; labelled ones highlighted)</summary>{paragraphs}</details></section>"
        + f"<section class=\"card\"><h2>How scores are computed</h2><p class=\"meta\">{escape(profile.formula)}</p></section>"
    )


def profile_html(profiles: Sequence[FilingProfile]) -> str:
    """One self-contained page with the profile of every filing in ``profiles``."""
    title = "RiskLens: " + ", ".join(p.document.title() for p in profiles)
    return _page(title, "\n".join(profile_section(p) for p in profiles))


def _pair_html(pair: EvidencePair) -> str:
    ev = pair.evidence
    other = "new" if pair.side == "old" else "old"
    if pair.counterpart is None:
        counterpart = f"<div class=\"para miss\">no aligned paragraph in the {other} filing</div>"
    else:
        cp = pair.counterpart
        counterpart = (
            f"<div class=\"where\">{other}: {_where(cp.page, cp.heading)} · similarity {pair.similarity:.2f} "
            f"· p = {cp.probability:.2f}</div><div class=\"para\">{escape(' '.join(cp.text.split()))}</div>"
        )
    own = (
        f"<div class=\"where\">{pair.side}: {_where(ev.page, ev.heading)} · p = {ev.probability:.2f}</div>"
        f"<blockquote><mark>{escape(' '.join(ev.text.split()))}</mark></blockquote>"
    )
    left, right = (own, counterpart) if pair.side == "old" else (counterpart, own)
    return f"<div class=\"cols\"><div>{left}</div><div>{right}</div></div>"


def _change_html(risk: RiskChange) -> str:
    reasons = "".join(f"<li>{escape(reason)}</li>" for reason in risk.reasons)
    shown: set[tuple[str, str]] = set()
    blocks = []
    for pair in (*risk.old_evidence[:2], *risk.new_evidence[:2]):
        other = pair.counterpart.paragraph_id if pair.counterpart else ""
        key = (pair.evidence.paragraph_id, other) if pair.side == "old" else (other, pair.evidence.paragraph_id)
        if pair.counterpart is not None and key in shown:
            continue  # the same old/new pair is already on screen
        shown.add(key)
        blocks.append(_pair_html(pair))
    pairs = "".join(blocks)
    return (
        f"<h3>{_chip(risk.id)} {escape(risk.zh)} <span class=\"status-{risk.status}\">{risk.status}</span> "
        f"<span class=\"meta\">{risk.old_score:.1f} → {risk.new_score:.1f} ({risk.delta:+.1f}) · paragraphs "
        f"{risk.old_paragraphs} → {risk.new_paragraphs}</span></h3><ul class=\"meta\">{reasons}</ul>{pairs}"
    )


def comparison_chart(comparison: Comparison) -> str:
    """SVG paired bars (old grey, new coloured) for every risk in the comparison."""
    risks = [r for r in comparison.risks if r.status != "unchanged"] or comparison.risks
    label_w, bar_w, row_h = 410, 460, 26
    height = row_h * len(risks) + 24
    parts = [
        f"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"old and new scores\" "
        f"width=\"100%\" viewBox=\"0 0 {label_w + bar_w + 60} {height}\">"
    ]
    for i, risk in enumerate(risks):
        y = i * row_h
        colour = PALETTE.get(risk.group, "#868e96")
        parts.append(f"<text x=\"4\" y=\"{y + 16}\">{escape(risk.id)} ({risk.status})</text>")
        for k, (score, fill) in enumerate(((risk.old_score, "#adb5bd"), (risk.new_score, colour))):
            width = bar_w * max(0.0, min(score, 100.0)) / 100
            parts.append(
                f"<rect x=\"{label_w}\" y=\"{y + 3 + k * 10}\" width=\"{width:.1f}\" height=\"9\" fill=\"{fill}\">"
                f"<title>{'old' if k == 0 else 'new'}: {score:.1f}</title></rect>"
            )
        parts.append(f"<text x=\"{label_w + bar_w + 6}\" y=\"{y + 16}\">{risk.delta:+.0f}</text>")
    parts.append(f"<text x=\"{label_w}\" y=\"{height - 4}\">grey: old filing · colour: new filing</text></svg>")
    return "".join(parts)


def comparison_html(comparison: Comparison) -> str:
    """One self-contained page comparing two filings with evidence from both sides."""
    a = comparison.alignment
    model = comparison.model
    head = (
        f"<section class=\"card\"><h1>Risk comparison</h1><div class=\"meta\">old: <b>{escape(comparison.old.name)}</b> "
        f"({a.old_paragraphs} risk paragraphs) → new: <b>{escape(comparison.new.name)}</b> ({a.new_paragraphs})<br>"
        f"aligned {a.matched} pairs ({a.rewritten} rewritten), {a.only_old} only in old, {a.only_new} only in new<br>"
        f"model <code>{escape(str(model.get('name', '?')))}</code> <code>{escape(str(model.get('version', '?')))}</code>"
        f" · taxonomy <code>{escape(comparison.taxonomy_version)}</code></div></section>"
    )
    chart = f"<section class=\"card\"><h2>Scores, old vs new</h2>{comparison_chart(comparison)}</section>"
    blocks = []
    for status in STATUS_ORDER[:3]:
        risks = comparison.by_status(status)
        inner = "".join(_change_html(r) for r in risks) or "<p>None.</p>"
        blocks.append(f"<section class=\"card\"><h2 class=\"status-{status}\">{status} ({len(risks)})</h2>{inner}</section>")
    unchanged = comparison.by_status("unchanged")
    if unchanged:
        blocks.append(
            "<section class=\"card\"><h2>unchanged</h2><p>"
            + " ".join(_chip(r.id) for r in unchanged)
            + "</p></section>"
        )
    s = comparison.settings
    rule = (
        f"changed = disclosed in both and the score moves by at least {s['change_delta']:.0f} points, or the new "
        f"top evidence paragraph is less than {s['rewrite_similarity']:.2f} similar to every old evidence paragraph."
    )
    blocks.append(f"<section class=\"card\"><p class=\"meta\">{escape(rule)}</p></section>")
    title = f"RiskLens: {comparison.old.name} → {comparison.new.name}"
    return _page(title, head + chart + "".join(blocks))


def _recovered_note(doc: DocumentInfo) -> str:
    """A warning for a profile of a damaged file that was read only as far as it goes."""
    if not doc.recovered:
        return ""
    return (
        f" · <b class=\"warn\">recovered from a damaged file: text on {doc.pages_read or 0} of "
        f"{doc.pages or '?'} pages</b>"
    )
