"""Metadata from a filing's text (made-up covers in the shapes real filings use)."""

from __future__ import annotations

from datetime import date

from risklens.corpus.metadata import company_name, extract_metadata, industry_code
from tests.corpus.filings import ANNUAL_REPORT, PROSPECTUS


def test_prospectus_cover() -> None:
    meta = extract_metadata(PROSPECTUS, "download.md")
    assert meta.kind == "prospectus"
    assert meta.company == "星河智能科技股份有限公司"
    assert meta.stock_code is None  # not listed yet, and the name holds no code
    assert (meta.year, meta.report_date) == (2023, date(2023, 3, 15))
    assert meta.industry == "C39"


def test_annual_report_cover() -> None:
    meta = extract_metadata(ANNUAL_REPORT, "x.md")
    assert (meta.kind, meta.stock_code, meta.year, meta.report_date) == ("annual_report", "688999", 2022, None)
    assert meta.company == "晨光新材料股份有限公司"


def test_short_name_glued_before_the_company_and_a_date_in_chinese_numerals() -> None:
    head = "股票代码：002999股票简称：远山股份远山精密制造股份有限公司\n增发招股意向书\n招股意向书签署日：二〇一一年一月十三日\n"
    meta = extract_metadata(head)
    assert meta.company == "远山精密制造股份有限公司"
    assert meta.kind == "refinancing_prospectus"
    assert meta.stock_code == "002999"
    assert meta.report_date == date(2011, 1, 13)


def test_other_kinds_and_fallbacks() -> None:
    inquiry = "关于远山科技股份有限公司首次公开发行股票并在科创板上市申请文件的审核问询函的回复\n"
    assert extract_metadata(inquiry).kind == "inquiry_response"
    assert extract_metadata("会议纪要\n今天开会。").kind is None
    named = extract_metadata("某某股份有限公司年度报告", "600999_某某_2019_年度报告.pdf")
    assert (named.stock_code, named.year) == ("600999", 2019)


def test_industry_only_from_the_csrc_statement() -> None:
    assert industry_code("根据《国民经济行业分类》（GB/T4754-2017），公司属于C3985电子专用材料制造。") is None
    text = "依据证监会《上市公司行业分类指引》，本公司归属于照明器具制造业，行业代码为C7630。"
    assert industry_code(text) == "C76"
    assert industry_code("行业分类|通用设备制造业（C34）|在其他交易场所") == "C34"


def test_a_deal_or_a_relation_at_a_line_start_names_no_filer() -> None:
    # written for this test, in the style of an MD&A chapter's first pages
    assert company_name("董事会报告\n同意远山小额贷款股份有限公司增资扩股。\n") is None
    assert company_name("一、概述\n控股子公司远山精密零部件有限公司本年投产。\n") is None
    assert company_name("报告期内\n收购远山智能装备股份有限公司51%股权。\n") is None
    approved = "经中国证监会证监许可〔2013〕88号文核准\n核准远山精密制造股份有限公司非公开发行股票。\n"
    assert company_name(approved) == "远山精密制造股份有限公司"  # the regulator approving the filer's own offering
