"""``risklens benchmark ingest``: filings to paragraphs, timed, with peak memory.

Two targets from the issue: a ~195-page PDF (budget 5 s) and a 90,000-line page-lines
file (budget 3 s). Each run happens in a fresh child process so its peak RSS is its own;
the child times ``load_document`` + ``all_paragraphs`` and reports best/median seconds,
pages/s and peak RSS. The page-lines file is built by concatenating corpus files (pages
renumbered) until it has the requested number of lines. Results go to a JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PDF_BUDGET_S = 5.0
PAGE_LINES_BUDGET_S = 3.0
DEFAULT_PDF = Path("corpus/annual-reports/生物股份_2020_年度报告.pdf")
PAGE_LINES_DIR = Path("corpus/ipo-2007-2021")


def default_shared() -> Path:
    """``$RISKLENS_SHARED`` or the ``shared`` folder beside the checkout."""
    return Path(os.environ.get("RISKLENS_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pdf", type=Path, help="PDF to time (default: the 195-page corpus annual report)")
    parser.add_argument("--page-lines", type=Path, help="page-lines file to time (default: built from the corpus)")
    parser.add_argument("--lines", type=int, default=90_000, help="lines in the built page-lines file")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per target (best and median reported)")
    parser.add_argument("--shared", type=Path, default=None, help="the shared folder (default: ../shared)")
    parser.add_argument("--out", type=Path, default=Path("reports/benchmark-ingest.json"), help="JSON report path (default: reports/benchmark-ingest.json)")


def measure(path: Path, repeat: int) -> dict[str, Any]:
    """Time ``repeat`` runs of load + paragraphs on ``path`` in this process."""
    from risklens.filings import all_paragraphs, load_document

    times: list[float] = []
    cpu: list[float] = []
    pages = paragraphs = chars = 0
    for _ in range(max(1, repeat)):
        start, start_cpu = time.perf_counter(), time.process_time()
        doc = load_document(path)
        found = all_paragraphs(doc)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        pages, paragraphs, chars = doc.pages, len(found), len(doc.text)
    peak_kb = peak_rss_kb()
    best = min(times)
    return {
        "file": str(path),
        "bytes": path.stat().st_size,
        "pages": pages,
        "paragraphs": paragraphs,
        "chars": chars,
        "seconds_best": round(best, 3),
        "seconds_median": round(statistics.median(times), 3),
        "cpu_seconds_best": round(min(cpu), 3),  # wall minus waiting for a shared CPU
        "load_average_1min": round(os.getloadavg()[0], 2),
        "pages_per_second": round(pages / best, 1) if best else None,
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def peak_rss_kb() -> int:
    """This process's peak resident memory in KiB.

    Linux keeps ``ru_maxrss`` across ``exec``, so a child started from a big parent would
    report the parent's peak; ``VmHWM`` in /proc belongs to the new image only.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def build_page_lines(source_dir: Path, lines: int, target: Path) -> int:
    """Concatenate page-lines files (pages renumbered) into ``target``; returns lines written."""
    written = 0
    page_offset = 0
    files = sorted(source_dir.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"no page-lines files in {source_dir}")
    with target.open("w", encoding="utf-8") as out:
        while written < lines:
            for path in files:
                last_page = 0
                for raw in path.read_text(encoding="utf-8").splitlines():
                    record = json.loads(raw)
                    last_page = max(last_page, int(record["page"]))
                    record["page"] = int(record["page"]) + page_offset
                    record["allrow"] = written
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    written += 1
                    if written >= lines:
                        return written
                page_offset += last_page
    return written


def _measure_in_child(path: Path, repeat: int) -> dict[str, Any]:
    code = "import json,sys; from risklens.filings.benchmark import measure; print(json.dumps(measure(__import__('pathlib').Path(sys.argv[1]), int(sys.argv[2]))))"
    result = subprocess.run(
        [sys.executable, "-c", code, str(path), str(repeat)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "child failed")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def run(args: argparse.Namespace) -> int:
    shared = args.shared or default_shared()
    pdf = args.pdf or shared / DEFAULT_PDF
    results: dict[str, Any] = {"cpu_count": os.cpu_count(), "python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        page_lines = args.page_lines
        built = 0
        if page_lines is None:
            source = shared / PAGE_LINES_DIR
            if not source.is_dir():
                print(f"benchmark ingest: {source} not found; pass --page-lines or --shared", file=sys.stderr)
                return 2
            page_lines = Path(tmp) / f"page_lines_{args.lines}.txt"
            built = build_page_lines(source, args.lines, page_lines)
        if not pdf.is_file():
            print(f"benchmark ingest: PDF {pdf} not found; pass --pdf or --shared", file=sys.stderr)
            return 2
        targets = [("pdf", pdf, PDF_BUDGET_S), ("page_lines", page_lines, PAGE_LINES_BUDGET_S)]
        for name, path, budget in targets:
            try:
                row = _measure_in_child(path, args.repeat)
            except RuntimeError as exc:
                print(f"benchmark ingest: {name} {path}: {exc}", file=sys.stderr)
                return 1
            row["budget_seconds"] = budget
            row["within_budget"] = row["seconds_best"] <= budget
            if name == "page_lines":
                row["lines"] = built or sum(1 for _ in path.open(encoding="utf-8"))
                row["lines_per_second"] = round(row["lines"] / row["seconds_best"]) if row["seconds_best"] else None
            results[name] = row
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{'target':<11} {'pages':>6} {'best s':>7} {'median s':>9} {'cpu s':>6} {'pages/s':>8} {'peak MB':>8}  budget")
    for name in ("pdf", "page_lines"):
        r = results[name]
        extra = f"  ({r['lines']} lines)" if name == "page_lines" else ""
        verdict = "ok" if r["within_budget"] else "OVER"
        print(
            f"{name:<11} {r['pages']:>6} {r['seconds_best']:>7} {r['seconds_median']:>9} {r['cpu_seconds_best']:>6} "
            f"{r['pages_per_second']:>8} {r['peak_rss_mb']:>8}  {verdict} (≤ {r['budget_seconds']} s){extra}"
        )
    print(f"load average (1 min) during the runs: {results['pdf']['load_average_1min']}, "
          f"{results['page_lines']['load_average_1min']} on {os.cpu_count()} CPUs")
    print(f"report written to {args.out}")
    return 0 if all(results[n]["within_budget"] for n in ("pdf", "page_lines")) else 1
