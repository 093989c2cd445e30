"""The peer baseline of a corpus database: counts from the store, the command, `score --db`, the trend chart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from risklens.corpus.baseline import store_baseline
from risklens.corpus.build import BuildOptions, build_corpus
from risklens.corpus.store import open_store
from risklens.scoring.peers import load_baseline
from tests.corpus.filings import ANNUAL_REPORT, write_good
from tests.scoring.fakes import KeywordClassifier


@pytest.fixture(scope="module")
def peer_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("baseline")
    files = write_good(root / "in", 4)
    (root / "in" / "annual.md").write_text(ANNUAL_REPORT, encoding="utf-8")
    with open_store(root / "b.duckdb") as store:
        build_corpus([*files, root / "in" / "annual.md"], store, KeywordClassifier(), BuildOptions(workers=0))
    return root / "b.duckdb"


def test_store_baseline_counts_every_filing_per_kind_and_leaf(peer_db: Path) -> None:
    with open_store(peer_db, read_only=True) as store:
        baseline = store_baseline(store)
        disclosing = store.connection.execute(
            "SELECT count(*) FROM risks r JOIN filings f ON f.id = r.filing_id "
            "WHERE r.kind = 'leaf' AND r.risk = 'customer_concentration' AND r.disclosed AND f.kind = 'prospectus'"
        ).fetchone()[0]
    assert baseline.filings == 5 and baseline.source == "database"
    cells = [c for c in baseline.cells.values() if c.kind == "prospectus"]
    assert sum(c.n for c in cells) == 4
    assert sum(c.leaves["customer_concentration"].disclosing for c in cells) == disclosing > 0
    assert all(sum(c.leaves["customer_concentration"].scores.values()) == c.n for c in cells)


def test_baseline_command_writes_a_loadable_file(peer_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from risklens.cli import main

    out = tmp_path / "peer_baseline.json"
    assert main(["corpus", "baseline", "--db", str(peer_db), "--out", str(out)]) == 0
    assert "5 filings" in capsys.readouterr().out
    assert load_baseline(out).filings == 5
    assert json.loads(out.read_text(encoding="utf-8"))["format"] == "risklens-peer-baseline.v1"


def test_score_with_db_uses_the_databases_peers(peer_db: Path, tiny_model_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from risklens.cli import main

    filing = write_good(tmp_path / "one", 1)[0]
    assert main(["score", str(filing), "--model", str(tiny_model_dir), "--db", str(peer_db), "--format", "json",
                 "--no-progress"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["peers"]["source"] == "database" and data["peers"]["too_small"] is True
    assert data["peers"]["n"] == 3  # the 4 prospectuses of the database, this very filing left out
    assert data["document"]["kind"] == "prospectus" and data["document"]["company"]
    assert all("peer_prevalence" in leaf and "flags" in leaf for leaf in data["leaves"])
    assert main(["score", str(filing), "--model", str(tiny_model_dir), "--no-peers", "--format", "md",
                 "--no-progress"]) == 0
    assert "peers: none" in capsys.readouterr().out


def test_stats_by_year_writes_a_self_contained_svg_chart(peer_db: Path, tmp_path: Path) -> None:
    from risklens.cli import main
    from risklens.corpus.trend_chart import trend_svg

    out = tmp_path / "trend.html"
    assert main(["corpus", "stats", "--by", "year", "--format", "html", "--out", str(out), "--db", str(peer_db)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<svg" in page and "<polyline" in page and "<script" not in page and "http://" not in page.replace(
        "http://www.w3.org/2000/svg", "")
    assert "2022" in page and "2023" in page
    rows = [{"bucket": 2020, "leaf": "trial_goods", "filings": 4, "disclosing": 1, "share": 0.25},
            {"bucket": 2021, "leaf": "trial_goods", "filings": 2, "disclosing": 2, "share": 1.0}]
    svg = trend_svg(rows)
    assert svg.count("<circle") == 2 and "trial_goods" in svg
    assert main(["corpus", "stats", "--by", "kind", "--format", "html", "--db", str(peer_db)]) == 2
