"""The corpus benchmark (``risklens benchmark corpus``): the store at market scale, the build's throughput.

Three parts, one report (JSON and Markdown):

* **Store** — a fresh database with ``--filings`` synthetic filings (default 10,000) of
  ``--paragraphs-per-filing`` rows (default 100, so 1,000,000 paragraph rows) of random
  probabilities, written with SQL in the real schema; then each query of ``corpus.query``
  is timed ``--repeat`` times (p50/p95), and the file size on disk is reported. No model.
* **Build** — throughput of a real ``corpus build`` (filings/min, paragraphs/s, peak RSS
  summed over the build's processes): measured here (``--build PATH… --engines local ray``,
  each in a child process with a fresh database) or read from an earlier
  run's numbers (``--build-summary FILE.json`` with scored, paragraphs, seconds and
  peak_rss_mb, e.g. the JSON summary of ``corpus build --format json`` plus its RSS).
* **Estimate** — from the measured seconds per paragraph, the time to score 50,000
  filings on 1, 8 and 64 workers, each as fast as this machine, encoder-bound.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from risklens.corpus.query import FilingFilter, disclosure_stats, filing_profile, find_filings
from risklens.corpus.schema import PROB_COLUMNS
from risklens.corpus.store import CorpusStore, open_store
from risklens.labels.taxonomy import GROUPS, LABELS

INDUSTRIES = ("C39", "C38", "C36", "C35", "C26", "C27", "I65", "F51", "K70", "J66", "C34", "C40", "B06", "D44")
KINDS = ("prospectus", "refinancing_prospectus", "annual_report", "inquiry_response")
ESTIMATE_FILINGS = 50_000
ESTIMATE_WORKERS = (1, 8, 64)


def corpus_benchmark(
    filings: int, per_filing: int, repeat: int, work_dir: Path | None = None,
    build_paths: list[str] | None = None, engines: tuple[str, ...] = ("local",), build_summary: Path | None = None,
) -> dict[str, Any]:
    """The whole report: the synthetic store, then the build (measured or read), then the estimate."""
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        report["store"] = store_benchmark(Path(tmp) / "synthetic.duckdb", filings, per_filing, repeat)
    build = None
    if build_paths:
        measured = {engine: build_figures(measure_build(build_paths, engine)) for engine in engines}
        report["engines"] = measured
        build = next(iter(measured.values()))
    if build_summary is not None:
        build = json.loads(build_summary.read_text(encoding="utf-8"))
        build.setdefault("source", str(build_summary))
    if build is not None:
        report["build"] = build_figures(build)
        report["estimate"] = estimate(report["build"])
    return report


# ---------------------------------------------------------------------- the store
def fill_synthetic(store: CorpusStore, filings: int, per_filing: int, seed: int = 0) -> None:
    """Write ``filings`` synthetic filings with ``per_filing`` paragraphs each, in SQL."""
    con = store.connection
    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    kinds = "[" + ", ".join(f"'{k}'" for k in KINDS) + "]"
    industries = "[" + ", ".join(f"'{c}'" for c in INDUSTRIES) + "]"
    con.execute(f"""
        INSERT INTO filings
        SELECT left(md5(i::VARCHAR), 16), 'synthetic/' || i || '.pdf', i || '.pdf',
               list_extract({kinds}, 1 + (hash(i) % 4)::INT), '合成公司' || i || '股份有限公司',
               lpad((600000 + i)::VARCHAR, 6, '0'), 2010 + (hash(i * 7) % 16)::INT, NULL,
               list_extract({industries}, 1 + (hash(i * 13) % {len(INDUSTRIES)})::INT), 'pdf',
               200, false, {per_filing}, 'synthetic', '0', 'risk-taxonomy.v1', 'risk-profile.v1', now()::TIMESTAMP
        FROM range({filings}) t(i)
    """)
    # Probabilities skewed towards 0 like real ones (most leaves absent from most paragraphs).
    probs = ", ".join(f"pow(random(), 6)::REAL AS {c}" for c in PROB_COLUMNS)
    con.execute(f"""
        INSERT INTO paragraphs
        SELECT left(md5(f::VARCHAR), 16), left(md5(f::VARCHAR), 16) || '-' || lpad(p::VARCHAR, 4, '0'), p,
               'risk_factors', '第四节 风险因素 / 一、经营风险 / （一）合成的风险' , 1 + p // 3, p * 300, p * 300 + 200,
               repeat(md5(random()::VARCHAR), 4), [], {probs}
        FROM range({filings}) a(f), range({per_filing}) b(p)
    """)
    risk_names = "[" + ", ".join(f"'{r}'" for r in (*LABELS, *GROUPS)) + "]"
    con.execute(f"""
        INSERT INTO risks
        SELECT left(md5(f::VARCHAR), 16), CASE WHEN r <= {len(LABELS)} THEN 'leaf' ELSE 'group' END,
               list_extract({risk_names}, r::INT), r::INT, s, s / 100, 0, 0, 0, s > 40, (s > 40)::INT * 3, NULL,
               [left(md5(f::VARCHAR), 16) || '-0001'], [s / 100],
               CASE WHEN s > 40 THEN '第四节 风险因素 / 一、经营风险 / （一）合成的风险' END,
               CASE WHEN s > 40 THEN 2 END, CASE WHEN s > 40 THEN repeat(md5(random()::VARCHAR), 2) END
        FROM (SELECT f, r, (pow(random(), 3) * 100)::REAL AS s FROM range({filings}) a(f), range(1, {len(LABELS) + len(GROUPS) + 1}) b(r))
    """)


def _time(function: Callable[[], object], repeat: int) -> dict[str, float]:
    function()  # warm-up: the first run reads the file into DuckDB's buffer pool
    times = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        function()
        times.append(1000 * (time.perf_counter() - start))
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1)}


def store_benchmark(path: Path, filings: int, per_filing: int, repeat: int) -> dict[str, Any]:
    """Build the synthetic store, time every query, report sizes."""
    start = time.perf_counter()
    with open_store(path) as store:
        fill_synthetic(store, filings, per_filing)
    fill_seconds = time.perf_counter() - start
    ids = [f"{i}.pdf" for i in random.Random(0).sample(range(filings), k=min(filings, max(1, repeat + 1)))]
    names = iter(ids * 2)
    queries: dict[str, Callable[[CorpusStore], object]] = {
        "query --leaf": lambda s: find_filings(s, FilingFilter("entity_list_sanctions")),
        "query --leaf --kind --since --until": lambda s: find_filings(
            s, FilingFilter("customer_concentration", kind="prospectus", since=2018, until=2022)),
        "query --leaf --industry --min-score 50": lambda s: find_filings(
            s, FilingFilter("supply_chain", industry="C39", min_score=50)),
        "query --leaf --company": lambda s: find_filings(s, FilingFilter("rd_failure", company="合成公司77股")),
        "stats": lambda s: disclosure_stats(s),
        "stats --by year": lambda s: disclosure_stats(s, "year"),
        "stats --by industry": lambda s: disclosure_stats(s, "industry"),
        "show FILING": lambda s: filing_profile(s, next(names)),
        "paragraphs with p(leaf) >= 0.9 by year (SQL)": lambda s: s.connection.execute(
            "SELECT f.year, count(*) FROM paragraphs p JOIN filings f ON f.id = p.filing_id "
            "WHERE p.p_entity_list_sanctions >= 0.9 GROUP BY ALL").fetchall(),
    }
    timings: dict[str, Any] = {}
    with open_store(path, read_only=True) as store:
        counts = {t: store.count(t) for t in ("filings", "paragraphs", "risks")}
        for name, query in queries.items():
            timings[name] = _time(lambda q=query: q(store), repeat)  # type: ignore[misc]
    return {
        **counts,
        "fill_seconds": round(fill_seconds, 1),
        "size_mb": round(path.stat().st_size / 1e6, 1),
        "repeat": repeat,
        "queries": timings,
        "text": "synthetic paragraphs hold 128 random hex characters (real ones average ~200 CJK characters)",
    }


# ---------------------------------------------------------------------- the build
def measure_build(paths: list[str], engine: str = "local") -> dict[str, Any]:
    """Run ``risklens corpus build PATHS --engine ENGINE`` in a child process (a fresh
    database); its summary, wall time and the peak memory of its process tree."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "risklens", "corpus", "build", *paths, "--db", str(Path(tmp) / "b.duckdb"),
                   "--engine", engine, "--no-progress", "--format", "json"]
        start = time.perf_counter()
        out, err, peak, peak_pss = _run_watching_memory(command)
        wall = time.perf_counter() - start
    if not out.strip():
        raise RuntimeError(f"the build failed: {err.strip().splitlines()[-1:]}")
    try:
        summary = json.loads(out)
    except json.JSONDecodeError:
        raise RuntimeError(f"the build's standard output is not its JSON summary; it starts {out[:300]!r}") from None
    summary["wall_seconds"] = round(wall, 1)  # with model loading and, for Ray, starting it
    summary["peak_rss_mb"] = round(peak / 1e6, 1)
    summary["peak_pss_mb"] = round(peak_pss / 1e6, 1)
    summary["source"] = " ".join(["risklens", *command[3:]])
    return summary


