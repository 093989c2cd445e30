"""``corpus build``: bad input goes to failures, re-runs are incremental, SIGKILL is harmless."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from risklens.corpus.build import BuildOptions, build_corpus
from risklens.corpus.sources import SourceError, expand_sources
from risklens.corpus.store import CorpusStore, open_store
from tests.corpus.filings import ANNUAL_REPORT, NO_RISK_SECTION, write_good

REPO = Path(__file__).resolve().parents[2]


def bad_input_folder(root: Path) -> tuple[list[Path], dict[str, str]]:
    """Good filings plus one file of every kind of bad input; returns (good, {bad name: code})."""
    good = write_good(root, 3)
    (root / "annual.md").write_text(ANNUAL_REPORT, encoding="utf-8")
    good.append(root / "annual.md")
    (root / "empty.pdf").write_bytes(b"")
    (root / "empty_too.pdf").write_bytes(b"")  # same (empty) content: a failure, not a duplicate
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a PDF body\n")
    (root / "minutes.txt").write_text(NO_RISK_SECTION, encoding="utf-8")
    (root / "garbage.txt").write_bytes(bytes(range(256)) * 40)  # decodes to nothing readable
    (root / "zz_copy_of_good.md").write_bytes(good[0].read_bytes())
    expected = {
        "empty.pdf": "empty_file",
        "empty_too.pdf": "empty_file",
        "corrupt.pdf": "corrupt_pdf",
        "minutes.txt": "no_risk_section",
        "garbage.txt": "unsupported_format",
    }
    return good, expected


def rows(store: CorpusStore, sql: str) -> list[Any]:
    return store.connection.execute(sql).fetchall()


def assert_complete(store: CorpusStore, expected_filings: int) -> None:
    """Every filing whole: its paragraph and risk rows all there, no row twice."""
    assert store.count("filings") == expected_filings
    (total, distinct), = rows(store, "SELECT count(*), count(DISTINCT paragraph_id) FROM paragraphs")
    assert total == distinct
    mismatched = rows(store, """
        SELECT f.id FROM filings f
        LEFT JOIN (SELECT filing_id, count(*) n FROM paragraphs GROUP BY ALL) p ON p.filing_id = f.id
        LEFT JOIN (SELECT filing_id, count(*) n FROM risks GROUP BY ALL) r ON r.filing_id = f.id
        WHERE coalesce(p.n, 0) != f.paragraphs OR coalesce(r.n, 0) != 39
    """)
    assert mismatched == []


def test_bad_input_folder(tmp_path: Path, tiny_classifier: Any) -> None:
    good, expected = bad_input_folder(tmp_path / "in")
    with open_store(tmp_path / "c.duckdb") as store:
        summary = build_corpus(expand_sources([tmp_path / "in"]), store, tiny_classifier, BuildOptions(workers=1))
        assert summary.scored == len(good)
        assert summary.duplicates == 1
        assert {Path(f.path).name: f.code for f in summary.failures} == expected
        assert {Path(p).name: c for p, c in rows(store, "SELECT path, code FROM failures")} == expected
        for (error,) in rows(store, "SELECT error FROM failures"):
            assert "\n" not in error and len(error) < 300
        assert {Path(p).name for (p,) in rows(store, "SELECT path FROM filings")} == {p.name for p in good}
        assert [Path(p).name for (p,) in rows(store, "SELECT path FROM duplicates")] == ["zz_copy_of_good.md"]
        assert_complete(store, len(good))


def test_rerun_skips_and_rescore_replaces(tmp_path: Path, tiny_classifier: Any) -> None:
    files = write_good(tmp_path / "in", 3)
    db = tmp_path / "c.duckdb"
    with open_store(db) as store:
        first = build_corpus(files, store, tiny_classifier, BuildOptions(workers=0, batch_paragraphs=1))
        again = build_corpus(files, store, tiny_classifier, BuildOptions(workers=0))
        forced = build_corpus(files, store, tiny_classifier, BuildOptions(workers=0, rescore=True))
        assert (first.scored, again.scored, again.skipped, forced.scored) == (3, 0, 3, 3)
        assert_complete(store, 3)
        (moved,) = write_good(tmp_path / "elsewhere", 1)  # same bytes as files[0], another path
        other = build_corpus([moved], store, tiny_classifier, BuildOptions(workers=0))
        assert (other.scored, other.duplicates) == (0, 1)


def test_batching_across_filings_gives_the_same_rows(tmp_path: Path, tiny_classifier: Any) -> None:
    files = write_good(tmp_path / "in", 4)
    tables = []
    for batch in (1, 10_000):
        with open_store(tmp_path / f"c{batch}.duckdb") as store:
            build_corpus(files, store, tiny_classifier, BuildOptions(workers=0, batch_paragraphs=batch))
            tables.append(rows(store, "SELECT * EXCLUDE (filing_id) FROM paragraphs ORDER BY paragraph_id"))
    assert len(tables[0]) > 0
    for one, other in zip(*tables, strict=True):
        assert one[:9] == other[:9]
        assert one[10:] == pytest.approx(other[10:], abs=1e-5)


def test_sources_expand_folders_and_globs(tmp_path: Path) -> None:
    write_good(tmp_path / "a" / "deep", 2)
    (tmp_path / "a" / ".hidden").write_text("x")
    found = expand_sources([tmp_path / "a", str(tmp_path / "a" / "**" / "*.md")])
    assert [p.name for p in found] == ["good_000.md", "good_001.md"]
    with pytest.raises(SourceError, match="no such file"):
        expand_sources([tmp_path / "missing"])


KILLABLE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from risklens.corpus.build import BuildOptions, Builder
    from risklens.corpus.store import open_store
    from risklens.model import RiskClassifier

    model, db, folder = sys.argv[1:4]
    classifier = RiskClassifier.from_pretrained(model, precision="fp32")
    files = sorted(Path(folder).iterdir())

    def progress(done, total):
        print(done, flush=True)

    if __name__ == "__main__":
        with open_store(db) as store:
            Builder(store, classifier, BuildOptions(workers=1, batch_paragraphs=1), progress).run(files)
        print("finished", flush=True)
""")


