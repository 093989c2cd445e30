"""Reader for Word ``.docx`` files (sponsors draft prospectuses in Word).

A .docx is a ZIP holding ``word/document.xml``; python-docx walks its body in reading
order. Each Word paragraph becomes one line and each table row one ``table`` line (cells
joined by "|", as the page-lines reader writes them), so clean-up, joining and heading
detection work as for the other formats. Converted filings often hold a whole chapter in
one Word paragraph; a long paragraph is split where a numbered heading or item follows a
sentence end (``split_run_on``), which is where the lost breaks were.

Word has no pages: the layout is made by whichever program opens the file. So every line
is reported on page 0, which ``filings`` reads as *unknown* (``Document.pages == 0``,
``Paragraph.page is None``, null in JSONL); the corpus stores NULL. A guess such as "page 1" would put a
wrong page beside evidence. The ZIP's inflated size is checked against ``ParseLimits``
before any XML is parsed (a .docx can be a zip bomb), and the reading runs in the
sandbox like a PDF's.
"""

from __future__ import annotations

import io
import re
import zipfile

from risklens.filings.errors import DecompressionLimit, DocumentTooComplex, FilingError
from risklens.filings.limits import DEFAULT_LIMITS, MIB, ParseLimits
from risklens.filings.readers.raw import UNKNOWN_PAGE, RawDocument, RawLine
from risklens.filings.sections import ANNUAL_TITLE

_MAIN_PART = "word/document.xml"

RUN_ON_CHARS = 300
"""A Word paragraph longer than this may be several paragraphs whose breaks were lost."""
# An enumerated heading or item (第四节 / 三、 / （三） / 3、 / （1）) right after a sentence
# end, or right after a heading's last word ("…面临的主要风险1、宏观经济…"): where a lost
# paragraph break was. Splitting there restores the heading structure.
_CN = r"[一二三四五六七八九十]{1,3}"
_CHAPTER = rf"第{_CN}[节章]"
_PAREN = rf"[（(](?:{_CN}|\d{{1,2}})[）)]"
_ITEM = rf"{_CN}[、.．]|\d{{1,2}}[、.．](?!\d)"
_ENUMERATOR = rf"(?:{_PAREN}[、，]?|{_ITEM})"
"""An item's number as Word conversions print it: （三） / （3）, optionally with 、 or ， after it; 三、 / 3、."""
_LOST_BREAK = re.compile(rf"(?:(?<=[。；;：:！？])|(?<=风险|因素|措施|对策|策略))\s*(?={_CHAPTER}|{_ENUMERATOR})")


def looks_like_docx(data: bytes) -> bool:
    """True for a ZIP container with a Word main document part."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _MAIN_PART in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def read_docx(data: bytes, name: str, limits: ParseLimits = DEFAULT_LIMITS) -> RawDocument:
    """Paragraphs and table rows of the document body, in order, on the unknown page."""
    _check_inflated_size(data, name, limits)
    import docx  # python-docx; imported here so reading PDFs never pays for it
    from docx.table import Table
    from docx.text.paragraph import Paragraph as WordParagraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors …
        raise FilingError(name, f"is a damaged Word file ({type(exc).__name__}); open and re-save it in Word") from None
    raw = RawDocument(reader="docx", pages=0)
    chars = 0
    for block in document.iter_inner_content():
        if isinstance(block, WordParagraph):
            lines = [RawLine(part, UNKNOWN_PAGE) for part in split_run_on(block.text)]
        elif isinstance(block, Table):
            lines = [RawLine(row, UNKNOWN_PAGE, "table") for row in _table_rows(block)]
        else:
            continue
        for line in lines:
            chars += len(line.text)
            if chars > limits.max_chars:
                raise DocumentTooComplex(name, f"holds more than {limits.max_chars:,} characters (ParseLimits.max_chars)")
            raw.lines.append(line)
    return raw


HEADING_CHARS = 40
_PAREN_DUN = re.compile(rf"^([（(]{_CN}[）)])[、，]")
_NUMBERED = re.compile(rf"{_CHAPTER}|{_CN}[、.．]|[（(]{_CN}[）)]|\d{{1,2}}[、.．]")
"""A heading that lost its break after the colon; a "（1）…：" is an item's lead-in and keeps it."""


