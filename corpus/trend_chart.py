"""The trend picture: share of filings disclosing each leaf, per year, as an inline SVG line chart.

``trend_svg(rows)`` takes the rows of ``disclosure_stats(store, "year")`` (bucket, leaf,
filings, disclosing, share) and draws one line per leaf over the years, coloured by the
leaf's group, with the filings per year under the axis; ``trend_html`` wraps it in a page
that needs no script and no network (a Content-Security-Policy forbids any fetch). Rows
without a year are left out: they have no place on a time axis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from risklens.labels.taxonomy import GROUP_OF, LABELS, LEAF_BY_ID
from risklens.scoring.report_html import PALETTE

WIDTH, HEIGHT = 900, 420
LEFT, RIGHT, TOP, BOTTOM = 48, 230, 16, 52
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _series(rows: Iterable[Mapping[str, Any]]) -> tuple[list[int], dict[str, dict[int, float]], dict[int, int]]:
    years: set[int] = set()
    shares: dict[str, dict[int, float]] = {}
    totals: dict[int, int] = {}
    for row in rows:
        bucket = row.get("bucket")
        if bucket is None or str(bucket) in {"", "None", "all"}:
            continue
        year = int(bucket)
        years.add(year)
        shares.setdefault(str(row["leaf"]), {})[year] = float(row["share"])
        totals[year] = int(row["filings"])
    return sorted(years), shares, totals


def trend_svg(rows: Sequence[Mapping[str, Any]], leaves: Sequence[str] | None = None) -> str:
    """An SVG line chart (share 0–100% per year) of every leaf in ``rows`` (or of ``leaves``)."""
    years, shares, totals = _series(rows)
    chosen = [leaf for leaf in (leaves or LABELS) if leaf in shares]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"share of filings disclosing each "
             f"risk per year\" width=\"100%\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-size=\"11\">"]
    if not years:
        parts.append(f"<text x=\"{LEFT}\" y=\"{TOP + 20}\">no filing with a year in the corpus</text></svg>")
        return "".join(parts)
    span = max(years[-1] - years[0], 1)

    def x(year: int) -> float:
        return LEFT + plot_w * (year - years[0]) / span if len(years) > 1 else LEFT + plot_w / 2

    def y(share: float) -> float:
        return TOP + plot_h * (1.0 - share)

    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f"<line x1=\"{LEFT}\" y1=\"{y(tick):.1f}\" x2=\"{LEFT + plot_w}\" y2=\"{y(tick):.1f}\" stroke=\"#e4e7eb\"/>"
                     f"<text x=\"{LEFT - 6}\" y=\"{y(tick) + 4:.1f}\" text-anchor=\"end\">{tick:.0%}</text>")
    for year in years:
        parts.append(f"<text x=\"{x(year):.1f}\" y=\"{TOP + plot_h + 16}\" text-anchor=\"middle\">{year}</text>"
                     f"<text x=\"{x(year):.1f}\" y=\"{TOP + plot_h + 30}\" text-anchor=\"middle\" fill=\"#616e7c\">"
                     f"n={totals[year]}</text>")
    for i, leaf in enumerate(chosen):
        colour = PALETTE.get(GROUP_OF.get(leaf, ""), "#868e96")
        points = " ".join(f"{x(year):.1f},{y(share):.1f}" for year, share in sorted(shares[leaf].items()))
        name = f"{leaf} {LEAF_BY_ID[leaf].zh}" if leaf in LEAF_BY_ID else leaf
        parts.append(f"<g><title>{escape(name)}</title><polyline points=\"{points}\" fill=\"none\" stroke=\"{colour}\" "
                     f"stroke-width=\"1.5\" opacity=\"0.85\"/>")
        parts += [f"<circle cx=\"{x(year):.1f}\" cy=\"{y(share):.1f}\" r=\"2\" fill=\"{colour}\"><title>{escape(name)} "
                  f"{year}: {share:.0%}</title></circle>" for year, share in sorted(shares[leaf].items())]
        parts.append("</g>")
        legend_y = TOP + 12 * i
        parts.append(f"<rect x=\"{WIDTH - RIGHT + 12}\" y=\"{legend_y}\" width=\"10\" height=\"3\" fill=\"{colour}\"/>"
                     f"<text x=\"{WIDTH - RIGHT + 26}\" y=\"{legend_y + 5}\">{escape(name)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def trend_html(rows: Sequence[Mapping[str, Any]], leaves: Sequence[str] | None = None, title: str = "RiskLens: disclosure trends") -> str:
    """A self-contained page with ``trend_svg`` and the table of shares under it."""
    years, shares, totals = _series(rows)
    chosen = [leaf for leaf in (leaves or LABELS) if leaf in shares]
    head = "".join(f"<th>{year}</th>" for year in years)
    body = "".join(
        f"<tr><td>{escape(leaf)}</td>" + "".join(
            f"<td>{shares[leaf][year]:.0%}</td>" if year in shares[leaf] else "<td></td>" for year in years) + "</tr>"
        for leaf in chosen
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n<title>{escape(title)}</title>\n"
        "<style>body{font-family:system-ui,sans-serif;margin:24px;color:#1f2933}table{border-collapse:collapse;"
        "font-size:12px}td,th{padding:2px 6px;border-bottom:1px solid #d9e2ec;text-align:right}td:first-child{text-align:left}"
        "</style>\n</head>\n<body>\n"
        f"<h1>Share of filings disclosing each risk, per year</h1><p>{sum(totals.values())} filings with a year; "
        "a filing discloses a leaf when at least one risk paragraph reaches its threshold.</p>"
        f"{trend_svg(rows, leaves)}<table><thead><tr><th>leaf</th>{head}</tr></thead><tbody>{body}</tbody></table>"
        "\n</body>\n</html>\n"
    )
