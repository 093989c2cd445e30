"""Character-level clean-up of one extracted line.

PDF extraction leaves layout spaces ("释  义", "分别 为 52,349.02 万元"), ideographic and
non-breaking spaces, zero-width marks and control characters. We keep every visible
character as it is (no NFKC: full-width brackets stay full-width) and only normalise
whitespace, so that text from the four readers looks alike: a space survives only between
two narrow (Latin/digit) characters, never next to a Chinese character or punctuation.
"""

from __future__ import annotations

import re

# Characters dropped outright: controls, soft hyphen, zero-width marks, BOM, non-characters
# (whitespace controls are kept here; str.split() turns them into single spaces).
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\xad\u200b-\u200f\u2060-\u2064\ufeff\ufffe\uffff]")
_WIDE_CLASS = "\u2010-\u206f\u2e80-\U0010ffff"
# A space with a wide character on either side.
_SPACE_NEAR_WIDE = re.compile(f" (?=[{_WIDE_CLASS}])|(?<=[{_WIDE_CLASS}]) ")


def collapse_fake_bold(text: str) -> str:
    """Undo "fake bold" extraction, where every character comes out 2–4 times.

    Some PDFs draw bold text by overprinting, and extraction repeats each character:
    "第第第第四四四四节节节节" is "第四节". Only a line made entirely of such runs is changed.
    """
    n = len(text)
    if n < 4 or text[0] != text[1]:
        return text
    for k in (4, 3, 2):
        if n < 2 * k or n % k:
            continue
        if all(text[i] == text[i + j] for i in range(0, n, k) for j in range(1, k)):
            collapsed = text[::k]
            if len(set(collapsed)) >= 2:
                return collapsed
    return text


# Anything normalize_line has to act on: whitespace of any kind or an invisible character.
_NEEDS_WORK = re.compile(r"[\s\x00-\x1f\x7f-\x9f\xad\u200b-\u200f\u2060-\u2064\ufeff\ufffe\uffff]")


def normalize_line(raw: str) -> str:
    """Return ``raw`` with invisible characters dropped and layout spaces removed."""
    if _NEEDS_WORK.search(raw) is None:  # the common case in page-lines JSON
        return collapse_fake_bold(raw)
    text = " ".join(_INVISIBLE.sub("", raw).split())
    text = collapse_fake_bold(text)
    if " " in text:
        text = _SPACE_NEAR_WIDE.sub("", text)
    return text