# A numbered risk-block title inside a Word paragraph ("…展望（一）公司面临的主要风险目前我国…"),
# or an unnumbered one between a sentence end and a numbered item ("…集群。公司面临的风险和应对措施1、…").
_RISK_TITLE = re.compile(
    rf"(?P<numbered>{_ENUMERATOR})(?P<title>{ANNUAL_TITLE})"
    rf"|(?:(?<=^)|(?<=[。；！？]))(?P<plain>{ANNUAL_TITLE})(?=[：:]|{_ENUMERATOR}|[一二三四五六七八九十]是|$)"
)


def split_run_on(text: str) -> list[str]:
    """One Word paragraph as lines: a long one split where a numbered heading or item follows
    a sentence end (many converted filings hold a whole chapter in one paragraph), then an
    annual report's risk-block title put on a line of its own (``split_risk_title``)."""
    if len(text) <= RUN_ON_CHARS:
        parts = [text]
    else:
        parts = [_heading_colon(part) for part in (p.strip() for p in _LOST_BREAK.split(text)) if part]
    return [line for part in parts for line in _title_lines(part)]


def _title_lines(part: str) -> list[str]:
    before, title, after = split_risk_title(part)
    if not title:
        return [part]
    return [*([before] if before else []), title, *(_title_lines(after) if after else [])]


def split_risk_title(text: str) -> tuple[str, str, str]:
    """``(before, title, after)`` around the first risk-block title (``sections.ANNUAL_TITLE``)
    in ``text``, with its number; ``("", "", text)`` when there is none.

    Converted MD&A chapters lose the break after a title as often as before it: "（五）公司面临的
    风险一是…" and "（3）对公司未来发展战略…风险因素以及采取的对策：公司对…" held their risk block
    inside one line, so the block was never found (with the older wordings ``sections`` now
    knows, 68 of the corpus's 180 chapters that gave "no risk section" yield their block). The title becomes a line of its own, without the
    colon or the "、" after "（三）" that the other formats do not print; a title alone on its
    line keeps its characters, so the normalised text changes only where a break was lost.
    """
    match = _RISK_TITLE.search(text)
    if match is None:
        return "", "", text
    title = (match.group("numbered") or "") + (match.group("title") or match.group("plain"))
    before, rest = text[: match.start()].strip(), text[match.end() :].lstrip("：:，, ").strip()
    if not before and rest in ("", "。"):  # a title on its own line already: only a "（三）、" to undo
        return "", _PAREN_DUN.sub(r"\1", text.strip()) if _PAREN_DUN.match(text) else text, ""
    return before, _PAREN_DUN.sub(r"\1", title.strip()), rest


def _heading_colon(part: str) -> str:
    # "（三）、公司可能面临的风险因素及应对措施：" is a heading whose break was lost after the
    # colon; headings in the other formats carry neither the colon nor the 、 after "（三）".
    if len(part) <= HEADING_CHARS and part[-1] in "：:" and _NUMBERED.match(part):
        return _PAREN_DUN.sub(r"\1", part[:-1])
    return part


def _table_rows(table: object) -> list[str]:
    rows: list[str] = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or cells[-1] != text:  # merged cells repeat their text
                cells.append(text)
        if any(cells):
            rows.append("|".join(cells))
    return rows


def _check_inflated_size(data: bytes, name: str, limits: ParseLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sizes = [info.file_size for info in archive.infolist()]
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FilingError(name, "is a damaged ZIP/Word file; open and re-save it in Word") from None
    if max(sizes, default=0) > limits.max_stream_bytes or sum(sizes) > limits.max_inflated_bytes:
        raise DecompressionLimit(
            name,
            f"is a Word file whose parts inflate to {sum(sizes) / MIB:.0f} MiB, beyond "
            f"ParseLimits ({limits.max_stream_bytes / MIB:.0f} MiB a part, "
            f"{limits.max_inflated_bytes / MIB:.0f} MiB in all); this is not a normal filing",
        )
