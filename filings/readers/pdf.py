"""Reader for PDFs with a text layer, via PDFium (pypdfium2): fast enough for 200 pages.

Pages are the PDF's own pages (1-based). A password-protected PDF raises
``EncryptedPdf``; a PDF whose pages carry (almost) no text raises ``NeedsOcr``. Untrusted
input is bounded by ``ParseLimits``: compressed streams are measured before PDFium
decodes them (``DecompressionLimit``), and pages and characters are counted as they are
extracted (``DocumentTooComplex``). A file PDFium cannot open — typically a download cut
off before its cross-reference table — is repaired with qpdf and read as far as it goes,
its characters decoded when the fonts' maps were cut off (``glyph_order``); the result
says so (``recovered``, ``pages_read``).
"""

from __future__ import annotations

import pypdfium2 as pdfium

from risklens.filings.errors import (
    CorruptPdf,
    DocumentTooComplex,
    EncryptedPdf,
    NeedsOcr,
    TooManyPages,
)
from risklens.filings.limits import DEFAULT_LIMITS, ParseLimits
from risklens.filings.readers.glyph_order import GARBLED_BELOW, cjk_share, decode_simsun_glyphs
from risklens.filings.readers.pdf_repair import check_inflated_size, repair_pdf
from risklens.filings.readers.raw import RawDocument, RawLine

_PDFIUM_PASSWORD_ERROR = 4
# Below this many non-space characters per page on average, we call the PDF scanned.
_MIN_CHARS_PER_PAGE = 20


def looks_like_pdf(data: bytes) -> bool:
    """True if the PDF signature appears in the first kilobyte (as readers allow)."""
    return b"%PDF-" in data[:1024]


def read_pdf(data: bytes, name: str, limits: ParseLimits = DEFAULT_LIMITS) -> RawDocument:
    """Extract each page's text lines, within ``limits``; every failure is a ``FilingError``."""
    check_inflated_size(data, name, limits)
    pdf, recovered = _open(data, name)
    try:
        doc, visible = _extract(pdf, name, limits)
    except pdfium.PdfiumError as exc:
        raise CorruptPdf(name, f"is a damaged PDF whose pages cannot be read ({exc}); re-download it") from None
    finally:
        pdf.close()
    if recovered:
        doc.recovered = True
        _decode_lost_fonts(doc, name)
    if doc.pages == 0:
        raise CorruptPdf(name, "is a PDF without pages; re-download it")
    if recovered and visible == 0:
        raise CorruptPdf(
            name, f"is a damaged or cut-off PDF whose readable part ({doc.pages} pages) holds no text; re-download it"
        )
    if visible < _MIN_CHARS_PER_PAGE * doc.pages / 10 and not recovered:  # a cut-off tail is blank
        raise NeedsOcr(
            name,
            f"is a PDF without a text layer ({doc.pages} pages, {visible} characters); "
            "it needs OCR first, or use the text version of the filing",
        )
    return doc


def _decode_lost_fonts(doc: RawDocument, name: str) -> None:
    """Give a cut-off file its characters back when its fonts' maps were lost (``glyph_order``)."""
    texts = [line.text for line in doc.lines]
    decoded = decode_simsun_glyphs(texts)
    if decoded is not None:
        doc.lines = [line._replace(text=text) for line, text in zip(doc.lines, decoded, strict=True)]
        return
    sample = "".join(texts)
    if sum(1 for ch in sample if ord(ch) > 127) > 1_000 and cjk_share(sample) < GARBLED_BELOW:
        raise CorruptPdf(
            name, "is a damaged or cut-off PDF whose text cannot be decoded (its fonts were in the missing part); "
            "re-download it",
        )


def _open(data: bytes, name: str) -> tuple[pdfium.PdfDocument, bool]:
    """The PDFium document, and whether it had to be repaired first."""
    try:
        return pdfium.PdfDocument(data), False
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _PDFIUM_PASSWORD_ERROR:
            raise EncryptedPdf(
                name, "is a password-protected PDF; remove the password (print to PDF) and retry"
            ) from None
    repaired = repair_pdf(data, name)
    try:
        return pdfium.PdfDocument(repaired), True
    except pdfium.PdfiumError as exc:
        raise CorruptPdf(name, f"is a damaged PDF that cannot be opened ({exc}); re-download it") from None


def _extract(pdf: pdfium.PdfDocument, name: str, limits: ParseLimits) -> tuple[RawDocument, int]:
    """The page lines, and how many non-space characters they hold (counted as they are read;
    decoding lost fonts later maps characters one to one, so the count stands)."""
    pages = len(pdf)
    if pages > limits.max_pages:
        raise TooManyPages(
            name, f"has {pages:,} pages, the limit is {limits.max_pages:,}; send the part with the risk sections"
        )
    doc = RawDocument(reader="pdf", pages=pages)
    chars = 0
    visible = 0
    read = 0
    for index in range(pages):
        text = _page_text(pdf, index)
        if len(text) > limits.max_page_chars:
            raise DocumentTooComplex(
                name, f"page {index + 1} holds {len(text):,} characters, the limit is {limits.max_page_chars:,}"
            )
        chars += len(text)
        if chars > limits.max_chars:
            raise DocumentTooComplex(
                name, f"holds more than {limits.max_chars:,} characters of text by page {index + 1}"
            )
        page_visible = sum(1 for ch in text if not ch.isspace())
        visible += page_visible
        read += page_visible > 0
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            doc.lines.append(RawLine(line, index + 1))
    doc.pages_read = read
    return doc, visible


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    """The text of one page; a page PDFium cannot load or parse reads as empty."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return ""
    try:
        textpage = page.get_textpage()
        try:
            return str(textpage.get_text_range())
        finally:
            textpage.close()
    except pdfium.PdfiumError:
        return ""
    finally:
        page.close()

