"""Who filed what, and when: metadata read from a filing's own text.

File names in the wild are ``601.docx`` or ``download (3).pdf``, so the fields come from
the text: the cover and first pages name the issuer, its stock code, the kind of document
and its date; the industry section states the CSRC industry code (《上市公司行业分类指引》).
The file name is only a fallback for the stock code and the year, and only when it holds
them in the usual ``600519_贵州茅台_2020_年度报告`` shape. Every field may be None: a wrong
value is worse than a missing one, so each rule asks for an explicit label or title.
Accuracy on the real filings in ``../shared`` is measured in ``corpus/README.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

KINDS = ("prospectus", "refinancing_prospectus", "annual_report", "inquiry_response")
"""The filing kinds the corpus knows; anything else is stored with kind None."""

HEAD_CHARS = 4_000
"""The cover and first pages: where the issuer, the kind and the date are stated."""
COVER_CHARS = 600
"""The top of the cover, where a listed issuer prints 证券代码/公司代码 (later codes in the head
are other companies', in 释义 tables)."""
INDUSTRY_CHARS = 600_000
"""How far to look for the industry statement (it sits in the business chapter)."""

_CJK = r"\u4e00-\u9fff"
_COMPANY = re.compile(rf"([{_CJK}（）()]{{2,40}}?(?:股份有限公司|有限责任公司|有限公司))")
_LABEL = re.compile(r"^(?:关于|(?:本公司|公司|发行人|本行|本集团)?指|公司名称|公司中文名称|中文名称|发行人名称|名称)")
_NOT_ISSUER = re.compile(r"证券|会计师|律师|承销|保荐|资产评估|登记结算|交易所|国务院|委员会")
# A line that starts with a deal or a relation names another company, not the filer: "同意…",
# "收购…", "继续收购…", "控股子公司…", "参股公司情况说明本公司参股持有…", "公司与…", "…中标…" (MD&A
# chapters print such lines in their first pages). "核准" before a name is the regulator approving
# the filer's own offering ("…证监许可…核准 / XX股份有限公司非公开发行"): cut it off.
_NOT_FILER_START = re.compile(r"^(?:同意|继续|收购|出售|转让|投资|设立|成立|出资|增资|受让|公司与|公司全资|公司控股|本公司与)"
                              r"|子公司|参股|中标")
_APPROVED = re.compile(r"^核准")
_STOCK_CODE_HEAD = re.compile(r"(?:证券|股票|公司|A股)代码\s*[:：为]?\s*(\d{6})(?!\d)")
_STOCK_CODE_BODY = re.compile(r"(?:公司|发行人)(?:A股)?股票代码\s*[:：为]?\s*(\d{6})(?!\d)")

# Keywords of each kind; the one that appears first in the head wins.
_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("inquiry_response", re.compile(r"问询函.{0,20}回复|审核问询|反馈意见.{0,20}回复|问询函")),
    ("refinancing_prospectus", re.compile(
        r"募集说明书|增发招股意向书|增发A股招股意向书|配股说明书|非公开发行|向特定对象发行|可转换公司债")),
    ("prospectus", re.compile(r"招股说明书|招股意向书")),
    ("annual_report", re.compile(r"年度报告|年年报|董事会报告|管理层讨论与分析|经营情况讨论与分析")),
)

_DIGIT = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4,
          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = "〇零○ＯO一二三四五六七八九十"
_DATE = re.compile(
    rf"((?:19|20)\d{{2}}|[{_CN_NUM}]{{4}})\s*年\s*(\d{{1,2}}|[{_CN_NUM}]{{1,3}})\s*月\s*(\d{{1,2}}|[{_CN_NUM}]{{1,3}})\s*日"
)
_ISO_DATE = re.compile(r"((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?!\d)")
_YEAR_MONTH_LINE = re.compile(rf"^\s*((?:19|20)\d{{2}}|[{_CN_NUM}]{{4}})\s*年\s*(?:\d{{1,2}}|[{_CN_NUM}]{{1,3}})\s*月\s*$", re.M)
_MDNA_YEAR = re.compile(r"概述\s*((?:19|20)\d{2})\s*年")
_DATE_LABEL = re.compile(r"签署日期?|签署日|公告日期|公告时间|报告日期|发行日期")
_REPORT_YEAR = re.compile(rf"((?:19|20)\d{{2}}|[{_CN_NUM}]{{4}})\s*年\s*(?:年度报告|年度报告摘要|年报|度报告)")

