from __future__ import annotations

import json
from pathlib import Path

import pytest

from risklens.cli import main


def test_score_formats_with_a_tiny_model(
    tiny_model: Path, filing_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["score", str(filing_file), "--model", str(tiny_model), "--format", "json", "--no-progress"]) == 0
    profile = json.loads(capsys.readouterr().out)
    assert profile["document"]["pages"] == 6 and profile["model"]["name"] == "tiny-random"
    assert len(profile["leaves"]) == 30 and len(profile["paragraphs"]) == 6

    out = tmp_path / "report" / "x.html"
    assert main(["score", str(filing_file), "--model", str(tiny_model), "--format", "html", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"wrote {out}" in capsys.readouterr().err

    assert main(["score", str(filing_file), str(filing_file), "--model", str(tiny_model), "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2

    assert main(["score", str(filing_file), "--model", str(tiny_model), "--format", "md"]) == 0
    assert capsys.readouterr().out.startswith("# Risk profile: ")
    assert main(["score", str(filing_file), "--model", str(tiny_model)]) == 0
    assert "risk-profile.v1" in capsys.readouterr().out


def test_score_keeps_going_past_a_bad_file_and_fails_at_the_end(
    tiny_model: Path, filing_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.pdf"
    code = main(["score", str(missing), str(filing_file), "--model", str(tiny_model), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out)["document"]["name"] == str(filing_file)
    errors = captured.err.strip().splitlines()
    assert errors == [f"risklens score: model {tiny_model} (explicit)", f"risklens score: {missing}: does not exist; check the path"]


def test_score_and_serve_without_a_model_give_one_line(tmp_path: Path, filing_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nowhere = tmp_path / "no-model"
    assert main(["score", str(filing_file), "--model", str(nowhere)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"risklens score: {nowhere}: not a model directory") and "\n" not in err
    assert main(["serve", "--model", str(nowhere)]) == 1
    assert capsys.readouterr().err.startswith("risklens serve: ")
    assert main(["serve", "--port", "0"]) == 2


def test_serve_refuses_a_busy_port(tiny_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--model", str(tiny_model), "--port", str(port)]) == 1
    assert "already in use" in capsys.readouterr().err


def test_compare_command(
    tiny_model: Path, filing_file: Path, later_filing_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compare", str(filing_file), str(later_filing_file), "--model", str(tiny_model)]
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["alignment"]["old_paragraphs"] == 6 and data["alignment"]["new_paragraphs"] == 3
    assert data["alignment"]["matched"] >= 2  # the customer and receivables paragraphs
    assert main(args) == 0
    assert capsys.readouterr().out.startswith(f"old: {filing_file}")
    out = tmp_path / "cmp.html"
    assert main([*args, "--format", "html", "--out", str(out)]) == 0
    assert "Risk comparison" in out.read_text(encoding="utf-8")
    assert main(["compare", str(tmp_path / "nope.md"), str(later_filing_file), "--model", str(tiny_model)]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_malloc_arena_cap_is_accepted_on_linux() -> None:
    import sys

    from risklens.model.memory import limit_malloc_arenas

    assert limit_malloc_arenas() is sys.platform.startswith("linux")


def test_score_writes_several_formats_from_one_scoring_pass(
    tiny_model: Path, filing_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import risklens.scoring.batch as batch

    calls: list[int] = []
    real = batch.score_files

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "score_files", counting)
    out_dir = tmp_path / "reports"
    args = ["score", str(filing_file), str(filing_file), "--model", str(tiny_model), "--no-progress"]
    assert main([*args, "--format", "html,json,md", "--out-dir", str(out_dir)]) == 0
    assert len(calls) == 1
    stem = filing_file.stem
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == sorted(f"{s}.{ext}" for s in (stem, f"{stem}-2") for ext in ("html", "json", "md"))
    assert json.loads((out_dir / f"{stem}.json").read_text("utf-8"))["document"]["pages"] == 6
    assert (out_dir / f"{stem}-2.html").read_text("utf-8").startswith("<!DOCTYPE html>")
    capsys.readouterr()

    assert main([*args, "--format", "html,json"]) == 2
    assert "need --out-dir" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "x"), "--out-dir", str(out_dir)]) == 2
    assert "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*args, "--format", "html,pdf"])
    assert "'html,pdf': expected one or more of table, json, html, md" in capsys.readouterr().err


def test_compare_markdown(
    tiny_model: Path, filing_file: Path, later_filing_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compare", str(filing_file), str(later_filing_file), "--model", str(tiny_model), "--no-progress"]
    assert main([*args, "--format", "md"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Risk comparison: ")
    for section in ("## added (", "## removed (", "## changed ("):
        assert section in text
    assert "aligned " in text and "only in new" in text
