"""A file without a risk section: each command gives advice that it accepts itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.cli import main


def test_only_paragraphs_suggests_sections_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "memo.txt"
    plain.write_text("一段没有风险章节的普通文字。\n\n第二段文字。\n", encoding="utf-8")
    assert main(["paragraphs", str(plain)]) == 1
    said = capsys.readouterr().err
    assert "it may not be a filing with risk disclosures; --sections all lists every paragraph" in said
    assert main(["paragraphs", str(plain), "--sections", "all"]) == 0
    assert "第二段文字" in capsys.readouterr().out
    from risklens.filings import NoRiskSection, extract_paragraphs, load_document

    with pytest.raises(NoRiskSection) as error:
        extract_paragraphs(load_document(plain), "risk")
    assert "--sections" not in str(error.value)  # score and the server reject that flag
