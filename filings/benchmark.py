"""Filings to paragraphs, timed, with peak memory (what ``risklens benchmark ingest`` runs).

Two targets from the issue: a ~195-page PDF (budget 5 s) and a 90,000-line page-lines
file (budget 3 s). Each run happens in a fresh child process so its peak RSS is its own;
the child times ``load_document`` + ``all_paragraphs`` and reports best/median seconds,
pages/s and peak RSS. The page-lines file is built by concatenating corpus files (pages
renumbered) until it has the requested number of lines. ``benchmark_ingest`` returns the
report as a dict; the command writes it as JSON and prints the table.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PDF_BUDGET_S = 5.0
PAGE_LINES_BUDGET_S = 3.0
DEFAULT_PDF = Path("corpus/annual-reports/生物股份_2020_年度报告.pdf")
"""The ~195-page PDF target, relative to the shared corpus root."""
PAGE_LINES_DIR = Path("corpus/ipo-2007-2021")
"""Page-lines files concatenated into the 90,000-line target, relative to the corpus root."""
TARGETS = ("pdf", "page_lines")


class IngestBenchmarkError(RuntimeError):
    """A timed child process failed; the message names the target and its file."""


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


def benchmark_ingest(pdf: Path, page_lines: Path, *, repeat: int = 3, lines: int = 0) -> dict[str, Any]:
    """Time both targets, each in a fresh child process; returns the report.

    ``lines`` is the page-lines file's line count when the caller built it (0: count it).
    Every target's row gets its budget and whether its best time is within it.
    """
    results: dict[str, Any] = {"cpu_count": os.cpu_count(), "python": sys.version.split()[0]}
    for name, path, budget in (("pdf", pdf, PDF_BUDGET_S), ("page_lines", page_lines, PAGE_LINES_BUDGET_S)):
        try:
            row = _measure_in_child(path, repeat)
        except RuntimeError as exc:
            raise IngestBenchmarkError(f"{name} {path}: {exc}") from None
        row["budget_seconds"] = budget
        row["within_budget"] = row["seconds_best"] <= budget
        if name == "page_lines":
            row["lines"] = lines or sum(1 for _ in path.open(encoding="utf-8"))
            row["lines_per_second"] = round(row["lines"] / row["seconds_best"]) if row["seconds_best"] else None
        results[name] = row
    return results


def within_budget(report: dict[str, Any]) -> bool:
    """True when every target of a ``benchmark_ingest`` report met its budget."""
    return all(report[name]["within_budget"] for name in TARGETS)
