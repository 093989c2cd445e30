"""What PDFium alone cannot do safely: measure a PDF's inflated size, repair a cut-off file.

Both use qpdf (through pikepdf), which parses a PDF's objects without rendering them:

- ``check_inflated_size`` inflates every Flate-compressed stream in 1 MiB steps, keeping
  only a running count, and stops at the first stream or total over the limits — so a
  408 KB file whose one page inflates to 200 MB is refused before PDFium decodes it.
- ``repair_pdf`` rebuilds the cross-reference table of a damaged or truncated file (a
  failed download ends early and loses the table that normally sits at the end); the pages
  whose objects arrived stay readable.
"""

from __future__ import annotations

import io
import logging
import re
import zlib

from risklens.filings.errors import CorruptPdf, DecompressionLimit
from risklens.filings.limits import MIB, ParseLimits

log = logging.getLogger(__name__)

_STEP = 1 * MIB
_FLATE = {"/FlateDecode", "/Fl"}


def inflated_size(raw: bytes, cap: int) -> int:
    """Bytes that ``raw`` (a zlib stream) inflates to, counted up to just past ``cap``.

    Never holds more than one step of output. A stream that is damaged part-way counts
    what inflated before the damage, as a reader would.
    """
    inflater = zlib.decompressobj()
    total = 0
    pending = raw
    try:
        while pending and total <= cap:
            total += len(inflater.decompress(pending, _STEP))
            pending = inflater.unconsumed_tail
            if inflater.eof:
                break
    except zlib.error:
        pass
    return total


def _filters(stream: object) -> list[str]:
    value = stream.get("/Filter")  # type: ignore[attr-defined]
    if value is None:
        return []
    items = value if hasattr(value, "__iter__") and not isinstance(value, str) else [value]
    try:
        return [str(item) for item in items]
    except TypeError:
        return [str(value)]


def check_inflated_size(data: bytes, name: str, limits: ParseLimits) -> None:
    """Raise ``DecompressionLimit`` when a Flate stream of the PDF inflates past the limits.

    A PDF that qpdf cannot parse is left to PDFium (and to the sandbox's memory cap).
    """
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except Exception as exc:  # qpdf's errors vary; PDFium gets its own chance
        log.debug("%s: qpdf cannot parse it (%s); inflated size not measured", name, exc)
        return
    total = 0
    with pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream):
                continue
            filters = _filters(obj)
            if not filters or filters[0] not in _FLATE:
                continue
            try:
                raw = obj.read_raw_bytes()
            except Exception:  # a stream whose bytes qpdf cannot reach adds nothing
                continue
            size = inflated_size(raw, limits.max_stream_bytes)
            if size > limits.max_stream_bytes:
                raise DecompressionLimit(
                    name,
                    f"holds a compressed stream of {len(raw):,} bytes that inflates past "
                    f"{limits.max_stream_bytes // MIB} MiB (object {obj.objgen[0]}); "
                    "this is not a normal filing, refusing to read it",
                )
            total += size
            if total > limits.max_inflated_bytes:
                raise DecompressionLimit(
                    name,
                    f"inflates to more than {limits.max_inflated_bytes // MIB} MiB in all; "
                    "this is not a normal filing, refusing to read it",
                )


def repair_pdf(data: bytes, name: str) -> bytes:
    """A rebuilt copy of a damaged or truncated PDF, or ``CorruptPdf`` when nothing is left."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data), attempt_recovery=True) as pdf:
            if len(pdf.pages) == 0:
                raise CorruptPdf(name, "is a damaged PDF with no readable page; re-download it")
            out = io.BytesIO()
            # Copy streams as they are: decoding them here would inflate a bomb.
            pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none)
            return out.getvalue()
    except CorruptPdf:
        raise
    except Exception as exc:
        raise CorruptPdf(
            name, f"is a damaged PDF that cannot be opened or repaired ({_first_line(exc)}); re-download it"
        ) from None


def _first_line(exc: BaseException) -> str:
    """qpdf's message without the in-memory stream's repr it starts with."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return re.sub(r"^stream <[^>]*>: ", "", text)[:160]