def _run_watching_memory(command: list[str], interval: float = 0.5) -> tuple[str, str, int, int]:
    """Run ``command``; its stdout, stderr and the peaks of the summed RSS and the summed PSS
    of it and all its descendants (ingestion workers, sandboxes, Ray's processes), sampled
    every ``interval``. Summed RSS counts every shared page (torch's and Ray's libraries,
    the object store) once per process that maps it; summed PSS shares each such page out
    among its processes, so it is the physical memory the whole tree holds."""
    import psutil

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = psutil.Popen(command, stdout=out, stderr=err, text=True)
        peak = peak_pss = 0
        while child.poll() is None:
            rss, pss = _tree_memory(child)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            time.sleep(interval)
        out.seek(0)
        err.seek(0)
        return out.read(), err.read(), peak, peak_pss


def _tree_memory(root: Any) -> tuple[int, int]:
    """Summed RSS and PSS (bytes) of ``root`` and its descendants; processes that end while
    being read are left out."""
    import psutil

    rss = pss = 0
    try:
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    for process in tree:
        try:
            info = process.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss, pss


def build_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """filings/min, paragraphs/s and seconds per paragraph from a build's numbers."""
    seconds = float(summary["seconds"])
    scored, paragraphs = int(summary["scored"]), int(summary["paragraphs"])
    return {
        **{k: summary[k] for k in ("scored", "paragraphs", "seconds", "wall_seconds", "peak_rss_mb", "peak_pss_mb",
                                   "source")
           if k in summary},
        "failed": summary.get("failed"),
        "filings_per_min": round(60 * scored / seconds, 2),
        "paragraphs_per_s": round(paragraphs / seconds, 2),
        "seconds_per_paragraph": round(seconds / paragraphs, 4),
        "paragraphs_per_filing": round(paragraphs / max(scored, 1), 1),
    }


