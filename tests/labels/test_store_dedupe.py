"""Writes that must not double: idempotency keys of feedback, known items of an import."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from risklens.labels.migrations import MIGRATIONS, apply_migrations
from risklens.labels.store import IdempotencyKeyReused, LabelStore

RECEIVABLES = "报告期各期末，公司应收账款余额持续增加，若客户回款放缓，公司将面临坏账风险。"
TALENT = "公司所处行业对研发人员依赖度高，若核心技术人员离职，研发进度可能受到影响。"


def item(text: str, labels: list[str], **extra: object) -> dict[str, object]:
    return {"text": text, "labels": labels, **extra}


def test_a_key_stores_once_and_replays_the_first_receipt(tmp_path: Path) -> None:
    with LabelStore(tmp_path / "s.sqlite") as store:
        items = [item(RECEIVABLES, ["receivables_credit"]), item(TALENT, [])]
        first = store.submit_feedback(items, annotator="a", idempotency_key="k1")
        # the same request with its JSON keys in another order is the same request
        again = store.submit_feedback([dict(reversed(list(i.items()))) for i in items], annotator="a", idempotency_key="k1")
        assert (first.stored, first.replayed) == (2, False)
        assert (again.stored, again.batch_id, again.replayed) == (2, first.batch_id, True)
        assert store.counts()["annotations"] == 2 and store.counts()["batches"] == 1


@pytest.mark.parametrize(
    ("items", "annotator"),
    [
        ([item(RECEIVABLES, ["liquidity_and_debt"])], "a"),  # other labels
        ([item(RECEIVABLES, ["receivables_credit"])], "b"),  # other annotator
        ([item(RECEIVABLES, ["receivables_credit"]), item(TALENT, [])], "a"),  # more paragraphs
    ],
)
def test_a_key_reused_for_another_request_is_refused(
    tmp_path: Path, items: list[dict[str, object]], annotator: str
) -> None:
    with LabelStore(tmp_path / "s.sqlite") as store:
        store.submit_feedback([item(RECEIVABLES, ["receivables_credit"])], annotator="a", idempotency_key="k1")
        with pytest.raises(IdempotencyKeyReused, match=r"'k1' was first used .* different request .* new key"):
            store.submit_feedback(items, annotator=annotator, idempotency_key="k1")
        assert store.counts()["annotations"] == 1


def test_invalid_items_or_keys_record_nothing(tmp_path: Path) -> None:
    with LabelStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(ValueError, match="unknown label"):
            store.submit_feedback([item(RECEIVABLES, ["receivable_credit"])], annotator="a", idempotency_key="k1")
        for key in ("", "  ", "x" * 256):
            with pytest.raises(ValueError, match="idempotency key must be 1 to 255"):
                store.submit_feedback([item(RECEIVABLES, [])], annotator="a", idempotency_key=key)
        # the refused request did not burn its key
        assert store.submit_feedback([item(RECEIVABLES, [])], annotator="a", idempotency_key="k1").replayed is False


def test_two_processes_racing_with_one_key_write_one_batch(tmp_path: Path) -> None:
    """Separate connections (as separate server processes have) contend for the write lock."""
    path = tmp_path / "s.sqlite"
    LabelStore(path).close()
    stores = [LabelStore(path) for _ in range(6)]
    start = threading.Barrier(len(stores))
    receipts = []

    def submit(store: LabelStore) -> None:
        start.wait()
        receipts.append(store.submit_feedback([item(TALENT, [])], annotator="a", idempotency_key="race"))

    threads = [threading.Thread(target=submit, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert sorted(r.replayed for r in receipts) == [False] + [True] * (len(stores) - 1)
    assert len({r.batch_id for r in receipts}) == 1
    with LabelStore(path) as store:
        assert store.counts()["batches"] == 1


def test_a_version_1_store_is_upgraded_and_keeps_its_labels(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    apply_migrations(conn, MIGRATIONS[:1])
    conn.close()
    with LabelStore(path) as store:
        store.add_feedback([item(RECEIVABLES, [])], annotator="a")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TABLE idempotency_keys")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with LabelStore(path) as store:
        assert store.schema_version == 2 and store.counts()["annotations"] == 1
        assert store.submit_feedback([item(TALENT, [])], annotator="a", idempotency_key="k").stored == 1


# ------------------------------------------------------------ known items
def test_skip_known_imports_an_export_once_and_keeps_changed_labels(tmp_path: Path) -> None:
    records = [
        item(RECEIVABLES, ["receivables_credit"], annotator="ann-1"),
        item(RECEIVABLES, ["receivables_credit"], annotator="ann-2"),  # another annotator's label counts
        item(TALENT, ["core_talent_and_know_how"], annotator="ann-1"),
        item(TALENT, ["core_talent_and_know_how"], annotator="ann-1"),  # a repeat inside the export
    ]
    with LabelStore(tmp_path / "s.sqlite") as store:
        first = store.import_records(records, annotator="x", skip_known=True)
        second = store.import_records(records, annotator="x", skip_known=True, batch_size=1)
        changed = store.import_records(
            [item(TALENT, ["core_talent_and_know_how", "rd_failure"], annotator="ann-1")], annotator="x", skip_known=True
        )
        latest = {(a.annotator, a.text): a.labels for a in store.latest()}
        counts = store.counts()
    assert (first.annotations, first.skipped, first.batches) == (3, 1, 1)
    assert (second.annotations, second.skipped, second.batches) == (0, 4, 0)  # no empty batches
    assert (changed.annotations, changed.skipped) == (1, 0)
    assert latest[("ann-1", TALENT)] == ("rd_failure", "core_talent_and_know_how")
    assert counts["annotations"] == 4 and counts["batches"] == 2


def test_without_skip_known_imports_add_up(tmp_path: Path) -> None:
    records = [item(RECEIVABLES, ["receivables_credit"])]
    with LabelStore(tmp_path / "s.sqlite") as store:
        store.import_records(records, annotator="x")
        report = store.import_records(records, annotator="x")
        assert (report.annotations, report.skipped) == (1, 0)
        assert store.counts()["annotations"] == 2
