"""Fixtures of the scoring tests: made-up filings written to files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scoring.fakes import FILING_MD, LATER_FILING_MD


@pytest.fixture()
def filing_file(tmp_path: Path) -> Path:
    path = tmp_path / "xinghe-prospectus.md"
    path.write_text(FILING_MD, encoding="utf-8")
    return path


@pytest.fixture()
def later_filing_file(tmp_path: Path) -> Path:
    path = tmp_path / "xinghe-offering.md"
    path.write_text(LATER_FILING_MD, encoding="utf-8")
    return path
