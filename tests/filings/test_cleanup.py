"""Clean-up and re-joining rules on small hand-made inputs."""

from __future__ import annotations

from risklens.filings import load_document
from risklens.filings.cleanup import is_toc_line, looks_like_table_row
from risklens.filings.headings import cn_to_int, parse_enumerator, split_inline_heading
from risklens.filings.textnorm import collapse_fake_bold, normalize_line


def test_normalize_line_removes_layout_spaces_only_next_to_chinese() -> None:
    assert normalize_line("释  义 ") == "释义"
    assert normalize_line("分别 为 52,349.02 万元") == "分别为52,349.02万元"
    assert normalize_line("Pylon  Technologies\u3000Co., Ltd.") == "Pylon Technologies Co., Ltd."
    assert normalize_line("\ufeff第六节\u00a0 风险\u200b因素") == "第六节风险因素"


def test_fake_bold_is_collapsed() -> None:
    assert collapse_fake_bold("第第第第四四四四节节节节") == "第四节"
    assert collapse_fake_bold("1111----1111----22224444") == "1-1-24"
    assert collapse_fake_bold("公司公司") == "公司公司"  # not every char doubled


def test_enumerators() -> None:
    cases = {
        "第十二节 风险因素": ("chapter", 12),
        "一、经营风险": ("cn", 1),
        "（十一）汇率风险": ("paren_cn", 11),
        "(三) 可能面对的风险": ("paren_cn", 3),
        "2、市场风险": ("arabic_dun", 2),
        "3. 技术风险": ("arabic_dot", 3),
        "（4）人员风险": ("paren_arabic", 4),
    }
    for line, (kind, number) in cases.items():
        enum = parse_enumerator(line)
        assert enum is not None and (enum.kind, enum.number) == (kind, number), line
    for line in ("1.5%的增长", "2019年公司", "公司一、二", "第一大客户为某公司", "10.5万元"):
        assert parse_enumerator(line) is None, line
    assert cn_to_int("二十三") == 23 and cn_to_int("十") == 10 and cn_to_int("一百零五") == 105


def test_inline_heading_split_points() -> None:
    with_stop = "（一）汇率波动的风险。公司出口收入以美元结算，汇率变化影响利润。"
    enum = parse_enumerator(with_stop)
    assert enum is not None
    assert with_stop[split_inline_heading(with_stop, enum) or 0 :].startswith("公司出口")
    glued = "（二）客户集中的风险报告期内，公司前五名客户收入占比较高。"
    enum = parse_enumerator(glued)
    assert enum is not None
    assert glued[split_inline_heading(glued, enum) or 0 :].startswith("报告期内")
    list_item = "1、查阅了行业研究报告；"
    enum = parse_enumerator(list_item)
    assert enum is not None and split_inline_heading(list_item, enum) is None



def test_a_short_risk_title_glued_to_its_body_is_split_unless_the_sentence_goes_on_about_it() -> None:
    for glued, body in (("2、汇率风险公司有大量进口和出口，汇率波动影响利润。", "公司有大量"),
                        ("（2）市场风险随着新技术的发展，行业竞争日益激烈。", "随着新技术"),
                        ("（4）技术风险仪器仪表属于技术密集型行业，产品更新很快。", "仪器仪表"),
                        ("（3）外汇风险及应对措施公司出口以美元结算，汇率影响利润。", "公司出口"),
                        ("4、技术风险：作为汽车配套企业，产品参数由整车厂确定。", "作为汽车")):
        enum = parse_enumerator(glued)
        assert enum is not None
        assert glued[split_inline_heading(glued, enum) or 0 :].startswith(body), glued
    for sentence in ("1、市场风险较高，公司将加强营销。", "2、汇率风险加大了公司的财务费用。", "1、汇率风险公司。"):
        enum = parse_enumerator(sentence)
        assert enum is not None and split_inline_heading(sentence, enum) is None, sentence


def test_toc_and_table_lines() -> None:
    assert is_toc_line("第四节 风险因素..................................45")
    assert is_toc_line("第一章 概览 ……………………………… 9")
    assert not is_toc_line("公司成立于2010年。")
    assert looks_like_table_row("营业收入 1,175,301,034.32 1,230,537,181.80 -4.49")
    assert looks_like_table_row("项目 2020年度 2019年度")
    assert looks_like_table_row("序号 项目名称 总投资额 拟使用募集资金额")
    assert looks_like_table_row("单位：万元")
    assert looks_like_table_row("40.00%") and looks_like_table_row("1,234.56")
    assert not looks_like_table_row("公司")
    assert not looks_like_table_row("2022 年和 2023 年 1-3 月，公司营业收入分别下降了 51.06%和")


def _blocks(text: str) -> list[str]:
    doc = load_document(text.encode(), name="t.txt")
    return [doc.block_text(b) for b in doc.blocks]


FULL_A = "公司主要从事精密零部件的研发、生产和销售，产品广泛应用于汽车与家电等领"
FULL_B = "域。近年来行业竞争日趋激烈，主要竞争对手不断扩充产能并下调产品报价，公"


def test_broken_lines_rejoin_and_sentence_ends_break() -> None:
    text = "\n".join([FULL_A, FULL_B, "司面临的价格压力有所加大。", "另一段落从这里开始。"] * 6)
    blocks = _blocks(text)
    assert blocks[0] == FULL_A + FULL_B + "司面临的价格压力有所加大。"
    assert blocks[1] == "另一段落从这里开始。"


def test_headings_and_short_titles_are_never_glued_to_body() -> None:
    body = [FULL_A, FULL_B, "司面临的价格压力有所加大。"] * 8
    text = "\n".join(["第三节 风险因素", "一、经营风险", *body[:3], "发行概况", *body[3:]])
    blocks = _blocks(text)
    assert blocks[:2] == ["第三节风险因素", "一、经营风险"]
    assert "发行概况" in blocks


def test_running_header_detected_by_repetition_not_by_name() -> None:
    bodies = ["销售收入稳步增长。", "研发投入继续加大。", "新厂房顺利投产。", "海外订单有所回升。", "现金流保持充裕。"]
    pages = []
    for n, body in enumerate(bodies, start=1):
        pages.append("\n".join(["某某某某有限公司 年度报告", f"第{n}页：{body}", f"{n} / 5"]))
    doc = load_document("\n".join(pages).encode(), name="t.txt")
    assert "年度报告" not in doc.text
    assert [doc.page_at(doc.text.index(f"第{n}页")) for n in range(1, 6)] == [1, 2, 3, 4, 5]
