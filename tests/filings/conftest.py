"""Fixtures for the filings tests: the sample prospectus in every input format."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.filings.fixtures import sample
from tests.filings.pdfgen import make_pdf

FORMATS = ("text", "gb18030", "markdown", "page_lines", "pdf")


def sample_bytes(fmt: str) -> bytes:
    """The sample prospectus rendered as ``fmt``."""
    if fmt == "text":
        return sample.as_text().encode("utf-8")
    if fmt == "gb18030":
        return sample.as_text().encode("gb18030")
    if fmt == "markdown":
        return sample.as_markdown().encode("utf-8")
    if fmt == "page_lines":
        return sample.as_page_lines().encode("utf-8")
    if fmt == "pdf":
        return make_pdf(sample.pdf_pages())
    raise ValueError(fmt)


@pytest.fixture(params=FORMATS)
def sample_format(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sample_file(tmp_path: Path, sample_format: str) -> Path:
    path = tmp_path / f"sample.{'pdf' if sample_format == 'pdf' else 'dat'}"
    path.write_bytes(sample_bytes(sample_format))
    return path
