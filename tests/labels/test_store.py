from __future__ import annotations

import json
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from risklens.labels.annotations import text_hash
from risklens.labels.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    SchemaError,
    apply_migrations,
)
from risklens.labels.store import (
    FeedbackError,
    LabelStore,
    StoreError,
    default_store_path,
    parse_item,
)

RECEIVABLES = "报告期各期末，公司应收账款余额持续增加，若客户回款放缓，公司将面临坏账风险。"
TALENT = "公司所处行业对研发人员依赖度高，若核心技术人员离职，研发进度可能受到影响。"


def item(text: str, labels: list[str], **extra: object) -> dict[str, object]:
    return {"text": text, "labels": labels, **extra}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LabelStore]:
    with LabelStore(tmp_path / "labels.sqlite") as opened:
        yield opened


def test_new_store_is_wal_and_at_the_latest_schema(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "labels.sqlite"
    with LabelStore(path) as store:
        assert store.schema_version == LATEST_VERSION == len(MIGRATIONS)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"paragraphs", "annotations", "batches"} <= tables


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "labels.sqlite"
    with LabelStore(path) as store:
        store.add_feedback([item(RECEIVABLES, ["receivables_credit"])], annotator="ann")
    with LabelStore(path) as store:
        assert store.counts()["annotations"] == 1


def test_add_feedback_stores_text_as_given_with_provenance(store: LabelStore) -> None:
    added = store.add_feedback(
        [
            item(RECEIVABLES, ["receivables_credit"], heading="一、财务风险 / （一）应收账款风险", id="u-1", source="web"),
            item(TALENT, ["core_talent_and_know_how"]),
        ],
        annotator="analyst@example.com",
    )
    assert added == 2
    first, second = store.annotations()
    assert first.text == RECEIVABLES and first.labels == ("receivables_credit",)
    assert first.heading == "一、财务风险 / （一）应收账款风险"
    assert (first.item_id, first.source, first.origin) == ("u-1", "web", "feedback")
    assert first.annotator == "analyst@example.com"
    assert first.text_hash == text_hash(RECEIVABLES)
    assert first.batch_id == second.batch_id  # one call, one transaction, one batch
    assert store.counts() == {"paragraphs": 2, "annotations": 2, "batches": 1, "origin:feedback": 2}


def test_labels_are_stored_in_taxonomy_order(store: LabelStore) -> None:
    store.add_feedback([item(RECEIVABLES, ["gross_margin", "receivables_credit"])], annotator="a")
    (stored,) = store.annotations()
    assert stored.labels == ("receivables_credit", "gross_margin")


def test_unknown_label_names_the_item_and_stores_nothing(store: LabelStore) -> None:
    batch = [item(RECEIVABLES, ["receivables_credit"]), item(TALENT, ["receivable_credit"], id="b")]
    with pytest.raises(FeedbackError, match=r"item 2 \(id 'b'\): unknown label 'receivable_credit'.*receivables_credit"):
        store.add_feedback(batch, annotator="a")
    assert store.counts()["annotations"] == 0


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"labels": []}, "missing 'text'"),
        ({"text": "  ", "labels": []}, "non-empty string"),
        ({"text": "文本"}, "missing 'labels'"),
        ({"text": "文本", "labels": "stock_price"}, "must be a list"),
        ({"text": "文本", "labels": [], "heading": 3}, "'heading' must be a string"),
        ("not an object", "expected a JSON object"),
    ],
)
def test_malformed_items_are_refused(bad: object, message: str) -> None:
    with pytest.raises(FeedbackError, match=message):
        parse_item(bad, where="x.jsonl:3")  # type: ignore[arg-type]


def test_origin_and_annotator_are_checked(store: LabelStore) -> None:
    with pytest.raises(ValueError, match="origin must be one of gold, feedback, import"):
        store.add_feedback([item(RECEIVABLES, [])], annotator="a", origin="guess")
    with pytest.raises(ValueError, match="annotator"):
        store.add_feedback([item(RECEIVABLES, [])], annotator=" ")


