"""Hostile and broken files never take the reader's caller down (issue "Hostile input").

The bombs are generated here (no binaries checked in); the damaged files are real corpus
PDFs with bytes overwritten, and the cut-off downloads of ``corpus/broken-pdf/``.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import psutil
import pytest

from risklens.filings import extract_paragraphs, load_document
from risklens.filings.errors import (
    CorruptPdf,
    DecompressionLimit,
    DocumentTooComplex,
    EmptyFile,
    FilingError,
)
from risklens.filings.limits import MIB, ParseLimits
from risklens.filings.readers import read_raw
from risklens.filings.readers.glyph_order import _SIMSUN_BLOCKS, cjk_share, decode_simsun_glyphs
from risklens.filings.readers.pdf_repair import inflated_size
from risklens.filings.sandbox import run_limited
from tests.filings.pdfgen import deflate_with_padding, make_pdf

GOOD_PAGE = ["第二节 风险因素", "一、经营风险", "公司客户集中度较高，若主要客户减少采购，公司收入可能下降。"]


def test_a_deflate_bomb_is_refused_before_it_is_inflated() -> None:
    bomb = make_pdf([GOOD_PAGE], bomb_padding=200 * MIB)
    assert len(bomb) < 400_000  # 200 MiB inside a few hundred KB
    before = psutil.Process().memory_info().rss
    with pytest.raises(DecompressionLimit, match="inflates past 64 MiB") as error:
        read_raw(bomb, "bomb.pdf")
    assert error.value.code == "decompression_limit"
    assert psutil.Process().memory_info().rss - before < 100 * MIB


def test_the_bomb_is_refused_without_the_sandbox_too() -> None:
    bomb = make_pdf([GOOD_PAGE], bomb_padding=100 * MIB)
    with pytest.raises(DecompressionLimit):
        read_raw(bomb, "bomb.pdf", ParseLimits(sandbox=False))


def test_inflated_size_counts_without_holding_the_output() -> None:
    packed = deflate_with_padding(b"BT ET", 5 * MIB)
    assert inflated_size(packed, 100 * MIB) == len(b"BT ET\n%") + 5 * MIB + 1
    assert inflated_size(packed, 2 * MIB) <= 3 * MIB  # stops one step past the cap
    assert inflated_size(b"not zlib at all", 10) == 0


def test_too_many_pages_and_too_much_text_on_a_page() -> None:
    many = make_pdf([GOOD_PAGE] * 12)
    with pytest.raises(DocumentTooComplex, match="12 pages, the limit is 10"):
        read_raw(many, "pages.pdf", ParseLimits(max_pages=10))
    dense = make_pdf([[f"第{i}行关于经营风险的提示文字" for i in range(60)]] * 3)  # ~890 characters a page
    with pytest.raises(DocumentTooComplex, match="page 1 holds"):
        read_raw(dense, "dense.pdf", ParseLimits(max_page_chars=500))
    with pytest.raises(DocumentTooComplex, match="more than 2,000 characters of text by page 2"):
        read_raw(dense, "dense.pdf", ParseLimits(max_chars=2_000))


def test_the_worker_memory_cap_stops_what_the_checks_miss() -> None:
    limits = ParseLimits(memory_bytes=512 * MIB)
    with pytest.raises(DocumentTooComplex, match="needs more than 512 MiB"):
        run_limited(bytearray, 2048 * MIB, name="huge.pdf", limits=limits)
    assert run_limited(len, b"still here", name="next.pdf", limits=limits) == 10


def test_the_cpu_cap_and_the_wall_clock_stop_endless_work() -> None:
    with pytest.raises(DocumentTooComplex, match="more than 1 s of CPU"):
        run_limited(sum, range(10**13), name="spin.pdf", limits=ParseLimits(cpu_seconds=1, wall_seconds=30))
    started = time.monotonic()
    with pytest.raises(DocumentTooComplex, match="took longer than 1 s"):
        run_limited(time.sleep, 30, name="stall.pdf", limits=ParseLimits(wall_seconds=1))
    assert time.monotonic() - started < 10
    assert run_limited(len, "ok", name="after.pdf", limits=ParseLimits(wall_seconds=30)) == 2  # a new worker after the stop


def test_a_reader_error_comes_back_as_the_same_filing_error() -> None:
    with pytest.raises(CorruptPdf, match=r"^stub.pdf: is a damaged PDF .*unable to find trailer") as damaged:
        read_raw(b"%PDF-1.4\n", "stub.pdf")
    assert "\n" not in str(damaged.value) and "BytesIO" not in str(damaged.value)
    encrypted = make_pdf([GOOD_PAGE], user_password="secret")
    with pytest.raises(FilingError, match="password-protected") as error:
        read_raw(encrypted, "locked.pdf")
    assert error.value.name == "locked.pdf"


def test_a_generated_pdf_cut_off_mid_download_is_read_as_far_as_it_goes() -> None:
    pages = [[f"（{n}）第{n}项经营风险", f"第{n}项风险的说明：若市场变化，公司收入可能下降。"] for n in range(1, 5)]
    whole = make_pdf([GOOD_PAGE, *pages])
    cut = whole[: int(len(whole) * 0.8)]
    document = load_document(cut, name="cut.pdf")
    assert document.recovered is True
    assert document.pages_read is not None and document.pages_read >= 2
    assert "客户集中度较高" in document.text
    assert load_document(whole, name="whole.pdf").recovered is False


def _overwrite(data: bytes, share: float, seed: int) -> bytes:
    damaged = bytearray(data)
    rng = random.Random(seed)
    for _ in range(int(len(damaged) * share)):
        damaged[rng.randrange(len(damaged))] = rng.randrange(256)
    return bytes(damaged)


@pytest.mark.corpus
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_real_pdf_with_two_percent_of_its_bytes_overwritten(corpus_dir: Path, seed: int) -> None:
    original = sorted((corpus_dir / "annual-reports").glob("*.pdf"))[0].read_bytes()
    damaged = _overwrite(original, 0.02, seed)
    try:
        document = load_document(damaged, name="damaged.pdf")
    except FilingError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("damaged.pdf: ")
        assert isinstance(exc, CorruptPdf | DocumentTooComplex | DecompressionLimit) or exc.code
    else:
        assert document.pages > 0


@pytest.mark.corpus
def test_the_truncated_downloads_of_the_corpus(corpus_dir: Path) -> None:
    """Of the 12 cut-off annual reports: 6 are empty files; the other 6 open once repaired.
    Three of those embed SimSun, whose lost character maps are decoded: they read as Chinese
    and yield their risk block. The other three use fonts whose glyph order is unknown: they
    are refused as undecodable rather than read as nonsense."""
    files = sorted((corpus_dir / "broken-pdf").glob("*.pdf"))
    assert len(files) == 12
    decoded: dict[str, int] = {}
    undecodable: list[str] = []
    for path in files:
        if path.stat().st_size == 0:
            with pytest.raises(EmptyFile):
                load_document(path)
            continue
        try:
            document = load_document(path)
        except CorruptPdf as exc:
            assert "cannot be decoded" in str(exc), exc
            undecodable.append(path.name)
            continue
        assert document.recovered and document.pages_read and document.pages_read >= 30, path.name
        assert cjk_share(document.text) > 0.95, path.name
        assert extract_paragraphs(document, "risk"), path.name  # NoRiskSection would fail here
        decoded[path.name] = document.pages_read
    assert len(decoded) == 3 and len(undecodable) == 3, (decoded, undecodable)


def test_glyph_numbers_of_lost_fonts_are_decoded_only_when_that_gives_chinese() -> None:
    text = ["（一）应收账款回收的风险", "公司客户集中度较高，收入可能下降。2023年"]
    table = {glyph + shift: glyph for first, end, shift in _SIMSUN_BLOCKS for glyph in range(first, end)}
    garbled = [line.translate(table) for line in text]
    assert cjk_share("".join(garbled)) < 0.1
    assert decode_simsun_glyphs(garbled) == text
    assert decode_simsun_glyphs(text) is None  # already Chinese: left alone
    assert decode_simsun_glyphs(["Привет, мир — обычный текст"]) is None  # shifting does not make it Chinese
