"""``load_document``: any supported file (path or bytes) to a normalised Document."""

from __future__ import annotations

from pathlib import Path

from risklens.filings.cleanup import clean
from risklens.filings.document import Document, build_document
from risklens.filings.errors import FilingError
from risklens.filings.joining import Joiner
from risklens.filings.limits import DEFAULT_LIMITS, ParseLimits
from risklens.filings.readers import read_raw


def read_source(source: Path | str | bytes, name: str | None) -> tuple[bytes, str]:
    """The bytes of ``source`` and the name to report it under."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), name or "<bytes>"
    path = Path(source)
    label = name or str(path)
    try:
        return path.read_bytes(), label
    except FileNotFoundError:
        raise FilingError(label, "does not exist; check the path") from None
    except IsADirectoryError:
        raise FilingError(label, "is a directory; pass the filing files inside it") from None
    except OSError as exc:
        raise FilingError(label, f"cannot be read ({exc.strerror or exc})") from None


def load_document(
    source: Path | str | bytes, *, name: str | None = None, limits: ParseLimits = DEFAULT_LIMITS
) -> Document:
    """Read a filing and return its normalised text with pages.

    The reader is chosen by content: PDF (text layer), page-lines JSON, Markdown with
    ``## 第N页`` markers, or plain text in UTF-8 or GB18030/GBK. Raises a ``FilingError``
    subclass with a one-line message for anything it cannot read, also for a file that
    breaks ``limits`` (PDFs are read in a worker process under them: ``filings.sandbox``).
    A damaged PDF that could be partly read comes back with ``recovered=True``.
    """
    data, label = read_source(source, name)
    raw = read_raw(data, label, limits)
    lines = clean(raw)
    blocks = Joiner(lines).blocks()
    return build_document(
        data=data, name=label, reader=raw.reader, pages=raw.pages, blocks=blocks,
        recovered=raw.recovered, pages_read=raw.pages_read, known_pages=raw.known_pages,
    )
