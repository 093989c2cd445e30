from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from risklens.cli import main
from risklens.labels.annotations import text_hash
from risklens.labels.harvest import Harvested, harvest
from risklens.labels.store import LabelStore
from risklens.training.active import (
    Candidate,
    Exclusions,
    QueueConfig,
    candidate_pool,
    disagreement,
    mean_entropy,
    rank_paragraphs,
    score_candidates,
    select_diverse,
    threshold_margin,
)

# A small made-up corpus in the 2024+ Markdown prospectus format (our own wording).
TOPICS: list[tuple[str, str]] = [
    ("应收账款回收的风险", "报告期各期末，{co}应收账款余额占营业收入的比例较高，若下游客户经营困难导致回款延迟，公司将面临坏账损失。"),
    ("核心技术人员流失的风险", "{co}的产品开发依赖少数资深工程师，若核心技术人员离职或技术秘密泄露，新产品研发可能受阻。"),
    ("原材料价格波动的风险", "{co}主要原材料为钢材和电子元件，采购价格随大宗商品行情波动，若价格大幅上涨，公司毛利将被压缩。"),
    ("市场竞争加剧的风险", "国内同类厂商持续扩产，价格竞争日趋激烈，{co}可能失去部分市场份额。"),
    ("产业政策变化的风险", "行业主管部门不断调整准入与采购政策，若政策收紧，{co}的订单获取将受到影响。"),
    ("股票价格波动的风险", "股票价格受宏观经济、投资者情绪等多重因素影响，{co}股东可能因股价下跌遭受损失。"),
    ("募集资金投资项目实施的风险", "本次募集资金拟投向{co}新建产线，项目建设周期较长，若市场需求不及预期，新增产能可能无法消化。"),
    ("汇率波动的风险", "{co}部分产品销往海外并以美元结算，人民币汇率波动可能带来汇兑损失。"),
]
NUMERALS = "一二三四五六七八九十"


def write_filings(root: Path, companies: list[str]) -> list[Path]:
    """One prospectus per company under ``root/corpus/ipo-2024-2025`` with every topic."""
    folder = root / "corpus" / "ipo-2024-2025"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, company in enumerate(companies):
        lines = [f"# {company}股份有限公司 首次公开发行股票招股说明书", "", "## 第1页", "第三节 风险因素", "一、与发行人相关的风险"]
        for i, (heading, body) in enumerate(TOPICS):
            lines.append(f"（{NUMERALS[i]}）{heading}")
            lines.append(body.format(co=company) + f"第{k + 1}家公司的情况与此类似。")
        lines += ["第四节 发行人基本情况", f"{company}成立于二〇一二年。"]
        path = folder / f"{k}-{company}.md"
        path.write_text("\n".join(lines) + "\n", "utf-8")
        paths.append(path)
    return paths


def para(doc: str, start: int, text: str, heading: str = "第三节 风险因素 / （一）应收账款回收的风险") -> Harvested:
    return Harvested(doc=doc, doc_hash="h", start=start, end=start + len(text), text_hash=text_hash(text),
                     section="risk_factors", heading=heading, page=1, text=text)


def candidate(p: Harvested, priority: float) -> Candidate:
    return Candidate(paragraph=p, priority=priority, margin=0, entropy=0, disagreement=0, predicted=(), silver=())


# ------------------------------------------------------------------ scoring
def test_threshold_margin_is_one_on_the_threshold_and_zero_at_the_extremes() -> None:
    thresholds = [0.5, 0.2]
    probs = np.array([[0.5, 0.0], [0.0, 1.0], [0.25, 0.0], [0.0, 0.6]])
    assert threshold_margin(probs, thresholds) == pytest.approx([1.0, 0.0, 0.5, 0.5])


def test_mean_entropy_spans_zero_to_one_bit() -> None:
    assert mean_entropy(np.array([[0.5, 0.5], [0.0, 1.0]])) == pytest.approx([1.0, 0.0], abs=1e-6)