_INDUSTRY_ANCHOR = re.compile(r"上市公司行业分类指引|行业分类指导|行业分类")
_INDUSTRY_CODE = re.compile(r"(?<![A-Za-z])([A-S])\s?(\d{2})(?:\d{2})?(?![\d.])")
_INDUSTRY_DIVISION = re.compile(r"([A-S])门类\D{0,12}?(\d{2})大类")  # "C门类之36大类"
_GB_ANCHOR = re.compile(r"国民经济行业分类")

_NAME_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
_NAME_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


@dataclass(frozen=True)
class FilingMetadata:
    """What the text says about a filing; None where it does not say it clearly."""

    kind: str | None = None
    company: str | None = None
    stock_code: str | None = None
    year: int | None = None
    report_date: date | None = None
    industry: str | None = None


def extract_metadata(text: str, name: str = "") -> FilingMetadata:
    """Kind, issuer, stock code, year or date and CSRC industry code of a filing's text.

    ``name`` (the file name) is a fallback for the stock code and the year only.
    """
    head = text[:HEAD_CHARS]
    kind = filing_kind(head)
    report_date = _report_date(head)
    year = _report_year(head) if kind == "annual_report" else None
    if year is None and report_date is not None:
        year = report_date.year
    if year is None:
        year = _cover_year(head, kind)
    stem = PurePath(name).stem
    if year is None:
        found = _NAME_YEAR.search(stem)
        year = int(found.group(1)) if found else None
    return FilingMetadata(
        kind=kind,
        company=company_name(head),
        stock_code=stock_code(text) or _name_code(stem),
        year=year,
        report_date=report_date,
        industry=industry_code(text[:INDUSTRY_CHARS]),
    )


def filing_kind(head: str) -> str | None:
    """The kind whose keyword appears first in the head of the text."""
    best: tuple[int, str] | None = None
    for kind, pattern in _KIND_PATTERNS:
        found = pattern.search(head)
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), kind)
    return best[1] if best else None


def company_name(head: str) -> str | None:
    """The first company name standing at a line start (or after a label) in the head that
    is not a sponsor, auditor or lawyer; a 股份有限公司 before any other 有限公司.

    Line starts include a 《title》 (《XX股份有限公司公开发行…》) and a 释义 list (…、公司指XX).
    A cover's short name glued before the full name ("股票简称：星河科技星河智能科技股份有限公司")
    is cut off, and so are 释义 glue ("本公司指…"), "关于…" of inquiry responses and a regulator's
    "核准…". A name after a deal or a relation ("同意…", "收购…", "控股子公司…") is another company's:
    no name is better than a wrong one.
    """
    candidates: list[str] = []
    for found in _COMPANY.finditer(head):
        start = found.start()
        candidate = found.group(1)
        if start > 0 and head[start - 1] not in "\n：:|《、":
            continue
        if head[max(0, start - 4) : start].rstrip(" ：:").endswith("简称"):
            candidate = _cut_short_name(candidate)
        candidate = _APPROVED.sub("", _strip_label(candidate))
        if len(candidate) >= 8 and not _NOT_ISSUER.search(candidate) and not _NOT_FILER_START.search(candidate):
            candidates.append(candidate)
    ranked = [c for c in candidates if c.endswith("股份有限公司")] + candidates
    return ranked[0] if ranked else None


def _cut_short_name(candidate: str) -> str:
    # "星河科技星河智能科技股份有限公司": the short name, then the full name repeating its start
    for length in range(2, 7):
        rest = candidate[length:]
        if rest[:2] == candidate[:2] and len(rest) >= 6:
            return rest
    return candidate


