"""Paragraphs that only list named risks: "一是汇率波动风险；二是原材料价格上涨风险；三是核心人员流失风险。"

Annual reports of large issuers often disclose their risks as one line that names each of them
(贵州茅台 2020–2025 do). The guideline gives such a paragraph the leaves of all its items, but a
classifier trained on paragraphs that argue one risk at length reads the line as a whole and
finds no risk strong enough in it: the 6-layer model of 2026-12-06 gave 贵州茅台's 2021 list
(four items) no leaf, while every item read alone gets its leaf at p ≥ 0.9. ``list_items`` finds
the items, and the classifier reads each one as a window of its own beside the whole paragraph
(``model.inputs.make_windows(item_windows=True)``); max-pooling a paragraph's windows then gives
the list the union of its items' leaves, as the guideline does.

Only lists of short items count: after an optional lead-in that ends with a colon, every part
between ``；`` starts with the next ordinal of one kind (一是 二是 …, （1） （2） …, 1、 2、 …,
一、 二、 …), starting at one, and names its item in at most ``MAX_ITEM_CHARS`` characters with no
sentence end inside; at least half of the items end in 风险. A paragraph that argues one risk
through numbered reasons has longer parts, and lists of criteria, steps or conditions (a bank's
order of profit distribution, a stabilisation plan's measures) name no risk: both stay one
window. A first version without the 风险 condition also matched those lists, and on the one of
them in dev it added a wrong leaf.
"""

from __future__ import annotations

import re

MAX_ITEM_CHARS = 30
"""Longest item text (after its ordinal) that still counts as naming an item rather than arguing."""

MAX_LEAD_IN_CHARS = 40
"""Longest lead-in ("公司面临的主要风险有：") before the first item."""

_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}
_ORDINALS = (  # 一是, （1） / （一）, 1、, 一、: a list keeps to one of them
    re.compile(r"([一二三四五六七八九十])是"),
    re.compile(r"[（(]([0-9]{1,2}|[一二三四五六七八九十])[）)]"),
    re.compile(r"([0-9]{1,2})[、.．]"),
    re.compile(r"([一二三四五六七八九十])、"),
)
_SEPARATOR = re.compile(r"[；;]")


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _DIGITS[token]


def list_items(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets in ``text`` of each item when it is a list of short named items.

    Returns ``[]`` for any other paragraph (fewer than two items, ordinals out of sequence or of
    mixed kinds, an item longer than ``MAX_ITEM_CHARS`` or holding a sentence end, fewer than
    half of the items ending in 风险, text after the last item).
    """
    body_end = len(text.rstrip())
    while body_end and text[body_end - 1] in "。；;.":
        body_end -= 1
    pattern, first = _first_ordinal(text[:body_end])
    if pattern is None:
        return []
    spans: list[tuple[int, int]] = []
    named = 0  # items that end in 风险: a list of risks, not of criteria, steps or conditions
    start = first
    while start < body_end:
        found = _SEPARATOR.search(text, start, body_end)
        end = found.start() if found else body_end
        match = pattern.match(text, start, end)
        if match is None or _number(match.group(1)) != len(spans) + 1:
            return []
        item = text[match.end() : end].strip()
        if not 0 < len(item) <= MAX_ITEM_CHARS or "。" in item:  # a sentence inside argues, not names
            return []
        named += item.endswith("风险")
        spans.append((start, end))
        start = found.end() if found else body_end
        while start < body_end and text[start].isspace():
            start += 1
    return spans if len(spans) >= 2 and 2 * named >= len(spans) else []


def _first_ordinal(body: str) -> tuple[re.Pattern[str] | None, int]:
    """The ordinal pattern the list uses and where its first item starts (after a short lead-in)."""
    stripped = len(body) - len(body.lstrip())
    candidates = [stripped]
    colons = [at for at in (body.find("："), body.find(":")) if at >= 0]
    colon = min(colons) if colons else -1
    if 0 < colon <= MAX_LEAD_IN_CHARS:
        after = colon + 1
        while after < len(body) and body[after].isspace():
            after += 1
        candidates.append(after)
    for start in candidates:
        for pattern in _ORDINALS:
            match = pattern.match(body, start)
            if match is not None and _number(match.group(1)) == 1:
                return pattern, start
    return None, 0
