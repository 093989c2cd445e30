"""``risklens paragraphs``: JSONL/table output, bad files on stderr, non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from risklens.cli import main
from tests.filings.conftest import sample_bytes
from tests.filings.fixtures import sample
from tests.filings.pdfgen import make_pdf


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_jsonl_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, "good.pdf", sample_bytes("pdf"))
    assert main(["paragraphs", str(good)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in records] == [t for _, _, t in sample.EXPECTED_RISK]
    assert {"doc", "id", "section", "heading", "page", "start", "end", "text"} <= set(records[0])


def test_bad_files_get_one_stderr_line_and_others_still_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [
        _write(tmp_path, "empty.txt", b""),
        _write(tmp_path, "junk.bin", bytes(range(256)) * 4),
        _write(tmp_path, "locked.pdf", make_pdf([["机密。"]], user_password="pw")),
        _write(tmp_path, "scan.pdf", make_pdf([[]])),
        _write(tmp_path, "notes.txt", "会议纪要\n今天讨论了产品路线图。\n".encode()),
        _write(tmp_path, "good.md", sample_bytes("markdown")),
    ]
    code = main(["paragraphs", "--format", "table", *map(str, files)])
    captured = capsys.readouterr()
    assert code != 0
    errors = captured.err.strip().splitlines()
    assert len(errors) == 5
    for path, needle in zip(files, ["empty", "binary", "password", "OCR", "no 风险因素"], strict=False):
        assert any(str(path) in line and needle in line for line in errors), needle
    assert "Traceback" not in captured.err
    assert len(captured.out.strip().splitlines()) == len(sample.EXPECTED_RISK)


def test_sections_all_works_without_risk_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = _write(tmp_path, "notes.txt", "会议纪要\n今天讨论了产品路线图。\n".encode())
    assert main(["paragraphs", "--sections", "all", str(notes)]) == 0
    record = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert record["section"] == "other" and record["text"] == "今天讨论了产品路线图。"


def test_report_lists_sections_and_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, "a.txt", sample_bytes("text"))
    _write(tmp_path, "b.txt", "只有一句话。\n".encode())
    code = main(["paragraphs", "--report", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "risk_factors 5/5" in out
    assert "1/2" in out and "b.txt: no 风险因素" in out


def test_benchmark_helpers_on_a_small_corpus(tmp_path: Path) -> None:
    from risklens.filings.benchmark import build_page_lines, measure

    source = tmp_path / "corpus"
    source.mkdir()
    _write(source, "a.txt", sample_bytes("page_lines"))
    target = tmp_path / "big.txt"
    assert build_page_lines(source, 100, target) == 100
    pages = [json.loads(line)["page"] for line in target.read_text(encoding="utf-8").splitlines()]
    assert pages == sorted(pages) and max(pages) > 4  # pages renumbered, never repeated
    row = measure(target, 1)
    assert row["paragraphs"] > 0 and row["peak_rss_mb"] > 0 and row["seconds_best"] >= 0


def test_benchmark_ingest_writes_the_report_and_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both targets timed in child processes; the JSON report and the table agree."""
    pdf = _write(tmp_path, "a.pdf", sample_bytes("pdf"))
    source = tmp_path / "corpus" / "corpus" / "ipo-2007-2021"
    source.mkdir(parents=True)
    _write(source, "a.txt", sample_bytes("page_lines"))
    out = tmp_path / "reports" / "ingest.json"
    args = ["benchmark", "ingest", "--pdf", str(pdf), "--shared", str(tmp_path / "corpus"), "--lines", "50"]
    assert main([*args, "--repeat", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["pdf"]["file"] == str(pdf) and report["pdf"]["within_budget"] is True
    assert report["page_lines"]["lines"] == 50 and report["page_lines"]["paragraphs"] > 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split() == ["target", "pages", "best", "s", "median", "s", "cpu", "s", "pages/s", "peak", "MB", "budget"]
    assert printed[1].startswith("pdf ") and "ok (≤ 5.0 s)" in printed[1]
    assert printed[2].startswith("page_lines ") and printed[2].endswith("(50 lines)")
    assert printed[-1] == f"report written to {out}"


def test_benchmark_ingest_names_the_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _write(tmp_path, "lines.txt", sample_bytes("page_lines"))
    out = tmp_path / "ingest.json"
    assert main(["benchmark", "ingest", "--pdf", str(tmp_path / "none.pdf"), "--page-lines", str(lines),
                 "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"benchmark ingest: PDF {tmp_path / 'none.pdf'} not found; pass --pdf or --shared\n"
    assert main(["benchmark", "ingest", "--shared", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "ipo-2007-2021 not found; pass --page-lines or --shared" in capsys.readouterr().err
    assert not out.exists()
