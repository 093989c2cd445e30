"""``risklens labels check`` on sound stores and on stores broken on purpose, one finding each."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from risklens.cli import main
from risklens.labels.store import LabelStore
from risklens.labels.store_check import check_store

RECEIVABLES = "报告期各期末，公司应收账款余额持续增加，若客户回款放缓，公司将面临坏账风险。"
TALENT = "公司所处行业对研发人员依赖度高，若核心技术人员离职，研发进度可能受到影响。"


def item(text: str, labels: list[str]) -> dict[str, Any]:
    return {"text": text, "labels": labels}


@pytest.fixture()
def sound(tmp_path: Path) -> Path:
    """Two annotators, two origins, one correction: nothing wrong."""
    path = tmp_path / "labels.sqlite"
    with LabelStore(path) as store:
        store.add_feedback([item(RECEIVABLES, ["receivables_credit"]), item(TALENT, [])], annotator="ann-1")
        store.add_feedback([item(RECEIVABLES, ["receivables_credit"])], annotator="ann-2", origin="gold")
        store.add_feedback([item(TALENT, ["core_talent_and_know_how"])], annotator="ann-1")  # a correction
    return path


def sql(path: Path, *statements: str) -> None:
    """Edit the store behind RiskLens's back (foreign keys off, as any sqlite3 client)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


def checks(path: Path) -> set[str]:
    return {finding.check for finding in check_store(path).problems}


def run(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["labels", "check", "--store", str(path), *extra])
    return code, capsys.readouterr().out


def test_a_sound_store_is_ok_with_its_counts(sound: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(sound, capsys, "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["problems"] == []
    assert report["schema_version"] == report["latest_schema_version"] == 2
    assert report["counts"] == {
        "paragraphs": 2, "annotations": 4, "batches": 3, "idempotency_keys": 0,
        "by_origin": {"feedback": 3, "gold": 1}, "by_annotator": {"ann-1": 3, "ann-2": 1},
    }
    assert report["notes"] == ["1 paragraphs were relabelled by the same annotator (the latest label wins)"]
    code, table = run(sound, capsys)
    assert code == 0 and table.splitlines()[-1] == "ok: no problem found"
    assert "  annotations              4" in table and "  by annotator      ann-1 3, ann-2 1" in table


def test_checking_writes_nothing(sound: Path) -> None:
    sql(sound, "DROP TABLE idempotency_keys", "PRAGMA user_version = 1")  # an older store
    before = sound.read_bytes()
    report = check_store(sound)
    assert report.ok and report.notes[0].startswith("schema version 1 of 2: RiskLens upgrades it")
    assert sound.read_bytes() == before  # not migrated by the check


def test_twice_stored_feedback_is_a_duplicate_and_an_identical_batch(sound: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with LabelStore(sound) as store:
        store.add_feedback([item(RECEIVABLES, ["receivables_credit"]), item(TALENT, [])], annotator="ann-1")
    code, out = run(sound, capsys)
    assert code == 1
    assert "problem [duplicates]: paragraph 1 (text_hash " in out and "labelled [\"receivables_credit\"] 2 times by 'ann-1'" in out
    assert "problem [identical_batches]: batches 1, 4 hold the same 2 annotations" in out
    assert out.splitlines()[-1] == "3 problem(s) found"  # two duplicated paragraphs, one pair of batches


def test_unknown_and_unreadable_labels(sound: Path) -> None:
    sql(sound, """UPDATE annotations SET labels = '["stock_prices"]' WHERE id = 2""",
        "UPDATE annotations SET labels = 'oops' WHERE id = 3")
    messages = [f.message for f in check_store(sound).problems if f.check == "unknown_labels"]
    assert messages == [
        "unknown label 'stock_prices' (not a leaf of risk-taxonomy.v1) in 1 annotations (ids 2); did you mean 'stock_price'?",
        "1 annotations whose labels are not a JSON list of ids (ids 3)",
    ]


def test_a_dangling_reference_and_a_short_batch(sound: Path) -> None:
    sql(sound,
        "INSERT INTO batches (origin, annotator, source, size, created) VALUES ('feedback', 'x', '', 1, 'now')",
        "INSERT INTO annotations (paragraph_id, batch_id, labels, annotator, origin, taxonomy_version, created) "
        "VALUES (999, 4, '[]', 'x', 'feedback', 'risk-taxonomy.v1', 'now')",
        "DELETE FROM annotations WHERE id = 4")
    report = check_store(sound)
    assert {f.message for f in report.problems} == {
        "annotations row 5 points to a missing paragraphs row",
        "batch 3 recorded 1 annotations but holds 0",
    }


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (("PRAGMA user_version = 9",), "schema version 9 was written by a newer RiskLens"),
        (("DROP TABLE idempotency_keys",), "the table(s) idempotency_keys are missing"),
        (("DROP TABLE annotations", "PRAGMA user_version = 0"), "schema version 0: not a RiskLens label store"),
    ],
)
def test_a_wrong_schema_is_a_problem(sound: Path, statements: tuple[str, ...], expected: str) -> None:
    sql(sound, *statements)
    (finding,) = check_store(sound).problems
    assert finding.check == "schema" and expected in finding.message


def test_overwritten_pages_fail_the_integrity_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "labels.sqlite"
    with LabelStore(path) as store:
        store.add_feedback([item(f"第{i}段：{RECEIVABLES * 4}", ["receivables_credit"]) for i in range(200)], annotator="a")
    data = bytearray(path.read_bytes())
    for page in range(2, len(data) // 4096, 3):  # leave page 1 (the header and schema) alone
        data[page * 4096 + 100: page * 4096 + 300] = b"\xff" * 200
    path.write_bytes(bytes(data))
    code, out = run(path, capsys, "--format", "json")
    report = json.loads(out)
    assert code == 1 and "integrity" in {p["check"] for p in report["problems"]}
    (integrity,) = [p["message"] for p in report["problems"] if p["check"] == "integrity"]
    assert integrity.startswith("SQLite integrity_check failed: ") and "\n" not in integrity


def test_not_a_database_and_no_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.sqlite"
    text.write_text("not SQLite at all " * 100, "utf-8")
    assert checks(text) == {"schema"}
    code = main(["labels", "check", "--store", str(tmp_path / "missing.sqlite")])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err == f"risklens labels check: {tmp_path / 'missing.sqlite'}: no label store here; pass --store or set $RISKLENS_STORE to an existing store.\n"
    assert not (tmp_path / "missing.sqlite").exists()
