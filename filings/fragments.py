"""Table debris that must not become a paragraph: cells and figure runs cut out of tables.

PDF extraction often loses a table's layout: its cells come out as lines of their own
("22日", "电话会议", "659.44 890.10", "2014年2013年2012年") or glued into a line of
figures. Such a line is a *fragment* when it has no sentence punctuation and either is
made mostly of figures, or is too short to say anything (a cell, a chart label). A
fragment is dropped from the paragraphs (``filings.paragraphs`` keeps counting it, so the
ids of real paragraphs do not move) and, after an annual report's risk block, a run of
them ends the block (``filings.structure``).
"""

from __future__ import annotations

import re

# A fragment has none of these (an ASCII comma only counts outside a number).
_SENTENCE = re.compile(r"[，。；！？;!?]|,(?!\d)")
# Characters of figures, dates and periods: "1,289.2", "-39.46%", "2016年1-6月", "Q1-07".
_FIGURE_CHARS = frozenset("0123456789.,%‰-－—–+~/()（）年月日度季末初QHq元万亿")
# A line this short without sentence punctuation is a table cell or a chart label ...
MAX_CELL_CHARS = 8
# ... and a line whose characters are at least this share figures is a row of numbers.
FIGURE_SHARE = 0.6
# "适用 不适用" check boxes whose marks were lost.
_CHECKBOX = re.compile(r"^[√□☑■☐✓✔]?适用[√□☑■☐✓✔]?不适用$")


def is_fragment(text: str) -> bool:
    """True for a table cell, a row of figures or a chart label that is not a paragraph.

    A lead-in ending with a colon ("公司承诺：") is kept: the text it introduces follows.
    """
    compact = text.replace(" ", "")
    if not compact or _SENTENCE.search(compact) or compact[-1] in "：:":
        return False
    if _CHECKBOX.match(compact) or len(compact) <= MAX_CELL_CHARS:
        return True
    figures = sum(1 for ch in compact if ch in _FIGURE_CHARS)
    return figures >= FIGURE_SHARE * len(compact)