def _strip_label(candidate: str) -> str:
    candidate = _LABEL.sub("", candidate)
    term, _, name = candidate.rpartition("指")  # 释义 rows glued: "董事会指山东…股份有限公司"
    return name if term and len(name) >= 8 else candidate


def stock_code(text: str) -> str | None:
    """The six-digit code after a 证券代码/股票代码/公司代码 label on the cover, or the
    issuer's own 公司股票代码 further in (refinancing documents state it in 发行人基本情况)."""
    found = _STOCK_CODE_HEAD.search(text[:COVER_CHARS]) or _STOCK_CODE_BODY.search(text[:INDUSTRY_CHARS])
    return found.group(1) if found else None


def _name_code(stem: str) -> str | None:
    found = _NAME_CODE.match(stem)
    return found.group(1) if found and found.group(1)[0] in "03689" else None


def industry_code(text: str) -> str | None:
    """The CSRC division (letter + two digits, e.g. ``C38``) the filing says it belongs to.

    Only codes within 160 characters after a 《上市公司行业分类指引》 / 行业分类 statement
    count, and not those of a sentence that cites the national standard (国民经济行业分类)
    instead; the 2001 guideline's codes (``C76``) are kept as stated.
    """
    for anchor in _INDUSTRY_ANCHOR.finditer(text):
        window = text[anchor.end() : anchor.end() + 160]
        window = window.split("。", 1)[0]
        before = text[max(0, anchor.start() - 12) : anchor.start()]
        if _GB_ANCHOR.search(before + text[anchor.start() : anchor.end()]):
            continue
        gb = _GB_ANCHOR.search(window)
        if gb:
            window = window[: gb.start()]
        found = _INDUSTRY_CODE.search(window) or _INDUSTRY_DIVISION.search(window)
        if found:
            return f"{found.group(1)}{found.group(2)}"
    return None


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if len(token) == 4 and all(ch in _DIGIT for ch in token):  # 二〇一一
        return int("".join(str(_DIGIT[ch]) for ch in token))
    if token == "十":
        return 10
    if token.startswith("十") and len(token) == 2 and token[1] in _DIGIT:
        return 10 + _DIGIT[token[1]]
    if len(token) == 3 and token[1] == "十" and token[0] in _DIGIT and token[2] in _DIGIT:
        return 10 * _DIGIT[token[0]] + _DIGIT[token[2]]
    if len(token) == 2 and token[1] == "十" and token[0] in _DIGIT:
        return 10 * _DIGIT[token[0]]
    if len(token) == 1 and token in _DIGIT:
        return _DIGIT[token]
    return None


def _parse_date(found: re.Match[str]) -> date | None:
    year, month, day = (_number(found.group(i)) for i in (1, 2, 3))
    if year is None or month is None or day is None or not 1990 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _report_date(head: str) -> date | None:
    """The date after a 签署日期 / 公告日期 / 发行日期 label on the cover."""
    for label in _DATE_LABEL.finditer(head):
        found = _DATE.search(head, label.end(), label.end() + 30) or _ISO_DATE.match(
            head, label.end() + (1 if head[label.end() : label.end() + 1] in ":：" else 0))
        if found:
            parsed = _parse_date(found)
            if parsed is not None:
                return parsed
    return None


def _cover_year(head: str, kind: str | None) -> int | None:
    """A year without a full date: a cover's "二〇二三年三月", or the year an MD&A chapter
    opens with ("一、概述2019年…")."""
    found = _YEAR_MONTH_LINE.search(head[:COVER_CHARS])
    if found is None and kind == "annual_report":
        found = _MDNA_YEAR.search(head[:300])
    if found is None:
        return None
    year = _number(found.group(1))
    return year if year is not None and 1990 <= year <= 2100 else None


def _report_year(head: str) -> int | None:
    found = _REPORT_YEAR.search(head)
    if not found:
        return None
    year = _number(found.group(1))
    return year if year is not None and 1990 <= year <= 2100 else None