def test_disagreement_is_jaccard_distance_and_silent_rules_do_not_count() -> None:
    assert disagreement(["stock_price"], ["stock_price"]) == 0.0
    assert disagreement(["stock_price"], ["receivables_credit"]) == 1.0
    assert disagreement(["stock_price", "gross_margin"], ["stock_price"]) == 0.5
    assert disagreement(["stock_price"], []) == 0.0


def test_scores_rank_uncertain_and_contradicted_paragraphs_first() -> None:
    paragraphs = [
        para("a", 0, "公司应收账款余额较大，存在回款风险。"),  # confident and agrees with the rules
        para("b", 0, "公司应收账款周转较慢，坏账准备计提可能不足。"),  # confident, contradicts the rules
        para("c", 0, "公司面临多方面的经营压力。", heading="第三节 风险因素 / 一、经营风险"),  # unsure, generic heading
    ]
    probs = np.full((3, 30), 0.01)
    probs[0, 10] = 0.99  # receivables_credit
    probs[1, 22] = 0.99  # market_competition
    probs[2, 3] = 0.5  # earnings_decline sits on its threshold
    predicted = [["receivables_credit"], ["market_competition"], []]
    scored = score_candidates(paragraphs, probs, [0.5] * 30, predicted, QueueConfig())
    assert [c.silver for c in scored] == [("receivables_credit",), ("receivables_credit",), ()]
    assert [c.disagreement for c in scored] == [0.0, 1.0, 0.0]
    assert scored[2].margin == pytest.approx(1.0)
    ranked = [c.paragraph.doc for c in select_diverse(scored, QueueConfig(n=3))]
    assert ranked[-1] == "a"  # nothing to learn from a confident paragraph the rules agree with


def test_selection_caps_each_filing_and_drops_near_duplicates() -> None:
    base = "报告期内公司前五大客户销售收入占比较高，若主要客户需求下降，公司经营业绩将受到不利影响"
    candidates = [
        candidate(para("doc1", 0, base + "（2021年为65%）。"), 0.99),
        candidate(para("doc2", 0, base + "（2022年为71%）。"), 0.98),  # same text, other year's figures
        candidate(para("doc4", 0, base.replace("较高", "偏高") + "。"), 0.975),  # one word changed
        candidate(para("doc1", 100, "公司主要原材料价格波动较大，可能压缩毛利空间。"), 0.97),
        candidate(para("doc1", 200, "公司募投项目建设周期较长，新增折旧可能影响利润。"), 0.96),
        candidate(para("doc3", 0, "汇率波动可能使公司产生汇兑损失。"), 0.10),
    ]
    chosen = select_diverse(candidates, QueueConfig(n=10, per_document=2))
    assert [(c.paragraph.doc, c.paragraph.start) for c in chosen] == [("doc1", 0), ("doc1", 100), ("doc3", 0)]
    assert len(select_diverse(candidates, QueueConfig(n=1))) == 1


def test_pool_skips_short_and_already_labelled_paragraphs() -> None:
    keep = para("d", 0, "公司核心技术人员流失可能影响研发进度和产品迭代。")
    labelled_text = para("d", 100, "公司存货规模较大，可能发生跌价损失并影响利润。")
    labelled_span = para("e", 5, "公司所处行业受宏观经济周期影响，下游需求可能下滑。")
    short = para("d", 300, "详见下文。")
    exclusions = Exclusions(text_hashes=frozenset({labelled_text.text_hash}), spans=frozenset({("e", 5, labelled_span.end)}))
    pool = candidate_pool([keep, labelled_text, labelled_span, short], QueueConfig(), exclude=exclusions)
    assert pool == [keep]


def test_queue_config_is_validated() -> None:
    with pytest.raises(ValueError, match="n must be >= 1"):
        QueueConfig(n=0)
    with pytest.raises(ValueError, match="near_duplicate"):
        QueueConfig(near_duplicate=0.0)


