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

    from risklens.serving.server import limit_malloc_arenas

    assert limit_malloc_arenas() is sys.platform.startswith("linux")
