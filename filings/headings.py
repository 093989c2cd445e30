"""The heading grammar of Chinese filings.

Levels are marked by enumerators, from outermost to innermost as usually nested:
``第N节``/``第N章`` (chapter), ``一、``, ``（一）``/``(一)``, ``1、``, ``1.``, ``（1）``/``(1)``.
A few chapter-level titles carry no number at all (``重大事项提示``, ``释义``, ``目录`` …).
The nesting of the numbered kinds is not fixed; ``filings.structure`` infers it from the
order in which kinds appear, the way a reader does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CN_DIGITS = "零〇一二两三四五六七八九"
_CN_VALUE = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}
_CN_NUM = f"[{CN_DIGITS}十百]+"

# All enumerators in one pattern (one match per line); the named group says the kind.
_ENUMERATOR = re.compile(
    rf"^(?:第\s*(?P<chapter>{_CN_NUM}|\d{{1,3}})\s*[节章]"
    rf"|(?P<cn>{_CN_NUM})\s*[、．.]"
    rf"|[（(]\s*(?P<paren_cn>{_CN_NUM})\s*[）)]"
    r"|(?P<arabic_dun>\d{1,2})\s*、"
    r"|(?P<arabic_dot>\d{1,2})\s*[.．](?![\d.．])"
    r"|[（(]\s*(?P<paren_arabic>\d{1,2})\s*[）)])"
)
_FIRST_CHARS = frozenset("第（(0123456789十百" + CN_DIGITS)


# Chapter-level titles printed without a number (compared with spaces removed).
FRONT_TITLES = frozenset(
    {
        "重大事项提示", "特别风险提示", "重要提示", "特别提示", "重大风险提示", "声明", "发行人声明",
        "公司声明", "声明及承诺", "重要声明", "发行概况", "本次发行概况", "目录", "释义", "概览",
        "风险因素",
    }
)

# Sentence-final punctuation: a line ending in one of these ends a sentence.
TERMINAL = "。！？!?；;"
_CLOSERS = "”’」』）)】"
# Punctuation that cannot end a heading.
_NOT_HEADING_END = TERMINAL + "，,：:、"
# A line ending in one of these is clearly unfinished.
INCOMPLETE_END = "，,、（(“‘《【的和与及或在对为把被将了以并由从向其之"
# Typical last words of a heading (used to tell a heading from a wrapped sentence).
HEADING_ENDINGS = (
    "风险", "因素", "情况", "影响", "提示", "意见", "说明", "分析", "措施", "问题", "程序", "结论",
    "安排", "承诺", "概况", "数据", "政策", "计划", "声明", "事项", "披露", "原因", "依据", "核查",
    "不确定性", "风险因素", "其他",
)


@dataclass(frozen=True, slots=True)
class Enumerator:
    """The number at the start of a heading or list item."""

    kind: str  # chapter | cn | paren_cn | arabic_dun | arabic_dot | paren_arabic | front
    number: int
    label: str  # the enumerator as printed, e.g. "（一）", "第六节"
    end: int  # index in the line where the title starts (after spaces)


def cn_to_int(text: str) -> int:
    """Chinese numeral (up to the hundreds) or Arabic digits to an int; 0 if unreadable."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch in _CN_VALUE:
            current = current * 10 + _CN_VALUE[ch] if current else _CN_VALUE[ch]
        else:
            return 0
    return total + current


def parse_enumerator(line: str) -> Enumerator | None:
    """Recognise a heading enumerator at the start of ``line`` (already normalised)."""
    if not line or line[0] not in _FIRST_CHARS:
        return None
    match = _ENUMERATOR.match(line)
    if match is None:
        return None
    kind = match.lastgroup or ""
    end = match.end()
    while end < len(line) and line[end] == " ":
        end += 1
    return Enumerator(kind, cn_to_int(match.group(kind)), match.group(0).replace(" ", ""), end)


def is_front_title(line: str) -> bool:
    """True for an unnumbered chapter-level title such as "重大事项提示" or "释  义"."""
    return len(line) <= 14 and line.replace(" ", "").strip("【】[]") in FRONT_TITLES


def ends_sentence(line: str) -> bool:
    """True if ``line`` ends with sentence-final punctuation (closing quotes allowed)."""
    stripped = line.rstrip(_CLOSERS + " ")
    return bool(stripped) and stripped[-1] in TERMINAL


def could_be_title(title: str, *, chapter: bool = False) -> bool:
    """True if ``title`` (the text after an enumerator) can be a whole heading."""
    if chapter:
        return len(title) <= 40 and not any(ch in title for ch in "。，,；;“”\"")
    if not title or len(title) > 120:
        return False
    return title[-1] not in _NOT_HEADING_END


def has_heading_ending(title: str) -> bool:
    """True if ``title`` ends like a heading ("…的风险", "…因素", …)."""
    stripped = title.rstrip(_CLOSERS + " ")
    return stripped.endswith(HEADING_ENDINGS)


def display(enum: Enumerator | None, title: str) -> str:
    """How a heading appears in a paragraph's heading path: "第六节 标题", "（一）标题"."""
    if enum is None:
        return title
    if enum.kind == "chapter":
        return f"{enum.label} {title}".strip()
    return f"{enum.label}{title}"


# A risk item named in two to four characters, glued to its body ("2、汇率风险公司有大量…", "（2）市场
# 风险随着…", "（3）外汇风险及应对措施公司…"): the next character must not continue a sentence about
# that risk, so "1、市场风险较高…" or "2、汇率风险加大…" is never cut.
_SHORT_RISK_TITLE = re.compile(
    r"([^，。；、,;：:？?！!\s]{2,4}风险(?:(?:及|与|和)(?:其?应对|防范)?(?:措施|对策|策略))?)"
    r"(?![较很更加增大小高低不可是为主的和及与等在也将会已对、，,。；;：:？?！!）)\d])"
)
# A heading ended by a colon ("4、技术风险：作为…", "（2）汇率风险及应对措施：…").
_COLON_TITLE = re.compile(r"([^，。；：:,;]{2,30}?(?:风险|因素|措施|对策))[：:]")


def split_inline_heading(text: str, enum: Enumerator) -> int | None:
    """Where the body starts when a heading shares its line with body text, else None.

    Four shapes occur: "（一）…的风险。公司…" (the heading ends with a full stop), "4、技术风险：
    作为…" (a colon), "2、汇率风险公司有…" (a topic of two to four characters and 风险, then a
    character that does not continue a sentence about it) and "（四）…的风险报告期内，公司…" (no
    separator: the heading is the longest prefix ending in 风险/因素 before the first comma).
    """
    rest = text[enum.end :]
    stop = rest.find("。")
    if 0 < stop <= 60 and has_heading_ending(rest[:stop]) and len(rest) - stop > 2:
        body = enum.end + stop + 1
        while body < len(text) and text[body] == " ":
            body += 1
        return body if body < len(text) else None
    colon = _COLON_TITLE.match(rest)
    if colon is not None and len(rest) - colon.end() >= 10:
        return enum.end + colon.end()
    short = _SHORT_RISK_TITLE.match(rest)
    if short is not None and len(rest) - short.end(1) >= 10:
        return enum.end + short.end(1)
    comma = min((i for i in (rest.find("，"), rest.find(",")) if i >= 0), default=len(rest))
    window = rest[: min(comma, 80)]
    cut = max(window.rfind("风险"), window.rfind("因素"))
    if cut >= 4:
        head_end = cut + 2
        if len(rest) - head_end >= 10 and rest[head_end] not in "，,。；;、的和及与等）)":
            return enum.end + head_end
    return None
