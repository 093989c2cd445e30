"""Made-up filings for the corpus tests (text written for these tests, no real issuer)."""

from __future__ import annotations

from pathlib import Path

PROSPECTUS = """星河智能科技股份有限公司
首次公开发行股票并在科创板上市招股说明书
招股说明书签署日期：2023年3月15日

## 第2页

重大事项提示

一、特别提醒投资者注意下列风险

（一）被列入实体清单的风险

公司于报告期内被美国商务部列入实体清单，部分进口芯片和开发工具的采购受到限制，若限制范围进一步扩大，公司产品交付可能延迟。

## 第5页

第四节 风险因素

一、经营风险

（一）客户集中度较高的风险

报告期内，公司向前五名客户的销售额占营业收入的比例分别为百分之七十二、百分之七十五和百分之七十八，若主要客户减少订单，公司经营业绩将出现下滑。

（二）应收账款回收的风险

报告期各期末，公司应收账款账面价值较高，账龄一年以上的款项占比逐年上升，若客户付款能力下降，公司将面临坏账损失增加的风险。

## 第9页

第五节 业务与技术

根据中国证监会《上市公司行业分类指引》（2012年修订），公司所属行业为“C39计算机、通信和其他电子设备制造业”。
"""

ANNUAL_REPORT = """公司代码：688999                                                  公司简称：晨光材料
晨光新材料股份有限公司
2022年年度报告

## 第30页

第三节 管理层讨论与分析

六、公司关于公司未来发展的讨论与分析

（四）可能面对的风险

1、原材料价格波动的风险

公司主要原材料为高纯石英砂和特种树脂，其价格受供需关系影响波动较大，若采购价格持续上涨，公司毛利率将下降。

2、技术迭代的风险

行业技术更新较快，如公司不能及时推出满足客户需求的新产品，现有产品可能被替代，市场份额将会下降。
"""

NO_RISK_SECTION = """会议纪要

本次会议讨论了下一年度的团建安排，与会人员一致同意在春季组织一次郊游活动。

会议还讨论了办公室绿植的养护分工，由行政部负责每周浇水一次。
"""


def prospectus_variant(n: int) -> str:
    """A distinct made-up prospectus (its own company name and bytes)."""
    return PROSPECTUS.replace("星河智能", "星河智能" + "零一二三四五六七八九"[n % 10] * (1 + n // 10))


def write_good(folder: Path, count: int) -> list[Path]:
    """``count`` distinct good filings (Markdown with page markers) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"good_{n:03d}.md"
        path.write_text(prospectus_variant(n), encoding="utf-8")
        paths.append(path)
    return paths
