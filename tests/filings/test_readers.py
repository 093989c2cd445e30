"""Reader choice by content, encodings, and the one-line errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.filings import (
    CorruptPdf,
    EmptyFile,
    EncryptedPdf,
    FilingError,
    NeedsOcr,
    UnsupportedFormat,
    load_document,
)
from risklens.filings.document import content_id
from risklens.filings.readers.text import page_number_of
from tests.filings.conftest import sample_bytes
from tests.filings.pdfgen import make_pdf


@pytest.mark.parametrize(
    ("fmt", "reader"),
    [("text", "text"), ("gb18030", "text"), ("markdown", "markdown"), ("page_lines", "page_lines"), ("pdf", "pdf")],
)
def test_reader_is_chosen_by_content_not_extension(tmp_path: Path, fmt: str, reader: str) -> None:
    path = tmp_path / "misleading.pdf.txt.md"
    path.write_bytes(sample_bytes(fmt))
    assert load_document(path).reader == reader


def test_gb18030_and_utf8_give_the_same_text() -> None:
    utf8 = load_document(sample_bytes("text"), name="u")
    gbk = load_document(sample_bytes("gb18030"), name="g")
    bom = load_document(b"\xef\xbb\xbf" + sample_bytes("text"), name="b")
    assert utf8.text == gbk.text == bom.text
    assert utf8.doc_id != gbk.doc_id  # ids come from the file bytes


def test_doc_id_is_the_content_hash(tmp_path: Path) -> None:
    data = sample_bytes("markdown")
    path = tmp_path / "x.md"
    path.write_bytes(data)
    assert load_document(path).doc_id == content_id(data) == load_document(data).doc_id
    assert len(content_id(data)) == 16


def test_pdf_pages_are_the_pdf_pages() -> None:
    doc = load_document(make_pdf([["第一页的文字。"], ["第二页的文字。"], ["第三页的文字。"]]), name="p.pdf")
    assert doc.pages == 3
    assert [doc.page_at(doc.text.index(f"第{n}页")) for n in "一二三"] == [1, 2, 3]


@pytest.mark.parametrize(
    ("line", "number"),
    [("8-1-46", 46), ("1-1-12", 12), ("19 / 156", 19), ("- 7 -", 7), ("第 3 页 共 9 页", 3), ("2019 年", None), ("公司", None)],
)
def test_printed_page_numbers(line: str, number: int | None) -> None:
    assert page_number_of(line) == number


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"", EmptyFile, "is empty"),
        (b"  \n\t\n ", EmptyFile, "is empty"),
        (bytes(range(256)) * 8, UnsupportedFormat, "binary|neither UTF-8"),
        (b"PK\x03\x04" + b"\x00" * 40, UnsupportedFormat, "ZIP"),
        (b"%PDF-1.4\nthis is not really a pdf\n", CorruptPdf, "damaged PDF"),
    ],
)
def test_bad_input_raises_one_documented_error(data: bytes, error: type[FilingError], message: str) -> None:
    with pytest.raises(error, match=message) as info:
        load_document(data, name="upload.bin")
    assert str(info.value).startswith("upload.bin: ")
    assert "\n" not in str(info.value)


def test_encrypted_pdf_is_reported() -> None:
    with pytest.raises(EncryptedPdf, match="password"):
        load_document(make_pdf([["机密文件内容。"]], user_password="s3cret"), name="locked.pdf")


def test_pdf_without_text_layer_needs_ocr() -> None:
    with pytest.raises(NeedsOcr, match="OCR"):
        load_document(make_pdf([[], [], []]), name="scan.pdf")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FilingError, match="does not exist"):
        load_document(tmp_path / "nope.pdf")
    with pytest.raises(FilingError, match="is a directory"):
        load_document(tmp_path)


def test_malformed_page_lines_are_rejected() -> None:
    good = '{"page": 1, "allrow": 0, "type": "text", "inside": "第一行。"}\n'
    bad = good + "not json at all\n" * 5
    with pytest.raises(UnsupportedFormat, match="page-lines"):
        load_document(bad.encode(), name="broken.txt")


def test_truncated_last_page_lines_record_is_tolerated() -> None:
    data = sample_bytes("page_lines")
    doc = load_document(data[: len(data) - 25], name="cut.txt")
    assert doc.reader == "page_lines"