# ------------------------------------------------------ with a real (tiny) model
@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from risklens.model.testing import make_tiny_classifier

    return make_tiny_classifier(tmp_path_factory.mktemp("tiny") / "model")


def test_rank_paragraphs_with_a_model_keeps_the_diversity_rules(tiny_model: Path, tmp_path: Path) -> None:
    from risklens.model import RiskClassifier

    write_filings(tmp_path, ["晨光仪器", "远航电子", "青木材料"])
    paragraphs = list(harvest(tmp_path))
    assert len(paragraphs) == 3 * len(TOPICS)
    chosen = rank_paragraphs(RiskClassifier.from_pretrained(tiny_model), paragraphs, QueueConfig(n=7, per_document=3))
    assert len(chosen) == 7
    docs = [c.paragraph.doc for c in chosen]
    assert max(docs.count(d) for d in set(docs)) <= 3
    assert [c.priority for c in chosen] == sorted((c.priority for c in chosen), reverse=True)
    task = chosen[0].to_task()
    assert task.ref == chosen[0].paragraph.ref() and task.score == pytest.approx(chosen[0].priority, abs=1e-4)


def test_label_studio_round_trip_through_queue_and_store(tiny_model: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "shared"
    write_filings(corpus, ["晨光仪器", "远航电子"])
    store_path, tasks_path = tmp_path / "labels.sqlite", tmp_path / "tasks.json"
    with LabelStore(store_path) as store:  # one paragraph is labelled already: the queue skips it
        first = next(iter(harvest(corpus)))
        store.add_feedback([{"text": first.text, "labels": ["receivables_credit"], "ref": first.ref()}], annotator="x")

    code = main(["labels", "queue", "--model", str(tiny_model), "--corpus", str(corpus), "--n", "6",
                 "--per-doc", "3", "--out", str(tasks_path), "--store", str(store_path), "--data", str(tmp_path / "none")])
    assert code == 0
    tasks = json.loads(tasks_path.read_text("utf-8"))
    assert len(tasks) == 6 and tasks_path.with_name("tasks.config.xml").is_file()
    assert first.text not in {t["data"]["text"] for t in tasks}
    assert all(t["predictions"][0]["result"][0]["from_name"] == "labels" for t in tasks)

    # an annotator labels three tasks in Label Studio, skips one, cancels one
    chosen = {0: ["supply_chain", "gross_margin"], 1: [], 3: ["stock_price"]}
    for index, labels in chosen.items():
        tasks[index]["annotations"] = [{
            "completed_by": {"email": "ann@example.com"}, "was_cancelled": False,
            "result": [{"from_name": "labels", "to_name": "text", "type": "choices", "value": {"choices": labels}}],
        }]
    tasks[4]["annotations"] = [{"completed_by": 7, "was_cancelled": True, "result": []}]
    exported = tmp_path / "export.json"
    exported.write_text(json.dumps(tasks, ensure_ascii=False), "utf-8")

    assert main(["labels", "add", "--label-studio", str(exported), "--store", str(store_path)]) == 0
    with LabelStore(store_path) as store:
        imported = list(store.annotations(origin="import"))
        assert store.integrity_check() == []
    assert len(imported) == 3
    by_ref = {(a.document, a.start, a.end): a for a in imported}
    for index, labels in chosen.items():
        ref = tasks[index]["data"]["ref"]
        stored = by_ref[(ref["doc"], ref["start"], ref["end"])]
        assert list(stored.labels) == labels
        assert stored.annotator == "ann@example.com"
        assert stored.text is None and stored.text_hash == ref["text_hash"]  # stand-off, no corpus text copied
        assert stored.heading == tasks[index]["data"]["heading"]


def test_queue_reports_a_missing_corpus_in_one_line(tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["labels", "queue", "--model", str(tiny_model), "--corpus", str(tmp_path / "nope"), "--out", str(tmp_path / "t.json")])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("risklens labels queue: corpus root") and "\n" not in err
