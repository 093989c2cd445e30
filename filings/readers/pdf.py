"""Reader for PDFs with a text layer, via PDFium (pypdfium2): fast enough for 200 pages.

Pages are the PDF's own pages (1-based). A password-protected PDF raises
``EncryptedPdf``; a PDF whose pages carry (almost) no text raises ``NeedsOcr``.
"""

from __future__ import annotations

import pypdfium2 as pdfium

from risklens.filings.errors import CorruptPdf, EncryptedPdf, NeedsOcr
from risklens.filings.readers.raw import RawDocument, RawLine

_PDFIUM_PASSWORD_ERROR = 4
# Below this many non-space characters per page on average, we call the PDF scanned.
_MIN_CHARS_PER_PAGE = 20


def looks_like_pdf(data: bytes) -> bool:
    """True if the PDF signature appears in the first kilobyte (as readers allow)."""
    return b"%PDF-" in data[:1024]


def read_pdf(data: bytes, name: str) -> RawDocument:
    """Extract each page's text lines."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _PDFIUM_PASSWORD_ERROR:
            raise EncryptedPdf(
                name, "is a password-protected PDF; remove the password (print to PDF) and retry"
            ) from None
        raise CorruptPdf(name, f"is a damaged PDF that cannot be opened ({exc}); re-download it") from None
    try:
        doc = RawDocument(reader="pdf", pages=len(pdf))
        visible = 0
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_range()
                finally:
                    textpage.close()
            except pdfium.PdfiumError:
                text = ""
            finally:
                page.close()
            visible += sum(1 for ch in text if not ch.isspace())
            for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
                doc.lines.append(RawLine(line, index + 1))
    finally:
        pdf.close()
    if doc.pages == 0:
        raise CorruptPdf(name, "is a PDF without pages; re-download it")
    if visible < _MIN_CHARS_PER_PAGE * doc.pages / 10 or visible == 0:
        raise NeedsOcr(
            name,
            f"is a PDF without a text layer ({doc.pages} pages, {visible} characters); "
            "it needs OCR first, or use the text version of the filing",
        )
    return doc
