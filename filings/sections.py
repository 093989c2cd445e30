"""Which headings open a risk-disclosure section, and of what kind.

Section kinds (``Paragraph.section``):

- ``risk_factors``: the chapter 风险因素 / 与本次发行相关的风险因素 (第N节/章, or an
  unnumbered chapter title); a numbered "X、风险因素" counts only when no chapter does.
- ``major_matters``: 重大事项提示, at any level (a chapter, or "一、重大事项提示" in 概览).
- ``special_risks``: 特别风险提示.
- ``annual_report_risks``: an annual report's 可能面对的风险 / 公司面临的风险.
- ``inquiry_risk_prompt``: an inquiry response's 风险提示 passages.
- ``risk_management``: a bank's or insurer's 风险管理 chapter or section (信用风险,
  市场风险, 流动性风险, 操作风险 …), where financial institutions disclose their risks.
  It is part of the "risk" selection only for a filing without any other risk section
  (a bank's annual report): a prospectus's 风险管理 chapter describes controls, while
  its risks are in 风险因素.
- ``other``: everything else.

A section runs from its heading to the next heading at the same or an outer level. An
annual report's risk block also ends at a table or a run of
table cells that follows it (``filings.structure``).
"""

from __future__ import annotations

import re
from typing import Final

RISK_FACTORS: Final = "risk_factors"
MAJOR_MATTERS: Final = "major_matters"
SPECIAL_RISKS: Final = "special_risks"
ANNUAL_REPORT_RISKS: Final = "annual_report_risks"
INQUIRY_RISK_PROMPT: Final = "inquiry_risk_prompt"
RISK_MANAGEMENT: Final = "risk_management"
OTHER: Final = "other"

RISK_SECTIONS: Final = frozenset(
    {RISK_FACTORS, MAJOR_MATTERS, SPECIAL_RISKS, ANNUAL_REPORT_RISKS, INQUIRY_RISK_PROMPT}
)
MAJOR_SECTIONS: Final = frozenset({MAJOR_MATTERS, SPECIAL_RISKS})
SELECTIONS: Final = {"risk": RISK_SECTIONS, "major": MAJOR_SECTIONS}
FALLBACK_SECTIONS: Final = {"risk": frozenset({RISK_MANAGEMENT})}
"""Sections a selection takes only when it finds none of its own."""
ENDS_AT_TABLE: Final = frozenset({ANNUAL_REPORT_RISKS})
"""Sections that end at a table (or a run of table cells) after their text."""

_RISK_FACTORS = re.compile(r"^(?:与|和)?(?:本次(?:发行|债券|证券|交易)|发行人)?(?:相关的?)?风险因素$")
_MAJOR = re.compile(r"^重大事项提示$")
_SPECIAL = re.compile(r"^(?:本次发行)?特别风险提示$")
# An annual report's (or its MD&A chapter's) risk block goes by many names: "可能面对的风险",
# "公司面临的风险和应对措施", "对公司未来发展战略和经营目标的实现产生不利影响的风险因素及对策",
# "对公司发展不利的风险因素", or plain "风险与对策" (only with the countermeasures suffix: a bare
# "风险" heading is too common to open a section). Older MD&A chapters add "和机遇", "和挑战" or
# "的分析", and "以及采取的对策" / "，以及采取的措施和对策" / "及公司拟采取的对策和措施".
_COUNTERMEASURES = (r"(?:[，,]?(?:以?及|与|和)(?:其|公司)?拟?(?:采取的)?(?:应对|对策|防范|措施|解决)"
                    r"(?:措施|策略|对策|和措施|和对策|及措施|办法)?)")