def test_relabelling_keeps_history_and_latest_wins(store: LabelStore) -> None:
    store.add_feedback([item(RECEIVABLES, ["receivables_credit"])], annotator="a")
    store.add_feedback([item(RECEIVABLES, ["receivables_credit", "liquidity_and_debt"])], annotator="b")
    store.add_feedback([item(TALENT, [])], annotator="b", origin="gold")
    assert store.counts()["paragraphs"] == 2
    assert len(list(store.annotations())) == 3
    latest = {a.text: a for a in store.latest()}
    assert latest[RECEIVABLES].labels == ("receivables_credit", "liquidity_and_debt")
    assert latest[RECEIVABLES].annotator == "b"
    assert latest[TALENT].labels == () and latest[TALENT].origin == "gold"
    assert [a.origin for a in store.annotations(origin="gold")] == ["gold"]


def test_same_text_under_another_heading_is_another_paragraph(store: LabelStore) -> None:
    store.add_feedback(
        [item(RECEIVABLES, ["receivables_credit"], heading="甲"), item(RECEIVABLES, [], heading="乙")],
        annotator="a",
    )
    assert store.counts()["paragraphs"] == 2


def corpus_ref(text: str) -> dict[str, object]:
    return {"doc": "corpus/ipo-2024-2025/x.md", "doc_hash": "00ff", "start": 10, "end": 10 + len(text),
            "text_hash": text_hash(text), "section": "risk_factors", "heading": "第三节 风险因素", "page": 4}


def test_corpus_backed_items_keep_the_reference_not_the_text(store: LabelStore) -> None:
    store.add_feedback([item(RECEIVABLES, ["receivables_credit"], ref=corpus_ref(RECEIVABLES))], annotator="a")
    (stored,) = store.annotations()
    assert stored.text is None and stored.is_stand_off
    assert stored.ref() == {k: v for k, v in corpus_ref(RECEIVABLES).items() if k not in ("heading", "page")}
    assert stored.heading == "第三节 风险因素"  # taken from the reference when the item has none
    raw = sqlite3.connect(store.path).execute("SELECT COUNT(*) FROM paragraphs WHERE text IS NOT NULL").fetchone()
    assert raw[0] == 0


def test_reference_whose_hash_does_not_match_the_text_is_refused() -> None:
    with pytest.raises(FeedbackError, match=r"does not match ref\.text_hash"):
        parse_item(item(TALENT, [], ref=corpus_ref(RECEIVABLES)))
    with pytest.raises(FeedbackError, match="lacks doc_hash"):
        parse_item(item(TALENT, [], ref={"doc": "a", "start": 0, "end": 3, "text_hash": "x"}))


def test_export_then_import_round_trips(store: LabelStore, tmp_path: Path) -> None:
    store.add_feedback(
        [
            item(RECEIVABLES, ["receivables_credit"], heading="h", id="u-1"),
            item(TALENT, ["core_talent_and_know_how"], ref=corpus_ref(TALENT)),
        ],
        annotator="a",
    )
    out = tmp_path / "export.jsonl"
    assert store.export_jsonl(out) == 2
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    with LabelStore(tmp_path / "copy.sqlite") as copy:
        report = copy.import_records(records, annotator="fallback", batch_size=1)
        assert (report.batches, report.annotations) == (2, 2)

        def key(a: object) -> tuple[object, ...]:
            return tuple(getattr(a, f) for f in ("text", "text_hash", "heading", "labels", "annotator", "document", "start", "end"))

        assert [key(a) for a in copy.annotations()] == [key(a) for a in store.annotations()]
        assert [a.origin for a in copy.annotations()] == ["import", "import"]


def test_import_commits_per_batch_and_reports_each(store: LabelStore) -> None:
    seen: list[int] = []
    records = [item(f"{RECEIVABLES}（第{i}段）", ["receivables_credit"]) for i in range(25)]
    report = store.import_records(records, annotator="bulk", batch_size=10, on_batch=lambda b: seen.append(b.size))
    assert seen == [10, 10, 5]
    assert (report.batches, report.annotations) == (3, 25)
    assert store.counts()["batches"] == 3


