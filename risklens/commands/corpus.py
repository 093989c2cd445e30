"""``risklens corpus build|query|stats|show``: score many filings into a DuckDB store and ask it.

The work happens in ``risklens.corpus`` (plain functions that return data); this module
parses arguments, draws the progress bar and prints tables, JSON or CSV.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from risklens.commands.progress import ProgressBar

if TYPE_CHECKING:
    from risklens.corpus.build import Builder, BuildOptions
    from risklens.corpus.store import CorpusStore

HELP = "score thousands of filings into an embedded DuckDB store, then query it"
DESCRIPTION = """\
build   score every filing under PATH… (files, folders, globs) into --db; incremental:
        contents already stored with the same model are skipped, duplicates recorded,
        unreadable files listed in the failures table; exit code 1 if any file failed
query   filings disclosing a leaf, with score and top evidence (filters below)
stats   per leaf, the share of filings disclosing it (--by year|kind|industry)
show    one stored filing's profile, without re-scoring
baseline  the peer baseline of the database (counts per kind/industry/year/leaf, no text)
timeline  a company's filings in date order, risks added/removed/changed between them

Tables are documented in corpus/README.md."""

FORMATS = ("table", "json", "csv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    build = sub.add_parser("build", help="score filings into the store")
    build.add_argument("paths", nargs="+", metavar="PATH", help="files, folders (recursive) or glob patterns")
    _db(build)
    build.add_argument("--model", type=Path, default=None, metavar="DIR",
                       help="model directory (default: $RISKLENS_MODEL, the registry default, or the shipped model)")
    build.add_argument("--engine", choices=("local", "ray"), default="local",
                       help="local: a worker pool on this machine; ray: Ray Data (pip install 'risklens[ray]')")
    build.add_argument("--ray-address", default=None, metavar="ADDR",
                       help="join this Ray cluster (default $RAY_ADDRESS, else start a local instance)")
    build.add_argument("--ray-actors", type=int, default=1, metavar="N", help="model-holding Ray actors (default 1)")
    build.add_argument("--workers", type=int, default=1, metavar="N", help="ingestion processes (default 1; 0 = in this process)")
    build.add_argument("--batch-paragraphs", type=int, default=256, metavar="N",
                       help="paragraphs of several filings per encoder pass (default 256; more is barely faster and holds more memory)")
    build.add_argument("--batch-size", type=int, default=32, metavar="N", help="windows per encoder batch")
    build.add_argument("--rescore", action="store_true", help="score again filings stored with the same model")
    build.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    build.add_argument("--format", choices=("table", "json"), default="table", help="format of the summary")
    build.set_defaults(_corpus=run_build)

    query = sub.add_parser("query", help="filings disclosing a leaf, best score first")
    query.add_argument("--leaf", required=True, metavar="L", help="a leaf id, e.g. entity_list_sanctions")
    query.add_argument("--kind", choices=("prospectus", "refinancing_prospectus", "annual_report", "inquiry_response"))
    query.add_argument("--since", type=int, metavar="YEAR")
    query.add_argument("--until", type=int, metavar="YEAR")
    query.add_argument("--industry", metavar="CODE", help="CSRC industry code or its prefix (C39, C)")
    query.add_argument("--company", metavar="NAME|CODE", help="part of the issuer's name, or its stock code")
    query.add_argument("--min-score", type=float, default=0.0, metavar="S", help="lowest score 0-100 (default 0)")
    query.add_argument("--limit", type=int, default=None, metavar="N")
    _db(query)
    _format(query)
    query.set_defaults(_corpus=run_query)

    stats = sub.add_parser("stats", help="per leaf, the share of filings disclosing it")
    stats.add_argument("--by", choices=("year", "kind", "industry"), default=None)
    _db(stats)
    stats.add_argument("--format", choices=(*FORMATS, "html"), default="table",
                       help="html (with --by year): a self-contained page with a line chart of the shares per year")
    stats.add_argument("--out", type=Path, default=None, metavar="FILE", help="write the html here (default stdout)")
    stats.add_argument("--chart", type=Path, default=None, metavar="FILE",
                       help="also write the html trend chart (--by year) to FILE")
    stats.add_argument("--leaf", action="append", default=None, metavar="L", help="chart only these leaves (repeat)")
    stats.set_defaults(_corpus=run_stats)

    baseline = sub.add_parser("baseline", help="the peer baseline of the database, for `score --db` or a model directory")
    _db(baseline)
    baseline.add_argument("--out", type=Path, required=True, metavar="PATH", help="where to write peer_baseline.json")
    baseline.set_defaults(_corpus=run_baseline)

    timeline = sub.add_parser("timeline", help="a company's filings in date order and what changed between them")
    timeline.add_argument("company", metavar="COMPANY|CODE", help="part of the issuer's name, or its stock code")
    _db(timeline)
    timeline.add_argument("--format", choices=("table", "json"), default="table")
    timeline.set_defaults(_corpus=run_timeline)

    show = sub.add_parser("show", help="one stored filing's profile")
    show.add_argument("filing", metavar="FILING", help="filing id (or a unique prefix), path or file name")
    show.add_argument("--top", type=int, default=10, metavar="N", help="leaves shown by the table (default 10)")
    _db(show)
    _format(show)
    show.set_defaults(_corpus=run_show)

    failures = sub.add_parser("failures", help="files that could not be scored, with reasons")
    _db(failures)
    _format(failures)
    failures.set_defaults(_corpus=run_failures)


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=Path("risklens.duckdb"), metavar="FILE",
                        help="the corpus database (default ./risklens.duckdb)")


def _format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table")


def run(args: argparse.Namespace) -> int:
    from risklens.corpus.query import QueryError
    from risklens.corpus.ray_engine import RayUnavailable
    from risklens.corpus.sources import SourceError
    from risklens.corpus.store import StoreError

    try:
        return int(args._corpus(args))
    except (StoreError, QueryError, SourceError, RayUnavailable) as exc:
        print(f"risklens corpus {args.corpus_command}: {exc}", file=sys.stderr)
        return 2


# ---------------------------------------------------------------------- build
class _BuildBar(ProgressBar):
    """Filings done of total (filings/s, ETA) with paragraphs/s beside them."""

    def __init__(self, summary_of: Any) -> None:
        super().__init__("corpus", "filing")
        self._summary_of = summary_of
        self._start = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        super().__call__(done, total)
        if self._bar is not None:
            elapsed = max(time.perf_counter() - self._start, 1e-9)
            summary = self._summary_of()
            self._bar.set_postfix_str(f"{summary.paragraphs / elapsed:.1f} paragraphs/s, {summary.failed} failed",
                                      refresh=True)


def run_build(args: argparse.Namespace) -> int:
    from risklens.commands.model_choice import choose_model
    from risklens.corpus.build import BuildOptions
    from risklens.corpus.sources import expand_sources
    from risklens.corpus.store import open_store
    from risklens.model.memory import limit_malloc_arenas

    limit_malloc_arenas()  # before the encoder's threads start: freed memory goes back (see serve)
    try:
        options = BuildOptions(workers=args.workers, batch_paragraphs=args.batch_paragraphs,
                               batch_size=args.batch_size, rescore=args.rescore)
    except ValueError as exc:
        print(f"risklens corpus build: {exc}", file=sys.stderr)
        return 2
    files = expand_sources(args.paths)
    try:
        model_dir = choose_model("corpus build", args.model).path
    except (FileNotFoundError, ValueError) as exc:
        print(f"risklens corpus build: {exc}", file=sys.stderr)
        return 1
    with open_store(args.db) as store:
        try:
            builder = _builder(args, store, model_dir, options)
        except (FileNotFoundError, ValueError) as exc:
            print(f"risklens corpus build: {exc}", file=sys.stderr)
            return 1
        bar = None if args.no_progress else _BuildBar(lambda: builder.summary)
        builder.progress = bar
        try:
            summary = builder.run(files)
        finally:
            if bar is not None:
                bar.close()
    if args.format == "json":
        print(json.dumps({**summary.to_dict(), "db": str(args.db), "model": str(model_dir)}, ensure_ascii=False, indent=1))
    else:
        print(summary_text(summary, args.db))
    return 1 if summary.failed else 0


def _builder(args: argparse.Namespace, store: CorpusStore, model_dir: Path, options: BuildOptions) -> Builder:
    """The engine's builder. Ray's actors load the model; only the local engine loads it here."""
    if args.engine == "ray":
        from risklens.corpus.ray_engine import RayBuilder

        return RayBuilder(store, model_dir, options, address=args.ray_address, actors=args.ray_actors)
    from risklens.corpus.build import Builder
    from risklens.model.classifier import RiskClassifier

    return Builder(store, RiskClassifier.from_pretrained(model_dir), options)


def summary_text(summary: Any, db: Path) -> str:
    """The closing lines of a build: counts, speed, then one line per failure."""
    rate = summary.scored / summary.seconds * 60 if summary.seconds else 0.0
    lines = [
        f"{db}: {summary.total} files: {summary.scored} scored, {summary.skipped} skipped (already stored), "
        f"{summary.duplicates} duplicates, {summary.failed} failed",
        f"{summary.paragraphs} paragraphs in {summary.seconds:.1f} s "
        f"({rate:.1f} filings/min, {summary.paragraphs / max(summary.seconds, 1e-9):.1f} paragraphs/s)",
    ]
    lines += [f"  failed [{f.code}] {f.error}" for f in summary.failures]
    return "\n".join(lines)


# ---------------------------------------------------------------------- queries
def run_query(args: argparse.Namespace) -> int:
    from risklens.corpus.query import FilingFilter, find_filings
    from risklens.corpus.store import open_store

    where = FilingFilter(leaf=args.leaf, kind=args.kind, since=args.since, until=args.until,
                         industry=args.industry, company=args.company, min_score=args.min_score, limit=args.limit)
    with open_store(args.db, read_only=True) as store:
        rows = find_filings(store, where)
    columns = ["score", "paragraphs", "name", "company", "stock_code", "kind", "year", "industry",
               "evidence_page", "evidence_heading", "evidence_snippet", "id"]
    write_rows(rows, columns, args.format)
    if args.format == "table":
        print(f"{len(rows)} filings disclose {args.leaf}", file=sys.stderr)
    return 0


def run_stats(args: argparse.Namespace) -> int:
    from risklens.corpus.query import disclosure_stats
    from risklens.corpus.store import open_store

    with open_store(args.db, read_only=True) as store:
        rows = disclosure_stats(store, args.by)
    if args.format == "html" or args.chart is not None:
        if args.by != "year":
            print("risklens corpus stats: the chart (--format html, --chart) needs --by year.", file=sys.stderr)
            return 2
        from risklens.corpus.query import check_leaf
        from risklens.corpus.trend_chart import trend_html

        page = trend_html(rows, [check_leaf(leaf) for leaf in args.leaf] if args.leaf else None)
        target = args.chart if args.chart is not None else args.out
        if target is None:
            sys.stdout.write(page)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page, encoding="utf-8")
            print(f"risklens corpus stats: wrote {target}", file=sys.stderr)
        if args.format == "html":
            return 0
    if args.format != "table":
        write_rows(rows, ["bucket", "leaf", "filings", "disclosing", "share"], args.format)
        return 0
    buckets = sorted({str(r["bucket"]) for r in rows})
    table: dict[str, dict[str, str]] = {}
    counts: dict[str, int] = {}
    for r in rows:
        table.setdefault(r["leaf"], {})[str(r["bucket"])] = f"{100 * r['share']:.0f}%"
        counts[str(r["bucket"])] = int(r["filings"])
    pivot = [{"leaf": leaf, **cells} for leaf, cells in table.items()]
    write_rows(pivot, ["leaf", *buckets], "table")
    print("filings: " + ", ".join(f"{b}={counts[b]}" for b in buckets), file=sys.stderr)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from risklens.corpus.query import filing_profile
    from risklens.corpus.store import open_store

    with open_store(args.db, read_only=True) as store:
        profile = filing_profile(store, args.filing)
    if args.format == "json":
        print(json.dumps(profile, ensure_ascii=False, indent=1, default=_json_default))
        return 0
    rows = [
        {"rank": r["rank"], "leaf": r["risk"], "score": r["score"], "paragraphs": r["paragraphs"],
         "page": (r["evidence"][0].get("page") if r["evidence"] else None),
         "evidence": (r["evidence"][0].get("snippet") if r["evidence"] else "")}
        for r in profile["leaves"]
    ]
    if args.format == "table":
        f = profile["filing"]
        print(f"{f['name']} ({f['id']}): {f['company'] or '?'} {f['stock_code'] or ''} {f['kind'] or '?'} "
              f"{f['year'] or '?'}, industry {f['industry'] or '?'}, {f['paragraphs']} risk paragraphs, "
              f"model {f['model_name']} {f['model_version']}")
        rows = rows[: args.top]
    write_rows(rows, ["rank", "leaf", "score", "paragraphs", "page", "evidence"], args.format)
    return 0


def run_baseline(args: argparse.Namespace) -> int:
    from risklens.corpus.baseline import store_baseline, write_baseline
    from risklens.corpus.store import open_store

    with open_store(args.db, read_only=True) as store:
        baseline = store_baseline(store)
    try:
        data = write_baseline(baseline, args.out)
    except OSError as exc:
        print(f"risklens corpus baseline: cannot write {args.out} ({exc.strerror or exc}); choose another --out.", file=sys.stderr)
        return 1
    kinds: dict[str, int] = {}
    for cell in data["cells"]:
        kinds[str(cell["kind"])] = kinds.get(str(cell["kind"]), 0) + cell["n"]
    print(f"{args.out}: {data['filings']} filings in {len(data['cells'])} kind/industry/year cells ("
          + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) + f"), model {data['model'].get('name', '?')} "
          f"{data['model'].get('version', '?')}")
    return 0


def run_timeline(args: argparse.Namespace) -> int:
    from risklens.corpus.store import open_store
    from risklens.corpus.timeline import company_timeline

    with open_store(args.db, read_only=True) as store:
        timeline = company_timeline(store, args.company)
    if args.format == "json":
        print(json.dumps(timeline.to_dict(), ensure_ascii=False, indent=1, default=_json_default))
        return 0
    write_rows(timeline.filings, ["report_date", "year", "kind", "company", "stock_code", "paragraphs", "name", "id"], "table")
    for step in timeline.to_dict()["steps"]:
        print(f"\n{step['old']} → {step['new']}")
        for status in ("added", "removed", "changed"):
            items = [f"{leaf} ({step['changes'][leaf]['old_score']:.0f}→{step['changes'][leaf]['new_score']:.0f})"
                     for leaf in step[status]]
            print(f"  {status} ({len(items)}): {', '.join(items) or '—'}")
    return 0


def run_failures(args: argparse.Namespace) -> int:
    from risklens.corpus.query import failures
    from risklens.corpus.store import open_store

    with open_store(args.db, read_only=True) as store:
        rows = failures(store)
    write_rows(rows, ["code", "stage", "path", "error"], args.format)
    return 0


# ---------------------------------------------------------------------- output
def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 1 else f"{value:.3f}"
    return str(value).replace("\n", " ")


def write_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> None:
    """Print ``rows`` as an aligned table, a JSON array or CSV (for spreadsheets)."""
    if fmt == "json":
        print(json.dumps([dict(r) for r in rows], ensure_ascii=False, indent=1, default=_json_default))
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for r in rows:
            writer.writerow([_cell(r.get(c)) if isinstance(r.get(c), float) else ("" if r.get(c) is None else r.get(c))
                             for c in columns])
        sys.stdout.write(buffer.getvalue())
        return
    cells = [[_cell(r.get(c))[:60] for c in columns] for r in rows]
    widths = [max([_width(c), *(_width(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    print("  ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip())


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
