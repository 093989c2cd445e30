"""How much work reading one untrusted file may take.

A 400 KB PDF can hold a page whose content stream inflates to 200 MB, or 999 pages of
text: read naively, one upload takes the server down. ``ParseLimits`` says how far a
reader may go; ``filings.sandbox`` enforces the memory and time limits in a worker process
and the readers enforce the byte, page and character limits themselves. Every breach is a
``FilingError`` (``DocumentTooComplex`` or ``DecompressionLimit``) naming the limit.

The defaults hold every real filing in ``../shared`` (the largest: 555 pages, 1.4 M
characters) with room to spare, and stop the bombs in tests/filings/test_hostile.py.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class ParseLimits:
    """Limits of one document's reading; every field is a hard cap."""

    memory_bytes: int = 2048 * MIB
    """Address space of the worker process that reads a PDF (RLIMIT_AS)."""
    cpu_seconds: int = 60
    """CPU time the worker may spend on one document (RLIMIT_CPU)."""
    wall_seconds: float = 120.0
    """Wall-clock time the caller waits for one document before killing the worker."""
    max_pages: int = 3_000
    """Pages of a PDF; prospectuses run to 600."""
    max_page_chars: int = 200_000
    """Characters extracted from one page; a dense page of a prospectus holds ~3,000."""
    max_chars: int = 20_000_000
    """Characters extracted from the whole document."""
    max_stream_bytes: int = 64 * MIB
    """Inflated size of one compressed PDF stream."""
    max_inflated_bytes: int = 512 * MIB
    """Inflated size of all compressed PDF streams together."""
    sandbox: bool = True
    """Read PDFs in a worker process (False: in this process, still with the other caps)."""

    def __post_init__(self) -> None:
        for name in ("memory_bytes", "cpu_seconds", "max_pages", "max_page_chars", "max_chars",
                     "max_stream_bytes", "max_inflated_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"ParseLimits.{name} must be a positive integer; got {value!r}.")
        if not self.wall_seconds > 0:
            raise ValueError(f"ParseLimits.wall_seconds must be positive; got {self.wall_seconds!r}.")


DEFAULT_LIMITS = ParseLimits()
