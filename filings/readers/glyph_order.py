"""Decode the text of a cut-off Chinese PDF whose character maps were lost with its tail.

A PDF's fonts, and the ToUnicode maps that say which character each glyph is, usually sit
at the end of the file. A download cut off before them leaves PDFium with bare glyph
numbers, which it reports as if they were characters: "公司" comes out as "݀ৌ", "风险" as
"亢䰽". The Chinese annual reports in ``../shared/corpus/broken-pdf/`` all embed SimSun
(宋体) with Identity-H encoding, whose glyph order follows Unicode within three blocks; a
constant shift per block gives the text back. Measured on the six non-empty cut-off
reports there: the share of CJK characters among non-ASCII ones goes from 1–3% to
98.9–99.9%, and three of them yield their 可能面对的风险 block.

It is applied only to a repaired PDF whose text is not Chinese as extracted, and kept only
when the result is; anything else is left as it was (and refused as unreadable later).
"""

from __future__ import annotations

# (first glyph, end glyph, shift to the Unicode character) of SimSun's three blocks:
# CJK unified ideographs (U+4E00…), CJK symbols and punctuation (U+3000…), full-width forms (U+FF00…).
_SIMSUN_BLOCKS: tuple[tuple[int, int, int], ...] = (
    (0x03D4, 0x03D4 + 0x51A6, 0x4A2C),
    (0x01C2, 0x01C2 + 0x40, 0x2E3E),
    (0x02BC, 0x02BC + 0xF0, 0xFC44),
)
_TABLE = {glyph: glyph + shift for first, end, shift in _SIMSUN_BLOCKS for glyph in range(first, end)}

GARBLED_BELOW = 0.2
"""A text whose non-ASCII characters are less than this share CJK is not Chinese as read."""
DECODED_FROM = 0.9
"""The shifted text is kept only when at least this share of its non-ASCII characters is CJK,"""
COMMON = frozenset("的公司年度报告有限股份在和为对不本业务风险经营发行人及")
COMMON_FROM = 0.05
"""and at least this share of its CJK characters are among the commonest of filings (real
Chinese, not another script that a shift also lands in the CJK block)."""


def cjk_share(text: str) -> float:
    """Share of CJK ideographs, CJK punctuation and full-width forms among non-ASCII characters."""
    wide = [ord(ch) for ch in text if ord(ch) > 127 and not ch.isspace()]
    if not wide:
        return 1.0
    cjk = sum(1 for o in wide if 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF)
    return cjk / len(wide)


def decode_simsun_glyphs(lines: list[str]) -> list[str] | None:
    """``lines`` with glyph numbers turned back into characters, or None when that does not help."""
    sample = "".join(lines)
    if cjk_share(sample) >= GARBLED_BELOW:
        return None
    decoded = [line.translate(_TABLE) for line in lines]
    text = "".join(decoded)
    ideographs = [ch for ch in text if 0x4E00 <= ord(ch) <= 0x9FFF]
    if cjk_share(text) < DECODED_FROM or not ideographs:
        return None
    if sum(1 for ch in ideographs if ch in COMMON) < COMMON_FROM * len(ideographs):
        return None
    return decoded
