"""A company's history from the store: two versions of the bundled example, one with a risk added."""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.corpus.build import BuildOptions, build_corpus
from risklens.corpus.query import QueryError
from risklens.corpus.store import open_store
from risklens.corpus.timeline import company_timeline
from tests.scoring.fakes import KeywordClassifier

EXAMPLE = Path(__file__).resolve().parents[2] / "risklens" / "examples" / "example_prospectus.md"


def two_versions(folder: Path) -> list[Path]:
    """The example without its trial-goods risk (2023), and whole (2024); names sort the other way."""
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    head, body = lines[:6], lines[6:]
    older = "".join(head) + "招股说明书签署日期：2023年3月1日\n" + "".join(line for line in body if "试用" not in line)
    newer = "".join(head) + "招股说明书签署日期：2024年3月1日\n" + "".join(body)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "b_older.md").write_text(older, encoding="utf-8")
    (folder / "a_newer.md").write_text(newer, encoding="utf-8")
    return [folder / "a_newer.md", folder / "b_older.md"]


@pytest.fixture(scope="module")
def timeline_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("timeline")
    with open_store(root / "t.duckdb") as store:
        summary = build_corpus(two_versions(root / "in"), store, KeywordClassifier(), BuildOptions(workers=0))
    assert summary.scored == 2
    return root / "t.duckdb"


def test_timeline_orders_by_date_and_reports_the_added_risk(timeline_db: Path) -> None:
    with open_store(timeline_db, read_only=True) as store:
        timeline = company_timeline(store, "星衡智能")
    assert [f["name"] for f in timeline.filings] == ["b_older.md", "a_newer.md"]
    assert len(timeline.steps) == 1
    step = timeline.to_dict()["steps"][0]
    assert step["added"] == ["trial_goods"] and step["removed"] == []
    assert step["changes"]["trial_goods"]["new_score"] > step["changes"]["trial_goods"]["old_score"]
    assert timeline.to_dict()["filings"][0]["report_date"] == "2023-03-01"


def test_unknown_company_names_the_key(timeline_db: Path) -> None:
    with open_store(timeline_db, read_only=True) as store, pytest.raises(QueryError, match="不存在的公司"):
        company_timeline(store, "不存在的公司")


def test_timeline_command_prints_the_steps(timeline_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from risklens.cli import main

    assert main(["corpus", "timeline", "星衡智能", "--db", str(timeline_db)]) == 0
    out = capsys.readouterr().out
    assert "added (1): trial_goods" in out and out.index("b_older.md") < out.index("a_newer.md")
