"""Empty, blank and hostile JSONL never end in a traceback (issue "Hostile input", item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.labels.jsonl import iter_json_lines
from risklens.model import RiskClassifier


def test_no_paragraphs_give_an_empty_result_with_and_without_fusion(tiny_fused_dir: Path, tiny_dir: Path) -> None:
    for directory in (tiny_fused_dir, tiny_dir):
        model = RiskClassifier.from_pretrained(directory)
        assert model.predict_proba([]).shape == (0, len(model.labels))
        assert model.predict([]) == []


def test_a_deeply_nested_line_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "nested.jsonl"
    path.write_text('{"text": "ok"}\n' + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    lines = iter_json_lines(path)
    assert next(lines) == (1, {"text": "ok"})
    with pytest.raises(ValueError, match=r"nested.jsonl:2: JSON nested too deeply"):
        next(lines)


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text("\n   \n\t\n", encoding="utf-8")
    assert list(iter_json_lines(path)) == []


def test_predict_command_on_empty_blank_and_nested_files(
    tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from risklens.cli import main

    empty, blank, nested = tmp_path / "empty.jsonl", tmp_path / "blank.jsonl", tmp_path / "nested.jsonl"
    empty.write_text("", encoding="utf-8")
    blank.write_text("\n  \n", encoding="utf-8")
    nested.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    for path in (empty, blank):
        assert main(["predict", str(path), "--model", str(tiny_dir)]) == 0
        said = capsys.readouterr()
        assert said.out == "" and "holds no paragraphs" in said.err
    assert main(["predict", str(nested), "--model", str(tiny_dir)]) == 2
    err = capsys.readouterr().err
    assert "nested.jsonl:1: JSON nested too deeply" in err and "Traceback" not in err
