"""Errors a user can cause by handing RiskLens a file it cannot read.

Every error carries the file name and a one-line message that says what was expected and
what to do, so the command line can print ``str(error)`` and exit non-zero without a
traceback. All of them are ``ValueError`` subclasses: the input, not the program, is wrong.
"""

from __future__ import annotations


class FilingError(ValueError):
    """A filing could not be turned into paragraphs; ``str()`` is one line for the user."""

    #: What kind of problem this is, stable for scripts and tests.
    code = "filing_error"

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.message = message
        super().__init__(f"{name}: {message}")

    def __reduce__(self) -> tuple[type[FilingError], tuple[str, str]]:
        # Rebuild from (name, message), so the error survives the trip out of a worker process.
        return type(self), (self.name, self.message)


class EmptyFile(FilingError):
    """The file has no bytes, or only whitespace."""

    code = "empty_file"


class UnsupportedFormat(FilingError):
    """The bytes are not a PDF, a text file, page-lines JSON or page-marked Markdown."""

    code = "unsupported_format"


class CorruptPdf(FilingError):
    """The file says it is a PDF but PDFium cannot open it."""

    code = "corrupt_pdf"


class EncryptedPdf(FilingError):
    """The PDF is password-protected."""

    code = "encrypted_pdf"


class NeedsOcr(FilingError):
    """The PDF has no text layer (scanned pages)."""

    code = "needs_ocr"


class NoRiskSection(FilingError):
    """The document was read, but no risk-disclosure section was found in it."""

    code = "no_risk_section"


class DocumentTooComplex(FilingError):
    """Reading the file needed more memory, time, pages or characters than the limits allow.

    Raised for PDF page bombs and for files whose parsing ran out of its sandbox's memory
    or time (``filings.sandbox``); the message names the limit that was hit.
    """

    code = "document_too_complex"


class DecompressionLimit(FilingError):
    """A PDF's compressed streams inflate to more bytes than the limits allow (a zip bomb)."""

    code = "decompression_limit"


class TooManyPages(DocumentTooComplex):
    """A PDF with more pages than ``ParseLimits.max_pages`` (the server's 413 ``too_many_pages``)."""

    code = "too_many_pages"