_ALSO = r"(?:(?:和|与|及)(?:机遇|挑战)|的?分析)"
# who faces the risks, and in what: "公司", "公司未来发展", "2017年公司发展", "公司经营",
# "公司战略实施和经营目标达成", "实施上述计划" (a closed list: "公司现有业务板块面临的主要风险" is a
# prospectus's 填补回报 item, "下一年度经营计划以及未来面对的风险" an outlook, neither a risk block)
_WHO = (r"(?:\d{4}年)?(?:本?公司|我公司)?(?:战略实施和)?"
        r"(?:经营(?:目标|计划)(?:的)?(?:达成|实现)|经营|(?:未来)?发展中?|未来|实施上述计划)?")
_FACING = rf"{_WHO}(?:可能)?所?(?:面(?:对|临)|遇到)的?(?:主要|重大)?风险(?:因素)?"
_GOALS = r"(?:未来)?(?:发展战略[和、]?|发展和)?经营(?:目标|计划)的?(?:实现|达成)"
_ADVERSE = (rf"(?:可能)?对?(?:本?公司|我公司|我国)?{_GOALS}(?:可能)?(?:产生)?(?:不利)?(?:影响)?的(?:所有|主要|重大)?风险(?:因素)?"
            r"|(?:可能)?对(?:本?公司|我公司|我国)?(?:未来)?(?:发展|经营)(?:可能)?(?:产生)?不利(?:影响)?的(?:所有|主要|重大)?风险(?:因素)?"
            r"|影响(?:本?公司)?(?:未来)?发展的(?:主要)?风险(?:因素)?"
            # "…发展战略和经营目标产生不利影响的重大风险因素": without 实现 only with 产生不利影响
            r"|对?(?:本?公司|我公司)?(?:未来)?(?:发展战略[和、]?|发展和)?经营(?:目标|计划)(?:可能)?产生不利影响的(?:所有|主要|重大)?风险(?:因素)?")
# "2013年公司主要经营风险", "存在的困难和风险", "挑战和风险": the block under a name of its own
# (a bare "经营风险" or "主要经营风险" may be a prospectus's risk item, so the year or the company is
# required; "优势、困难和风险" opens with strengths, not risks, and stays out)
_HARDSHIP = (r"(?:\d{4}年(?:本?公司)?|本?公司)主要经营风险"
             r"|(?:\d{4}年)?(?:本?公司)?(?:经营中)?(?:存在|面临)?的?(?:主要)?(?:困难|挑战)(?:和|与|及)风险")
ANNUAL_TITLE: Final = (rf"(?:(?:{_FACING}|{_ADVERSE}){_ALSO}?{_COUNTERMEASURES}?"
                       rf"|(?:{_HARDSHIP}){_COUNTERMEASURES}?"
                       rf"|(?:公司未来经营|公司的?|主要)?风险(?:因素)?{_COUNTERMEASURES}(?:分析)?)")
"""The names of an annual report's risk block, unanchored (``readers.docx`` finds them inside run-on text)."""
_ANNUAL = re.compile(rf"^{ANNUAL_TITLE}$")
_INQUIRY = re.compile(r"^(?:相关)?风险(?:提示|揭示)$")
_RISK_MANAGEMENT = re.compile(r"^(?:全面)?风险管理(?:情况|概况)?$")


def section_of_heading(title: str, *, chapter_level: bool, numbered_risk_factors: bool) -> str | None:
    """The section a heading opens, from its title without the enumerator; None if none.

    ``numbered_risk_factors`` allows a numbered heading "X、风险因素" to open
    ``risk_factors`` (used only when the document has no chapter of that name).
    """
    title = title.replace(" ", "").rstrip("：:。．.")
    if _RISK_FACTORS.match(title):
        return RISK_FACTORS if chapter_level or numbered_risk_factors else None
    if _MAJOR.match(title):
        return MAJOR_MATTERS
    if _SPECIAL.match(title):
        return SPECIAL_RISKS
    if _ANNUAL.match(title):
        return ANNUAL_REPORT_RISKS
    if _INQUIRY.match(title):
        return INQUIRY_RISK_PROMPT
    if _RISK_MANAGEMENT.match(title):
        return RISK_MANAGEMENT
    return None
