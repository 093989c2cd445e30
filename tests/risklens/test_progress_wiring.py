"""The commands create the one ``ProgressBar``; the packages only call the callback they get."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from risklens.cli import main
from risklens.scoring.batch import score_files
from tests.scoring.fakes import FILING_MD, KeywordClassifier


class RecordingBar:
    """Stands in for ``ProgressBar``: records its calls instead of drawing."""

    def __init__(self, made: list[RecordingBar], desc: str, unit: str = "it", *, leave: bool = False) -> None:
        self.desc, self.unit, self.leave = desc, unit, leave
        self.calls: list[tuple[int, int]] = []
        self.closed = False
        made.append(self)

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))

    def __enter__(self) -> RecordingBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True


@pytest.fixture()
def bars(monkeypatch: pytest.MonkeyPatch) -> list[RecordingBar]:
    """Every bar a command creates, in order (the modules' ``ProgressBar`` replaced)."""
    made: list[RecordingBar] = []

    def factory(*args: Any, **kwargs: Any) -> RecordingBar:
        return RecordingBar(made, *args, **kwargs)

    for module in ("risklens.commands.predict", "risklens.commands.score"):
        monkeypatch.setattr(f"{module}.ProgressBar", factory)
    return made


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from risklens.model.testing import make_tiny_classifier

    return make_tiny_classifier(tmp_path_factory.mktemp("tiny") / "model")


def test_score_files_opens_one_progress_per_file_and_closes_it(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text(FILING_MD, encoding="utf-8")
    events: list[tuple[Any, ...]] = []

    @contextmanager
    def progress(name: str) -> Iterator[Callable[[int, int], None]]:
        events.append(("open", name))
        yield lambda done, total: events.append(("step", name, done, total))
        events.append(("close", name))

    result = score_files([good, tmp_path / "missing.md"], KeywordClassifier(), progress=progress)

    assert len(result.scored) == 1 and len(result.errors) == 1 and "missing.md" in result.errors[0]
    steps = [event for event in events if event[0] == "step"]
    assert steps and {event[1] for event in steps} == {"good.md"}
    assert steps[-1][2] == steps[-1][3]  # the last call reports the file done
    assert [e for e in events if e[0] != "step"] == [
        ("open", "good.md"), ("close", "good.md"), ("open", "missing.md"), ("close", "missing.md")
    ]


def test_score_files_without_progress_reports_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text(FILING_MD, encoding="utf-8")
    assert len(score_files([good], KeywordClassifier()).scored) == 1


def test_score_draws_one_bar_per_file_unless_told_not_to(
    tmp_path: Path, tiny_model: Path, bars: list[RecordingBar], capsys: pytest.CaptureFixture[str]
) -> None:
    filing = tmp_path / ("a-very-long-name-of-a-prospectus-file" + ".md")
    filing.write_text(FILING_MD, encoding="utf-8")
    assert main(["score", str(filing), "--model", str(tiny_model), "--format", "json"]) == 0
    assert [(bar.desc, bar.unit, bar.closed) for bar in bars] == [(filing.name[:30], "win", True)]
    assert bars[0].calls and bars[0].calls[-1][0] == bars[0].calls[-1][1]
    assert json.loads(capsys.readouterr().out)["document"]

    bars.clear()
    assert main(["score", str(filing), "--model", str(tiny_model), "--format", "json", "--no-progress"]) == 0
    assert bars == []


def test_predict_to_a_file_drives_the_bar_and_writes_the_same_lines_as_stdout(
    tmp_path: Path, tiny_model: Path, bars: list[RecordingBar], capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "in.jsonl"
    rows = [{"id": f"p{i}", "heading": "风险因素", "text": "公司应收账款余额较大。" * (i + 1)} for i in range(3)]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"

    assert main(["predict", str(data), "--model", str(tiny_model), "--out", str(out)]) == 0
    assert [(bar.desc, bar.unit, bar.closed) for bar in bars] == [("predict", "window", True)]
    assert bars[0].calls[-1][0] == bars[0].calls[-1][1] >= 3  # every window done

    capsys.readouterr()
    assert main(["predict", str(data), "--model", str(tiny_model)]) == 0
    assert capsys.readouterr().out == out.read_text(encoding="utf-8")
