"""Character-level clean-up of one extracted line.

PDF extraction leaves layout spaces ("释  义", "分别 为 52,349.02 万元"), ideographic and
non-breaking spaces, zero-width marks and control characters. We keep every visible
character as it is (no NFKC: full-width brackets stay full-width) and only normalise
whitespace, so that text from the four readers looks alike: a space survives only between
two narrow (Latin/digit) characters, never next to a Chinese character or punctuation.
"""

from __future__ import annotations

import re

_SPACE_LIKE = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2060-\u2064\ufeff\ufffe\uffff]")


def is_wide(ch: str) -> bool:
    """True for Chinese characters and CJK/full-width punctuation (plus curly quotes)."""
    code = ord(ch)
    return code >= 0x2E80 or 0x2010 <= code <= 0x206F


def visual_width(text: str) -> int:
    """Width in half-em units: wide characters count 2, others 1 (for line-length tests)."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


def collapse_fake_bold(text: str) -> str:
    """Undo "fake bold" extraction, where every character comes out 2–4 times.

    Some PDFs draw bold text by overprinting, and extraction repeats each character:
    "第第第第四四四四节节节节" is "第四节". Only a line made entirely of such runs is changed.
    """
    n = len(text)
    for k in (4, 3, 2):
        if n < 2 * k or n % k:
            continue
        if all(text[i] == text[i + j] for i in range(0, n, k) for j in range(1, k)):
            collapsed = text[::k]
            if len(set(collapsed)) >= 2:
                return collapsed
    return text


def normalize_line(raw: str) -> str:
    """Return ``raw`` with invisible characters dropped and layout spaces removed."""
    text = collapse_fake_bold(_INVISIBLE.sub("", _SPACE_LIKE.sub(" ", raw)).strip())
    if " " not in text:
        return text
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        if ch == " ":
            before = out[-1] if out else ""
            after = text[i + 1] if i + 1 < n else ""
            if not before or not after or is_wide(before) or is_wide(after) or after == " ":
                continue
        out.append(ch)
    return "".join(out)
