"""Durability of the label store under SIGKILL and concurrent writers (real subprocesses)."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from risklens.labels.store import LabelStore

REPO = Path(__file__).resolve().parents[2]
TOTAL = 10_000
BATCH = 100

IMPORTER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from risklens.labels.store import LabelStore

    def records():
        for i in range(%(total)d):
            yield {"id": f"r{i}", "text": f"第{i}段：公司应收账款余额较大，存在回款风险。", "labels": ["receivables_credit"]}

    store = LabelStore(Path(sys.argv[1]))
    store.import_records(records(), annotator="bulk", batch_size=%(batch)d,
                         on_batch=lambda b: print(b.batch_id, flush=True))
    print("done", flush=True)
    """
) % {"total": TOTAL, "batch": BATCH}

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from risklens.labels.store import LabelStore

    path, name, count, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    store = LabelStore(path)
    while not go.exists():
        time.sleep(0.005)
    for i in range(count):
        store.add_feedback([{"text": f"{name} 反馈第{i}条：行业竞争加剧。", "labels": ["market_competition"]}],
                           annotator=name)
        time.sleep(0.001)  # give the other writer a chance to take the lock in between
    print("done", flush=True)
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_midway_leaves_whole_batches_only(tmp_path: Path) -> None:
    path = tmp_path / "labels.sqlite"
    LabelStore(path).close()  # create the schema before the importer starts
    child = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, str(path)], stdout=subprocess.PIPE, text=True, env=_env(), cwd=REPO
    )
    assert child.stdout is not None
    committed = 0
    for line in child.stdout:
        assert line.strip() != "done", "the import finished before it could be killed"
        committed += 1
        if committed == 20:
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    raw.close()
    with LabelStore(path) as store:
        assert store.integrity_check() == []
        by_batch: dict[int, list[int]] = defaultdict(list)
        for annotation in store.annotations():
            assert annotation.item_id is not None
            by_batch[annotation.batch_id].append(int(annotation.item_id[1:]))
        stored = sum(len(v) for v in by_batch.values())
        assert committed * BATCH <= stored < TOTAL  # everything reported, killed before the end
        for position, batch_id in enumerate(sorted(by_batch)):
            # batch k holds exactly records k*BATCH … k*BATCH+BATCH-1: all of it or none of it
            assert sorted(by_batch[batch_id]) == list(range(position * BATCH, (position + 1) * BATCH))
        # and the store still takes writes after the crash
        store.add_feedback([{"text": "崩溃后的新反馈。", "labels": []}], annotator="after")
        assert store.counts()["annotations"] == stored + 1


def test_two_processes_adding_feedback_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "labels.sqlite"
    go = tmp_path / "go"
    LabelStore(path).close()
    count = 150
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(count), str(go)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=REPO,
        )
        for name in ("alice", "bob")
    ]
    go.touch()  # both start writing at the same moment
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        assert out.strip() == "done"
    with LabelStore(path) as store:
        assert store.integrity_check() == []
        order = [a.annotator for a in store.annotations()]
        assert Counter(order) == {"alice": count, "bob": count}
        switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
        assert switches >= 10, "the two writers did not actually overlap"
        assert store.counts()["batches"] == 2 * count
