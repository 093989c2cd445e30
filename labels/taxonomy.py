"""Risk taxonomy v1: the 30 leaves and 9 groups of ``../shared/TAXONOMY.md``.

The ids, their order and their meanings are public API: saved models store
``id2label`` in this order, labelled data and the HTTP endpoint use these ids.
Changing any of them needs a new taxonomy version, never an edit in place.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

TAXONOMY_VERSION = "risk-taxonomy.v1"


@dataclass(frozen=True)
class Leaf:
    """One label of the taxonomy: id, group, names and the definition annotators use."""

    id: str
    group: str
    zh: str
    en: str
    definition: str


LEAVES: tuple[Leaf, ...] = (
    Leaf("rd_failure", "technology", "研发失败或研发成果无法转化", "R&D failure",
         "R&D projects, new products, clinical/registration pipelines that may fail, be delayed, or not turn into sellable products; R&D spend that may not be recovered"),
    Leaf("technology_iteration", "technology", "技术迭代与技术路线替代", "technology obsolescence",
         "technology upgrades, substitute technical routes, falling behind competitors' technology, product updates making current products obsolete"),
    Leaf("core_talent_and_know_how", "technology", "核心技术人员流失与技术泄密", "key staff & know-how",
         "loss of core technical/management staff, talent shortage, leakage of core technology, trade secrets or state secrets"),
    Leaf("earnings_decline", "operations", "业绩下滑、亏损与未弥补亏损", "earnings decline & losses",
         "falling revenue or profit, losses, accumulated deficits, not yet profitable, inability to pay dividends, performance volatility, seasonality of results"),
    Leaf("customer_concentration", "operations", "客户集中与大客户依赖", "customer concentration",
         "dependence on a few customers, a single key customer, a single market/channel or a single product line for most revenue"),
    Leaf("supply_chain", "operations", "供应商与原材料", "supply chain & input costs",
         "supplier concentration, raw-material/energy/component price swings, supply shortages (not caused by sanctions)"),
    Leaf("product_quality_safety", "operations", "产品质量、安全生产与环保", "quality, safety & environment",
         "product quality or safety incidents, recalls, production safety accidents, environmental protection compliance and pollution"),
    Leaf("trial_goods", "operations", "试用商品（借货、样机）管理", "trial goods",
         "goods lent or shipped to prospective customers for trial (试用商品, 借货, 样机, 发出商品待验收 used as trials): loss, damage, write-downs, failure to convert to sales"),
    Leaf("entity_list_sanctions", "international", "实体清单、出口管制与制裁", "Entity List, export controls & sanctions",
         "the company or its suppliers/customers on the US Entity List, NS-CMIC or 1260H lists, export-control or sanction restrictions on chips, equipment, software, investors or overseas business"),
    Leaf("overseas_and_trade", "international", "境外经营与贸易摩擦", "overseas operations & trade friction",
         "dependence on export markets, overseas subsidiaries, tariffs, anti-dumping, trade wars, foreign political and legal environment"),
    Leaf("receivables_credit", "financial", "应收款项回收与信用风险", "receivables & credit",
         "high accounts/notes receivable, slow collection, bad debts, expected credit losses; for banks and lenders, loan quality and credit risk"),
    Leaf("inventory_impairment", "financial", "存货跌价与资产减值", "inventory & asset impairment",
         "inventory write-downs, impairment of fixed assets, construction in progress, intangible assets or goodwill"),
    Leaf("gross_margin", "financial", "毛利率下降与成本费用上升", "margin pressure",
         "falling gross margin, rising labour/operating costs, expense swings that squeeze margins"),
    Leaf("tax_and_subsidy", "financial", "税收优惠与政府补助", "tax incentives & subsidies",
         "loss or change of tax incentives (高新技术企业, 西部大开发, export rebates), dependence on government grants"),
    Leaf("liquidity_and_debt", "financial", "偿债、现金流与融资", "liquidity & debt",
         "high leverage, short-term debt pressure, weak or volatile operating cash flow, heavy capital spending, limited financing"),
    Leaf("fx_and_interest_rate", "financial", "汇率与利率", "FX & interest rates",
         "exchange-rate and interest-rate movements (incl. banks' interest-rate and market risk)"),
    Leaf("control_and_related_party", "governance", "控制权、股权结构与关联交易", "control, ownership & related parties",
         "a controlling shareholder or actual controller able to act against minority holders, dispersed ownership with no controller, special voting rights, related-party transactions and competition with related parties"),
    Leaf("management_and_internal_control", "governance", "规模扩张管理与内部控制", "management & internal control",
         "management capacity lagging growth, internal-control weaknesses, group/subsidiary management, information-system and operational risk"),
    Leaf("ip_and_litigation", "legal", "知识产权与诉讼纠纷", "IP & litigation",
         "patent/trademark disputes or infringement, pending lawsuits and arbitration, product-liability claims"),
    Leaf("licensing_and_compliance", "legal", "资质许可、行政处罚与规范性瑕疵", "licences & compliance defects",
         "licences and qualifications that may lapse, administrative penalties, defects in land/property title or leases, unpaid social insurance/housing fund, other non-compliance"),
    Leaf("data_privacy", "legal", "个人信息保护与数据安全合规", "data privacy & security compliance",
         "personal-information and biometric data protection, data-security law and cybersecurity-review compliance, data sourcing legality"),
    Leaf("industry_policy", "industry", "产业政策与监管变化", "policy & regulation",
         "changes in industry policy, regulation, pricing rules, procurement regimes (集采), subsidy phase-outs, approval regimes"),
    Leaf("market_competition", "industry", "市场竞争加剧", "competition",
         "intensifying competition, price wars, new entrants, losing market share"),
    Leaf("demand_and_expansion", "industry", "行业需求波动与市场拓展不确定", "demand & market expansion",
         "macro-economic slowdown, downstream demand swings, industry cycles, uncertainty in commercialising technology or entering new markets"),
    Leaf("proceeds_projects", "offering", "募投项目实施与效益", "use of proceeds",
         "fundraising projects that may be delayed, under-deliver, create unused capacity, or add depreciation that hurts profit"),
    Leaf("dilution_roe", "offering", "即期回报摊薄与净资产收益率下降", "dilution & ROE decline",
         "earnings per share and return on equity falling after the offering"),
    Leaf("issuance_failure", "offering", "审批与发行失败", "approval & offering failure",
         "the offering may not be approved, registered or fully subscribed"),
    Leaf("stock_price", "offering", "股价波动", "share-price volatility",
         "the share price may fluctuate or fall below the offer price"),
    Leaf("security_terms", "offering", "证券条款与偿付风险", "terms of the securities",
         "risks in the terms of the securities offered: convertible-bond conversion-price resets, redemption and put clauses, no guarantee, rating changes, paying interest and principal, bond price below par"),
    Leaf("force_majeure", "other", "疫情、自然灾害等不可抗力", "force majeure",
         "epidemics (incl. COVID-19), natural disasters, war and other force majeure"),
)

LABELS: tuple[str, ...] = tuple(leaf.id for leaf in LEAVES)
"""Leaf ids in taxonomy order: the column order of every multi-hot vector and score table."""

GROUPS: tuple[str, ...] = tuple(dict.fromkeys(leaf.group for leaf in LEAVES))
"""Group ids in taxonomy order."""

LABEL_INDEX: dict[str, int] = {label: i for i, label in enumerate(LABELS)}
LEAF_BY_ID: dict[str, Leaf] = {leaf.id: leaf for leaf in LEAVES}
GROUP_OF: dict[str, str] = {leaf.id: leaf.group for leaf in LEAVES}


class UnknownLabelError(ValueError):
    """A label id that is not part of taxonomy v1."""


def suggest(label: str) -> str | None:
    """Return the closest real leaf id to ``label`` (or None when nothing is close)."""
    matches = difflib.get_close_matches(label, LABELS, n=1, cutoff=0.5)
    if matches:
        return matches[0]
    lowered = label.lower()
    for leaf in LEAVES:
        if lowered and (lowered in leaf.id or lowered in leaf.en.lower() or label in leaf.zh):
            return leaf.id
    return None


def validate_labels(labels: Iterable[object], *, where: str = "labels") -> list[str]:
    """Check that every item is a known leaf id and return them in taxonomy order.

    Raises ``UnknownLabelError`` naming the unknown id and the closest real one, so a
    typo such as ``receivable_credit`` points straight at ``receivables_credit``.
    """
    out: set[str] = set()
    for label in labels:
        if not isinstance(label, str):
            raise UnknownLabelError(
                f"{where}: label ids must be strings from {TAXONOMY_VERSION}; got {label!r} "
                f"of type {type(label).__name__}."
            )
        if label not in LABEL_INDEX:
            hint = suggest(label)
            did_you_mean = f" Did you mean '{hint}'?" if hint else ""
            raise UnknownLabelError(
                f"{where}: unknown label '{label}' (not a leaf of {TAXONOMY_VERSION}).{did_you_mean} "
                f"Run `risklens labels taxonomy` to list the 30 leaf ids."
            )
        out.add(label)
    return [label for label in LABELS if label in out]


def to_multi_hot(labels: Sequence[str]) -> list[float]:
    """Encode leaf ids as a 30-long 0/1 vector in taxonomy order (validating them)."""
    vector = [0.0] * len(LABELS)
    for label in validate_labels(labels):
        vector[LABEL_INDEX[label]] = 1.0
    return vector


def from_multi_hot(vector: Sequence[float], threshold: float = 0.5) -> list[str]:
    """Decode a 30-long vector back to leaf ids in taxonomy order."""
    if len(vector) != len(LABELS):
        raise ValueError(f"expected a vector of {len(LABELS)} values (one per leaf), got {len(vector)}.")
    return [label for label, value in zip(LABELS, vector, strict=True) if value >= threshold]


def groups_of(labels: Iterable[str]) -> list[str]:
    """Group ids covered by ``labels``, in taxonomy order."""
    present = {GROUP_OF[label] for label in labels}
    return [group for group in GROUPS if group in present]
