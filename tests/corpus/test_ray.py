"""The Ray engine gives the local engine's rows (a local Ray instance, tiny model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from risklens.corpus.build import BuildOptions, build_corpus
from risklens.corpus.store import open_store
from tests.corpus.filings import ANNUAL_REPORT, NO_RISK_SECTION, write_good

ray = pytest.importorskip("ray", reason="the Ray engine is an optional extra (pip install 'risklens[ray]')")


def table(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with open_store(db, read_only=True) as store:
        return store.connection.execute(sql).fetchall()


def test_ray_and_local_engines_write_the_same_rows(tmp_path: Path, tiny_model_dir: Path, tiny_classifier: Any) -> None:
    from risklens.corpus.ray_engine import RayBuilder

    files = write_good(tmp_path / "in", 3)
    (tmp_path / "in" / "annual.md").write_text(ANNUAL_REPORT, encoding="utf-8")
    (tmp_path / "in" / "minutes.txt").write_text(NO_RISK_SECTION, encoding="utf-8")
    files += [tmp_path / "in" / "annual.md", tmp_path / "in" / "minutes.txt"]
    with open_store(tmp_path / "local.duckdb") as store:
        local = build_corpus(files, store, tiny_classifier, BuildOptions(workers=0))
    with open_store(tmp_path / "ray.duckdb") as store:
        remote = RayBuilder(store, tiny_model_dir, BuildOptions(workers=1), filings_per_batch=2).run(files)
    assert (remote.scored, remote.failed) == (local.scored, local.failed) == (4, 1)

    filings = "SELECT * EXCLUDE (path, scored_at) FROM filings ORDER BY id"
    assert table(tmp_path / "ray.duckdb", filings) == table(tmp_path / "local.duckdb", filings)
    paragraphs = "SELECT * FROM paragraphs ORDER BY paragraph_id"
    ray_rows, local_rows = table(tmp_path / "ray.duckdb", paragraphs), table(tmp_path / "local.duckdb", paragraphs)
    assert len(ray_rows) == len(local_rows) > 0
    for one, other in zip(ray_rows, local_rows, strict=True):
        assert one[:10] == other[:10]
        assert one[10:] == pytest.approx(other[10:], abs=1e-5)
    risks = "SELECT filing_id, kind, risk, rank, round(score, 3), disclosed, paragraphs, evidence_ids FROM risks ORDER BY ALL"
    assert table(tmp_path / "ray.duckdb", risks) == table(tmp_path / "local.duckdb", risks)
    failures = "SELECT code FROM failures"
    assert table(tmp_path / "ray.duckdb", failures) == table(tmp_path / "local.duckdb", failures) == [("no_risk_section",)]