def test_sigkill_mid_build_then_rerun_completes(tmp_path: Path, tiny_model_dir: Path, tiny_classifier: Any) -> None:
    count = 16
    write_good(tmp_path / "in", count)
    script = tmp_path / "killable.py"
    script.write_text(KILLABLE, encoding="utf-8")
    db = tmp_path / "c.duckdb"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, str(script), str(tiny_model_dir), str(db), str(tmp_path / "in")],
                             stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    for line in child.stdout:  # kill once a few filings are committed, mid-run
        if line.strip().isdigit() and int(line) >= 4:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    with open_store(db) as store:
        stored = store.count("filings")
        assert 4 <= stored < count  # killed mid-run, and nothing half-written survived it
        assert_complete(store, stored)
        summary = build_corpus(sorted((tmp_path / "in").iterdir()), store, tiny_classifier, BuildOptions(workers=0))
        assert (summary.skipped, summary.scored, summary.failed) == (stored, count - stored, 0)
        assert_complete(store, count)
        assert rows(store, "SELECT count(DISTINCT path) FROM filings") == [(count,)]


def test_freed_memory_goes_back_on_linux() -> None:
    import sys

    from risklens.model.memory import release_freed_memory

    assert release_freed_memory() is sys.platform.startswith("linux")


def test_a_worker_prints_to_stderr_so_json_output_stays_clean() -> None:
    import subprocess
    import sys

    code = "import os; from risklens.corpus.build import start_worker; start_worker(os.getppid()); print('from a reader')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout == "" and "from a reader" in done.stderr


def test_paragraph_batches_keep_order_and_reach_the_size() -> None:
    from types import SimpleNamespace

    from risklens.corpus.build import paragraph_batches

    filings = [SimpleNamespace(paragraphs=[0] * n, name=i) for i, n in enumerate([100, 200, 10, 300, 5])]
    runs = list(paragraph_batches(filings, 256))  # type: ignore[arg-type]
    assert [[f.name for f in run] for run in runs] == [[0, 1], [2, 3], [4]]
    assert list(paragraph_batches([], 256)) == []

    from risklens.corpus.ingest import IngestFailure

    failure = IngestFailure("bad.pdf", "ingest", "corrupt_pdf", "damaged")
    mixed = list(paragraph_batches([filings[0], failure, filings[1]], 256))  # type: ignore[list-item]
    assert mixed[0] is failure and [f.name for f in mixed[1]] == [0, 1]  # type: ignore[union-attr]