def test_a_bad_record_keeps_the_batches_before_it(store: LabelStore) -> None:
    records = [item(f"{TALENT}{i}", []) for i in range(5)] + [item("坏", ["nope"])]
    with pytest.raises(FeedbackError, match="record 6"):
        store.import_records(records, annotator="bulk", batch_size=2)
    assert store.counts()["annotations"] == 4  # two full batches committed, the third never written
    assert store.integrity_check() == []


def test_integrity_check_finds_a_batch_with_missing_annotations(store: LabelStore) -> None:
    store.add_feedback([item(RECEIVABLES, []), item(TALENT, [])], annotator="a")
    assert store.integrity_check() == []
    raw = sqlite3.connect(store.path)
    raw.execute("DELETE FROM annotations WHERE id = 2")
    raw.commit()
    raw.close()
    assert store.integrity_check() == ["batch 1: recorded 2 annotations, holds 1"]


def test_store_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "labels.sqlite"
    path.write_text("hello, this is a text file and definitely not SQLite" * 20)
    with pytest.raises(StoreError, match="not a RiskLens label store"):
        LabelStore(path)


def test_store_refuses_a_schema_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "labels.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaError, match="newer RiskLens"):
        LabelStore(path)


def test_pending_migrations_upgrade_an_existing_store(tmp_path: Path) -> None:
    path = tmp_path / "labels.sqlite"
    with LabelStore(path) as store:
        store.add_feedback([item(RECEIVABLES, ["receivables_credit"])], annotator="a")
    upgrade = Migration(LATEST_VERSION + 1, "review flag", "ALTER TABLE annotations ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0;")
    conn = sqlite3.connect(path, isolation_level=None)
    assert apply_migrations(conn, (*MIGRATIONS, upgrade)) == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION + 1
    assert conn.execute("SELECT reviewed FROM annotations").fetchall() == [(0,)]
    assert apply_migrations(conn, (*MIGRATIONS, upgrade)) == 0  # idempotent


def test_a_failing_migration_leaves_the_old_schema(tmp_path: Path) -> None:
    path = tmp_path / "labels.sqlite"
    LabelStore(path).close()
    broken = Migration(
        LATEST_VERSION + 1, "half done",
        "CREATE TABLE reviews (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);",
    )
    conn = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        apply_migrations(conn, (*MIGRATIONS, broken))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'reviews'").fetchone() is None


def test_default_store_path_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RISKLENS_STORE", str(tmp_path / "s.sqlite"))
    assert default_store_path() == tmp_path / "s.sqlite"
    monkeypatch.delenv("RISKLENS_STORE")
    monkeypatch.setenv("RISKLENS_HOME", str(tmp_path / "home"))
    assert default_store_path() == tmp_path / "home" / "labels.sqlite"  # beside the model registry
    monkeypatch.delenv("RISKLENS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert default_store_path() == tmp_path / "xdg" / "risklens" / "labels.sqlite"
    legacy = tmp_path / ".risklens" / "labels.sqlite"  # a store from before $RISKLENS_HOME is kept
    legacy.parent.mkdir()
    legacy.touch()
    assert default_store_path() == legacy


def test_one_store_shared_by_threads_loses_nothing(store: LabelStore) -> None:
    def writer(name: str) -> None:
        for i in range(40):
            store.add_feedback([item(f"{name}-{i}：{TALENT}", [])], annotator=name)

    threads = [threading.Thread(target=writer, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.counts()["annotations"] == 160
    assert store.integrity_check() == []


def test_a_writer_locked_out_for_too_long_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "labels.sqlite"
    LabelStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with LabelStore(path, busy_timeout=0.05, retries=1) as store:
            with pytest.raises(StoreError, match="stayed locked by another writer"):
                store.add_feedback([item(RECEIVABLES, [])], annotator="a")
            holder.execute("ROLLBACK")
            assert store.add_feedback([item(RECEIVABLES, [])], annotator="a") == 1  # free again
    finally:
        holder.close()
