"""Silver labels: a reviewed rule table that maps risk *headings* to taxonomy leaves.

Headings of A-share risk sections are short and formulaic ("（五）应收账款余额较大的风险"), so a
table of patterns recovers most leaves from the innermost heading alone. It cannot see rare
topics that hide under generic headings ("一、经营风险"), and it knows nothing about body
text: it is a baseline and a source of weak training labels, never the gold standard.

Rules are matched against the innermost heading first; when nothing matches there, the
parent headings are tried from the inside out (a paragraph directly under "四、股票价格波动风险"
inherits its leaf). Body text is only used in ``mode="heading+text"``, which exists to
reproduce the over-predicting baseline of FINDINGS.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from risklens.labels.taxonomy import LABELS, validate_labels


@dataclass(frozen=True)
class Rule:
    """One row of the rule table: a regular expression and the leaves it implies."""

    pattern: str
    leaves: tuple[str, ...]
    note: str = ""

    def matches(self, text: str) -> bool:
        return re.search(self.pattern, text) is not None


# Reviewed rule table. Order does not matter: every matching rule contributes its leaves.
RULES: tuple[Rule, ...] = (
    # technology
    Rule(r"研发(失败|风险|不及预期|未能|投入.*(无法|不能)|成果.*转化)|新产品开发|技术开发.*风险|产品开发失败|临床(试验)?.*(失败|风险|不确定)|注册.*(审批|失败)|在研|技术成果转化|产业化.*(风险|不确定)", ("rd_failure",)),
    Rule(r"技术(更新|迭代|升级|替代|落后|革新|进步|路线)|产品(更新换代|升级换代|迭代)|被替代|技术过时|新技术", ("technology_iteration",)),
    Rule(r"(核心|关键|技术|管理|研发)(技术)?(人员|人才|团队)|人才(流失|短缺|不足|缺乏|竞争)|人员流失|技术(泄密|失密|秘密)|(商业|核心技术)秘密|泄密|核心技术.*(泄露|流失)", ("core_talent_and_know_how",)),
    # operations
    Rule(r"业绩(下滑|下降|波动|大幅)|(经营|盈利|营业)?(利润|收入|业绩)(下滑|下降|波动)|亏损|未弥补|无法盈利|尚未盈利|不能盈利|季节性|净利润.*下降|盈利能力.*(下降|波动)|现金分红|经营业绩", ("earnings_decline",)),
    Rule(r"客户(集中|依赖|.{0,6}集中)|(大|单一|重要)客户|依赖.*(客户|经销商|加盟商|贸易商)|客户.*(较为集中|相对集中)|(依赖|单一).{0,4}(产品|市场|渠道)|(产品|业务|收入)(来源)?.{0,4}(单一|集中)|合作稳定性", ("customer_concentration",)),
    Rule(r"原材料|原料|供应商|采购|供应(短缺|不足|中断|风险|稳定)|能源.*价格|(燃料|煤炭|电力|钢材|铜|铝).*价格|零部件.*供应|上游", ("supply_chain",)),
    Rule(r"质量|安全生产|环保|环境(保护|污染)|污染|安全事故|生产安全|召回|产品安全|食品安全|药品安全|危险化学品", ("product_quality_safety",)),
    Rule(r"试用(商品|产品)?|借货|样机", ("trial_goods",)),
    # international
    Rule(r"实体清单|出口管制|制裁|NS-CMIC|1260H|军工复合体|中国军事企业", ("entity_list_sanctions",)),
    Rule(r"境外|海外|国际(贸易|市场|经营|化)|出口|贸易(摩擦|壁垒|战|政策)|反倾销|关税|进口国|国外", ("overseas_and_trade",)),
    # financial
    Rule(r"应收(账款|票据|款项)|坏账|信用(风险|损失)|回款|收款|贷款(质量|风险)|资产质量", ("receivables_credit",)),
    Rule(r"存货|跌价|(资产|商誉|无形资产|固定资产|在建工程)减值|减值", ("inventory_impairment",)),
    Rule(r"毛利率|(成本|费用)(上升|上涨|增加|增长)|人工成本|劳动力成本|人力成本|利润率", ("gross_margin",)),
    Rule(r"税收(优惠|政策)|所得税|高新技术企业|政府补助|财政补贴|补贴|退税|增值税|西部大开发", ("tax_and_subsidy",)),
    Rule(r"偿债|负债|流动性|现金流|资金(不足|短缺|压力|链)|融资(风险|能力|渠道)|短期借款|资产负债率|财务风险|资本(性)?支出|营运资金", ("liquidity_and_debt",)),
    Rule(r"汇率|(?<!毛)利率|外汇|汇兑|人民币(升值|贬值)|外币", ("fx_and_interest_rate",)),
    # governance
    Rule(r"(控股股东|实际控制人).*(控制|不当)|控制权|大股东控制|股权(分散|结构|集中)|无实际控制人|特别表决权|关联交易|同业竞争|家族", ("control_and_related_party",)),
    Rule(r"(?<!存货)(?<!库存)(?<!账款)(?<!项目)管理(风险|能力|水平|难度)|内部控制|内控|规模(扩张|扩大|迅速)|快速(扩张|发展)|子公司管理|集团管控|经营管理|公司治理|操作风险|信息(系统|技术)风险", ("management_and_internal_control",)),
    # legal
    Rule(r"知识产权|专利|商标|侵权|诉讼|仲裁|纠纷|产品责任", ("ip_and_litigation",)),
    Rule(r"资质|许可|证照|认证|牌照|行政处罚|处罚|(土地|房产|房屋)(权属|瑕疵|租赁)|租赁(房产|物业|土地)|划拨|社会保险|社保|住房公积金|合规|瑕疵|批复|规范运作", ("licensing_and_compliance",)),
    Rule(r"个人信息|数据(安全|合规|来源|隐私)|隐私|生物特征|网络安全审查|信息安全", ("data_privacy",)),
    # industry
    Rule(r"(产业|行业)政策|政策性风险|(?<!税收)(?<!优惠)(?<!补贴)(?<!退税)(?<!管制)政策(变化|风险|调整|变动)|监管(政策|变化|风险)|宏观调控|价格管制|集中采购|集采|招标|(医保|药品)(价格|目录)|两票制|审批制度", ("industry_policy",)),
    Rule(r"(市场)?竞争|价格战|市场份额|新进入者", ("market_competition",)),
    Rule(r"宏观经济|经济(周期|波动|下行)|(行业|市场)(需求|周期|波动|景气|增速|前景|萎缩)|下游|需求(波动|下降|减少|不足|变化)|市场(开拓|拓展|推广|空间)|商业化|周期性|新市场", ("demand_and_expansion",)),
    # offering
    Rule(r"募(集资金)?投(资)?项目|募集资金(投资|投向|运用|使用)|(新增|项目).*产能|产能(消化|扩张|过剩)|折旧|固定资产(大幅)?增加|投资项目", ("proceeds_projects",)),
    Rule(r"摊薄|净资产收益率|每股收益.*下降|即期回报", ("dilution_roe",)),
    Rule(r"审批风险|审核风险|发行(失败|风险)|(认购|募集资金)不足|注册.*(不确定|风险)|不能.*(审核|核准|注册)|无法.*(审核|核准|注册)", ("issuance_failure",)),
    Rule(r"股(票)?价(格)?(波动|下跌|变动)|股市|股票.*(价格|市场)风险|破发|二级市场", ("stock_price",)),
    Rule(r"可转(换公司)?债|转股|赎回|回售|(无|未提供)担保|担保人|增信|信用评级|评级(下调|变化)|本息|兑付|偿付风险|本[次期]债券|债券(价格|交易|流动性)", ("security_terms",)),
    Rule(r"疫情|新冠|不可抗力|自然灾害|地震|战争|突发(事件|公共卫生)", ("force_majeure",)),
)

for _rule in RULES:  # the table is data: check it against the taxonomy once, at import
    validate_labels(_rule.leaves, where=f"silver rule {_rule.pattern!r}")

_GENERIC = re.compile(r"^(第[一二三四五六七八九十百]+[节章].*|[一二三四五六七八九十]+、\s*(经营|财务|技术|法律|行业|市场|其他|与.*相关)的?风险)$")


def split_heading(heading: str) -> list[str]:
    """Split a " / "-joined heading path into its parts, outermost first."""
    return [part.strip() for part in heading.split(" / ") if part.strip()]


class RuleLabeller:
    """Apply the rule table to a paragraph's heading path (and optionally its text).

    ``mode="heading"`` (default) looks at headings only, innermost first, stopping at the
    first heading level that matches any rule; ``mode="heading+text"`` also matches the body.
    """

    def __init__(
        self, rules: Sequence[Rule] = RULES, mode: str = "heading", generic: str | None = None
    ) -> None:
        if mode not in ("heading", "heading+text"):
            raise ValueError(f"RuleLabeller mode must be 'heading' or 'heading+text'; got {mode!r}.")
        self.rules = tuple(rules)
        self.mode = mode
        # generic section headings ("二、经营风险") that are skipped; a saved model may pin its own
        self.generic = _GENERIC if generic is None else re.compile(generic)

    def match(self, text: str) -> list[str]:
        """Leaves of every rule whose pattern occurs in ``text``, in taxonomy order."""
        found = {leaf for rule in self.rules if rule.matches(text) for leaf in rule.leaves}
        return [label for label in LABELS if label in found]

    def predict(self, heading: str, text: str = "") -> list[str]:
        """Leaves implied by the heading path (innermost matching level wins)."""
        found: list[str] = []
        for part in reversed(split_heading(heading)):
            if self.generic.match(part):
                continue
            found = self.match(part)
            if found:
                break
        if self.mode == "heading+text" and text:
            merged = set(found) | set(self.match(text))
            found = [label for label in LABELS if label in merged]
        return found

    def predict_many(self, items: Iterable[tuple[str, str]]) -> list[list[str]]:
        """``predict`` over (heading, text) pairs."""
        return [self.predict(heading, text) for heading, text in items]
