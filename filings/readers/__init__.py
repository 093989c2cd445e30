"""Pick a reader by content (not by file extension) and return the raw page lines.

Order of the checks: empty → PDF signature → Word .docx (a ZIP with word/document.xml) → other binary containers → text decoding
(UTF-8, else GB18030) → binary junk that happened to decode → page-lines JSON →
page-marked Markdown → plain text.
"""

from __future__ import annotations

from risklens.filings.errors import EmptyFile, UnsupportedFormat
from risklens.filings.limits import DEFAULT_LIMITS, ParseLimits
from risklens.filings.readers.docx import looks_like_docx, read_docx
from risklens.filings.readers.markdown import looks_like_markdown, read_markdown
from risklens.filings.readers.page_lines import looks_like_page_lines, read_page_lines
from risklens.filings.readers.pdf import looks_like_pdf, read_pdf
from risklens.filings.readers.raw import RawDocument, RawLine
from risklens.filings.readers.text import decode_text, read_text
from risklens.filings.sandbox import run_limited

__all__ = ["RawDocument", "RawLine", "read_raw"]

# Signatures of containers users sometimes hand us by mistake, with what to do instead.
_KNOWN_BINARY: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP container but not a Word .docx; unpack it first"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc/.xls); export the filing as PDF"),
    (b"\x89PNG", "a PNG image; a scanned page needs OCR first"),
    (b"\xff\xd8\xff", "a JPEG image; a scanned page needs OCR first"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive; unpack it first"),
    (b"Rar!", "a RAR archive; unpack it first"),
    (b"7z\xbc\xaf", "a 7-Zip archive; unpack it first"),
)
# Decoded text with more than this share of control characters is binary junk.
_MAX_CONTROL_SHARE = 0.01
_ALLOWED_CONTROLS = frozenset("\n\r\t\f")


def read_raw(data: bytes, name: str, limits: ParseLimits = DEFAULT_LIMITS) -> RawDocument:
    """Detect the format of ``data`` and run the matching reader.

    PDFs are read under ``limits`` in a worker process (``filings.sandbox``): native
    parsers are where a hostile file does its damage. Text formats are parsed here; their
    size is the caller's limit on the upload.
    """
    if not data.strip():
        raise EmptyFile(name, "is empty; expected a PDF or the text of a filing")
    if looks_like_pdf(data):
        return run_limited(read_pdf, data, name, limits, name=name, limits=limits)
    if looks_like_docx(data):
        return run_limited(read_docx, data, name, limits, name=name, limits=limits)
    for signature, what in _KNOWN_BINARY:
        if data.startswith(signature):
            raise UnsupportedFormat(name, f"is {what}")
    text = decode_text(data, name)
    _reject_binary_junk(text, name)
    if not text.strip():
        raise EmptyFile(name, "is empty; expected a PDF or the text of a filing")
    if looks_like_page_lines(text):
        return read_page_lines(text, name)
    if looks_like_markdown(text):
        return read_markdown(text)
    return read_text(text)


def _reject_binary_junk(text: str, name: str) -> None:
    sample = text[:200_000]
    controls = sum(1 for ch in sample if ch < " " and ch not in _ALLOWED_CONTROLS)
    if controls > max(2, _MAX_CONTROL_SHARE * len(sample)) or "\x00" in sample:
        raise UnsupportedFormat(
            name, "looks like binary data, not a PDF or text; expected a filing as PDF or text"
        )
