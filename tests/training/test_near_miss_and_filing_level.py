"""Per-group near-miss confusion and the filing-level metric, on hand-made label sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.labels.annotations import Annotation
from risklens.labels.nearmiss import NearMiss
from risklens.training.data import make_example
from risklens.training.evaluate import MODE_TITLES
from risklens.training.filing_level import filing_level, filing_level_lines
from risklens.training.near_miss import near_miss_lines, summarize


def _item(i: int, group: str, labels: list[str], part: str = "eval") -> NearMiss:
    record = Annotation(id=f"nm-{i}", doc=f"doc-{i}", labels=tuple(labels), split="train", kind="gold",
                        annotator="a", extra={"group": group, "part": part})
    return NearMiss(record, "我们自己写的段落。", group, part)


ITEMS = [
    _item(1, "sanctions_vs_trade", ["entity_list_sanctions"]),
    _item(2, "sanctions_vs_trade", ["entity_list_sanctions", "supply_chain"]),
    _item(3, "sanctions_vs_trade", ["overseas_and_trade"]),
    _item(4, "sanctions_vs_trade", ["overseas_and_trade"]),
    _item(5, "negated_risk", []),
    _item(6, "negated_risk", []),
    _item(7, "non_risk_statement", []),
    _item(8, "non_risk_statement", []),
]
PREDICTED = [
    ["entity_list_sanctions"],                     # right
    ["supply_chain"],                              # the sanctions leaf missed
    ["overseas_and_trade", "entity_list_sanctions"],  # trade read as sanctions
    ["overseas_and_trade"],                        # right
    [],                                            # right
    ["industry_policy"],                           # a negated risk tagged
    [],
    ["earnings_decline", "gross_margin"],          # a forecast tagged
]


def test_sanctions_precision_recall_and_no_leaf_share() -> None:
    report = summarize(ITEMS, {"heading": PREDICTED})
    mode = report["modes"]["heading"]
    assert mode["entity_list_sanctions"] == {"tp": 1, "fp": 1, "fn": 1, "precision": 0.5, "recall": 0.5}
    assert (mode["no_leaf"], mode["empty_n"], mode["no_leaf_share"]) == (2, 4, 0.5)
    sanctions = mode["groups"]["sanctions_vs_trade"]
    assert sanctions["exact"] == 2 and sanctions["leaves"]["overseas_and_trade"]["recall"] == 1.0
    assert sanctions["wrong"] == {"entity_list_sanctions": 1} and sanctions["missed"] == {"entity_list_sanctions": 1}
    assert mode["groups"]["non_risk_statement"]["wrong"] == {"earnings_decline": 1, "gross_margin": 1}
    assert [e["id"] for e in report["errors"]] == ["nm-2", "nm-3", "nm-6", "nm-8"]
    text = "\n".join(near_miss_lines(report, MODE_TITLES))
    assert "0.500 / 0.500 (1/1/1)" in text and "0.500 (2/4)" in text


def test_the_report_names_the_file_it_scored() -> None:
    report = summarize(ITEMS, {"heading": PREDICTED})
    assert "`labels/data/near_miss/`" in "\n".join(near_miss_lines(report, MODE_TITLES))
    report["file"] = "labels/data/near_miss/mined_check.jsonl"
    assert "`labels/data/near_miss/mined_check.jsonl`" in "\n".join(near_miss_lines(report, MODE_TITLES))


def test_summary_refuses_predictions_of_another_length() -> None:
    with pytest.raises(ValueError, match="8 paragraphs but 7 predictions"):
        summarize(ITEMS, {"heading": PREDICTED[:-1]})


def test_filing_level_counts_disclosed_leaves_per_filing_and_skips_dataset_records() -> None:
    examples = [
        make_example(id="a1", text="x", heading="", labels=["supply_chain"], doc="corpus/a.md"),
        make_example(id="a2", text="x", heading="", labels=["supply_chain", "tax_and_subsidy"], doc="corpus/a.md"),
        make_example(id="b1", text="x", heading="", labels=[], doc="corpus/b.md"),
        make_example(id="r1", text="x", heading="", labels=["rd_failure"], doc="corpus/rare/paragraphs.jsonl#L3"),
    ]
    predicted = [["supply_chain"], ["gross_margin"], ["industry_policy"], []]
    result = filing_level(examples, predicted)
    # a: gold {supply_chain, tax_and_subsidy}, predicted {supply_chain, gross_margin}; b: gold {}, predicted {industry_policy}
    assert (result["filings"], result["paragraphs"], result["tp"], result["fp"], result["fn"]) == (2, 3, 1, 2, 1)
    assert result["precision"] == pytest.approx(1 / 3, abs=1e-4) and result["recall"] == 0.5
    assert result["per_filing"][0]["wrong"] == ["gross_margin"] and result["per_filing"][0]["missed"] == ["tax_and_subsidy"]
    assert "| heading + text | 0.333 | 0.500 | 0.400 | 2 / 1 (1) |" in "\n".join(
        filing_level_lines({"heading": result}, MODE_TITLES))


def test_evaluate_command_reports_filing_level_and_near_miss(tmp_path: Path) -> None:
    import hashlib
    import json

    from risklens.cli import main
    from risklens.labels.annotations import text_hash
    from risklens.model.testing import make_tiny_classifier

    model = make_tiny_classifier(tmp_path / "model", fusion=True)
    texts = ["公司被列入实体清单，采购境外芯片需要许可。", "公司预计下一年度营业收入同比增长。"]
    corpus = tmp_path / "corpus"
    (corpus / "corpus").mkdir(parents=True)
    lines = corpus / "corpus" / "ours.jsonl"
    lines.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), "utf-8")
    digest = hashlib.sha256(lines.read_bytes()).hexdigest()[:16]
    groups = [("sanctions_vs_trade", ["entity_list_sanctions"]), ("non_risk_statement", [])]
    near_miss = tmp_path / "near_miss.jsonl"
    near_miss.write_text("".join(
        json.dumps({"id": f"nm-{i}", "doc": f"corpus/ours.jsonl#L{i + 1}", "doc_hash": digest, "start": 0,
                    "end": len(t), "text_hash": text_hash(t), "labels": labels, "split": "train", "kind": "gold",
                    "annotator": "a", "group": group, "part": "eval"}, ensure_ascii=False) + "\n"
        for i, (t, (group, labels)) in enumerate(zip(texts, groups, strict=True))), "utf-8")
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps({"id": f"t{i}", "text": t, "heading": "", "labels": labels,
                                        "source": "corpus/filing.md"}, ensure_ascii=False) + "\n"
                            for i, (t, (_, labels)) in enumerate(zip(texts, groups, strict=True))), "utf-8")
    stem = tmp_path / "report"
    assert main(["evaluate", "--model", str(model), "--data", str(data), "--out", str(stem), "--bootstrap", "0",
                 "--near-miss", str(near_miss), "--corpus", str(corpus), "--quiet"]) == 0
    report = json.loads(stem.with_name("report.json").read_text("utf-8"))
    assert report["filing_level"]["heading"]["filings"] == 1
    assert report["near_miss"]["n"] == 2 and report["near_miss"]["modes"]["text"]["empty_n"] == 1
    markdown = stem.with_name("report.md").read_text("utf-8")
    assert "## Filing level" in markdown and "## Near-miss set" in markdown
    # a record whose text no longer matches its hash is refused, naming it
    near_miss.write_text(near_miss.read_text("utf-8").replace(text_hash(texts[0]), "0" * 16), "utf-8")
    assert main(["evaluate", "--model", str(model), "--data", str(data), "--out", str(stem), "--bootstrap", "0",
                 "--near-miss", str(near_miss), "--corpus", str(corpus), "--quiet"]) == 2


def test_the_model_card_shows_the_near_miss_table_and_the_filing_level_figure() -> None:
    from risklens.model.meta import ModelMeta
    from risklens.training.card import render_card
    from risklens.training.config import TrainConfig
    from risklens.training.data import Splits

    examples = [make_example(id="a1", text="x", heading="", labels=["supply_chain"], doc="corpus/a.md")]
    metrics = {"micro_f1": 1.0, "macro_f1": 1.0, "samples_f1": 1.0, "exact_match": 1.0,
               "per_label": {"supply_chain": {"f1": 1.0, "support": 1}}, "fp": 0, "fn": 0}
    report = {"n": 1, "conventions": "", "modes": {"heading": {"risklens": metrics}},
              "filing_level": {"heading": filing_level(examples, [["supply_chain"]])},
              "near_miss": summarize(ITEMS, {"heading": PREDICTED})}
    card = render_card(ModelMeta(), TrainConfig(data="d", base_model="b", out="o"), Splits([], [], examples),
                       report, "risklens train …")
    assert "### Filing level" in card and "| heading + text | 1.000 | 1.000 | 1.000 | 0 / 0 (1) |" in card
    assert "## Near-miss set" in card and "| heading + text | sanctions_vs_trade | 4 | 2 |" in card