def estimate(build: dict[str, Any], filings: int = ESTIMATE_FILINGS) -> dict[str, Any]:
    """Hours for ``filings`` filings on 1, 8 and 64 workers as fast as this machine."""
    total = filings * build["paragraphs_per_filing"] * build["seconds_per_paragraph"]
    return {
        "filings": filings,
        "assumption": ("encoder-bound: each worker is a 2-core node like this one with the measured seconds per "
                       "paragraph; ingestion overlaps the encoder; the single writer is assumed to keep up "
                       f"(not measured; at {ESTIMATE_WORKERS[-1]} workers it must store about "
                       f"{filings / (total / ESTIMATE_WORKERS[-1]):.0f} filings/s)"),
        "hours": {str(w): round(total / w / 3600, 2) for w in ESTIMATE_WORKERS},
    }


def to_markdown(report: dict[str, Any]) -> str:
    store = report["store"]
    lines = [
        "# Corpus benchmark", "",
        f"Synthetic store: {store['filings']:,} filings, {store['paragraphs']:,} paragraph rows, {store['risks']:,} risk rows; "
        f"written in {store['fill_seconds']} s; **{store['size_mb']} MB on disk**. Each query ran {store['repeat']} times "
        f"after one warm-up ({store['text']}).", "",
        "| query | p50 ms | p95 ms |", "|---|---|---|",
    ]
    lines += [f"| {name} | {t['p50_ms']} | {t['p95_ms']} |" for name, t in store["queries"].items()]
    build = report.get("build")
    if build:
        lines += [
            "", "## Build throughput", "",
            f"{build['scored']} filings, {build['paragraphs']:,} risk paragraphs in {build['seconds']} s: "
            f"**{build['filings_per_min']} filings/min, {build['paragraphs_per_s']} paragraphs/s**, "
            f"{build['seconds_per_paragraph']} s per paragraph, {build['paragraphs_per_filing']} paragraphs per filing; "
            f"peak memory of the build's process tree {build.get('peak_pss_mb', '?')} MB PSS "
            f"({build.get('peak_rss_mb', '?')} MB summed RSS). Source: {build.get('source', '?')}.",
        ]
        if len(report.get("engines", {})) > 1:
            first = next(iter(report["engines"].values()))
            lines += ["", f"Engines on the same files, one after the other (`{first.get('source', '?')}`, then `--engine` "
                      "changed). Peak memory of each build's whole process tree: summed PSS (each shared page "
                      "divided among the processes that map it: the physical memory held) and summed RSS (every "
                      "shared page counted once per process: an upper bound).",
                      "", "| engine | filings | paragraphs | build s | wall s (with start-up) | filings/min | paragraphs/s "
                      "| peak PSS MB | peak summed RSS MB |",
                      "|---|---|---|---|---|---|---|---|---|"]
            lines += [
                f"| {name} | {e['scored']} | {e['paragraphs']} | {e['seconds']} | {e.get('wall_seconds', '?')} | "
                f"{e['filings_per_min']} | {e['paragraphs_per_s']} | {e.get('peak_pss_mb', '?')} | "
                f"{e.get('peak_rss_mb', '?')} |"
                for name, e in report["engines"].items()
            ]
        est = report["estimate"]
        lines += [
            "", f"## Estimate for {est['filings']:,} filings", "",
            "| workers | hours |", "|---|---|",
            *[f"| {w} | {h} |" for w, h in est["hours"].items()],
            "", f"Assumption: {est['assumption']}.",
        ]
    return "\n".join(lines) + "\n"
