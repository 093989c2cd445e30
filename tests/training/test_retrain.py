"""Retraining end to end: feedback (HTTP, CLI, stand-off) → retrain → registry → promote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from risklens.cli import main
from risklens.labels.dataset import Row
from risklens.labels.harvest import Harvested, harvest
from risklens.labels.silver import RuleLabeller
from risklens.labels.store import LabelStore
from risklens.model import registry as registry_module
from risklens.model.registry import Registry, resolve_model_path
from risklens.training.retrain import RetrainConfig, RetrainError, data_hash, retrain, store_rows
from tests.training.test_active import TOPICS, write_filings

COMPANIES = ["晨光仪器", "远航电子", "青木材料", "北辰装备", "东岳精工"]
SPLIT_OF = {0: "train", 1: "train", 2: "dev", 3: "test"}  # company 4 has no gold labels


def company_of(paragraph: Harvested) -> int:
    return int(Path(paragraph.doc).name.split("-")[0])


def write_world(root: Path) -> tuple[Path, Path, list[Harvested]]:
    """A corpus of five filings and gold stand-off labels (the heading rules) for four of them."""
    corpus, data = root / "shared", root / "data"
    write_filings(corpus, COMPANIES)
    paragraphs = list(harvest(corpus))
    rules = RuleLabeller()
    records = [
        {"id": f"g{company_of(p)}-{p.start}", **{k: v for k, v in p.ref().items() if k != "page"},
         "labels": rules.predict(p.heading), "split": SPLIT_OF[company_of(p)], "kind": "gold", "annotator": "lead"}
        for p in paragraphs
        if company_of(p) in SPLIT_OF
    ]
    data.mkdir()
    (data / "gold.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return corpus, data, paragraphs


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(registry_module, "SHIPPED_MODEL", tmp_path / "no-shipped-model")
    monkeypatch.delenv("RISKLENS_MODEL", raising=False)
    monkeypatch.setenv("RISKLENS_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("RISKLENS_STORE", str(tmp_path / "labels.sqlite"))


# ----------------------------------------------------------------- store rows
def test_store_rows_are_train_only_and_never_leak_into_evaluation(tmp_path: Path) -> None:
    corpus, _, paragraphs = write_world(tmp_path)
    test_paragraph = next(p for p in paragraphs if SPLIT_OF.get(company_of(p)) == "test")
    dev_paragraph = next(p for p in paragraphs if SPLIT_OF.get(company_of(p)) == "dev")
    unlabelled = [p for p in paragraphs if company_of(p) == 4]
    gold_rows = [
        Row(id="t", doc=test_paragraph.doc, text=test_paragraph.text, heading="", label_ids=(), kind="gold", split="test"),
        Row(id="d", doc=dev_paragraph.doc, text="别的段落", heading="", label_ids=(), kind="gold", split="dev"),
    ]
    stale = {**unlabelled[1].ref(), "doc_hash": "0000000000000000"}  # the filing changed since
    with LabelStore(tmp_path / "s.sqlite") as store:
        store.add_feedback(
            [
                {"text": "公司客户集中度较高，主要客户订单减少将影响业绩。", "labels": ["customer_concentration"]},
                {"text": test_paragraph.text, "labels": ["stock_price"]},  # same text as a test row
                {"text": dev_paragraph.text, "labels": [], "ref": dev_paragraph.ref()},  # a dev filing
                {"text": unlabelled[0].text, "labels": ["receivables_credit"], "ref": unlabelled[0].ref()},
                {"text": unlabelled[1].text, "labels": [], "ref": stale},
            ],
            annotator="a",
        )
        rows, merge = store_rows(store.latest(), gold_rows, corpus)
    assert (merge.added, merge.in_gold, merge.eval_documents, len(merge.unresolved)) == (2, 1, 1, 1)
    assert "content hash" in merge.unresolved[0]
    assert {row.split for row in rows} == {"train"} and {row.kind for row in rows} == {"gold"}
    assert rows[1].text == unlabelled[0].text  # stand-off resolved through the corpus
    assert rows[1].label_ids == ("receivables_credit",)


def test_data_hash_depends_on_content_not_order() -> None:
    a = Row("1", "d", "文本甲", "", ("stock_price",), "gold", "train")
    b = Row("2", "d", "文本乙", "", (), "gold", "test")
    assert data_hash([a, b]) == data_hash([b, a])
    assert data_hash([a, b]) != data_hash([a, Row("2", "d", "文本乙", "", ("stock_price",), "gold", "test")])
    assert data_hash([a, b], "test") == data_hash([b], "test")


def test_a_prebuilt_dataset_gives_the_same_rows_as_the_gold_files(tmp_path: Path) -> None:
    from risklens.labels.dataset import to_dataset_dict
    from risklens.training.retrain import build_dataset_rows

    corpus, data, _ = write_world(tmp_path)
    with LabelStore(tmp_path / "s.sqlite") as store:
        store.add_feedback([{"text": "公司客户集中度较高，主要客户订单减少将影响业绩。", "labels": ["customer_concentration"]}],
                           annotator="a")
    from_files = RetrainConfig(store=tmp_path / "s.sqlite", data=data, corpus=corpus, registry=tmp_path / "m")
    rows, merge = build_dataset_rows(from_files)
    gold = [row for row in rows if not row.id.startswith("store:")]
    to_dataset_dict(gold).save_to_disk(str(tmp_path / "dataset"))
    prebuilt = RetrainConfig(store=tmp_path / "s.sqlite", data=tmp_path / "unused", corpus=tmp_path / "unused",
                             registry=tmp_path / "m", dataset=tmp_path / "dataset")
    rows_again, merge_again = build_dataset_rows(prebuilt)
    assert merge.added == merge_again.added == 1
    assert data_hash(rows_again) == data_hash(rows)
    assert data_hash(rows_again, "test") == data_hash(rows, "test")


def test_retrain_explains_what_is_missing(tmp_path: Path) -> None:
    corpus, data, _ = write_world(tmp_path)
    config = RetrainConfig(store=tmp_path / "s.sqlite", data=tmp_path / "nope", corpus=corpus, registry=tmp_path / "m")
    with pytest.raises(RetrainError, match=r"annotation folder .*nope not found"):
        retrain(config)
    config = RetrainConfig(store=tmp_path / "s.sqlite", data=data, corpus=corpus, registry=tmp_path / "m")
    with pytest.raises(RetrainError, match=r"no model found.*--from-base"):
        retrain(config)
    with pytest.raises(RetrainError, match=r"dataset .*nope not found; build one"):
        retrain(RetrainConfig(store=tmp_path / "s.sqlite", data=data, corpus=corpus, registry=tmp_path / "m",
                              dataset=tmp_path / "nope"))
    with pytest.raises(RetrainError, match="choose one starting point"):
        RetrainConfig(store=tmp_path, data=data, corpus=corpus, registry=tmp_path, from_base=tmp_path, warm_start_from=tmp_path)


# ------------------------------------------------------------------ end to end
def test_feedback_to_retrained_promoted_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fastapi.testclient import TestClient

    from risklens.model import RiskClassifier
    from risklens.model.testing import make_tiny_classifier
    from risklens.serving.app import create_app
    from risklens.serving.state import ServerSettings

    corpus, data, paragraphs = write_world(tmp_path)
    tiny = make_tiny_classifier(tmp_path / "tiny")
    store_path, models = tmp_path / "labels.sqlite", tmp_path / "models"
    test_text = next(p.text for p in paragraphs if SPLIT_OF.get(company_of(p)) == "test")

    # 1. feedback through the CLI (one item repeats a test paragraph: it must not reach train)
    cli_items = [
        {"id": "cli-1", "text": "公司前五大客户收入占比超过七成，若主要客户减少订单，业绩将明显下降。", "labels": ["customer_concentration"]},
        {"id": "cli-2", "text": test_text, "labels": ["stock_price"]},
    ]
    feedback_file = tmp_path / "feedback.jsonl"
    feedback_file.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in cli_items), "utf-8")
    assert main(["labels", "add", str(feedback_file), "--annotator", "cli-user"]) == 0

    # 2. feedback through the HTTP server (the serving app writes to the same store)
    settings = ServerSettings(model=tiny, token="s3cret", store=store_path, background_load=False)
    body = {"paragraphs": [{"id": "http-1", "text": "公司享受高新技术企业所得税优惠，若资格到期未能续期，税负将上升。",
                            "labels": ["tax_and_subsidy"]}], "annotator": "web-analyst"}
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/feedback", json=body).status_code == 401
        response = client.post("/v1/feedback", json=body, headers={"Authorization": "Bearer s3cret"})
        assert response.status_code == 200 and response.json() == {"stored": 1}

    # 3. a corpus-backed label on the unlabelled filing (as a Label Studio import stores it)
    new = next(p for p in paragraphs if company_of(p) == 4)
    with LabelStore(store_path) as store:
        store.import_records([{"text": new.text, "labels": ["receivables_credit"], "ref": new.ref()}], annotator="ls")
        assert {a.origin for a in store.annotations()} == {"feedback", "import"}
        assert {a.annotator for a in store.annotations()} == {"cli-user", "web-analyst", "ls"}

    # 4. retrain from the base: the encoder alone, one epoch
    common = ["--data", str(data), "--corpus", str(corpus), "--epochs", "1", "--set", "batch_size=8",
              "--set", "max_length=64", "--set", "stride=8"]
    assert main(["retrain", "--from-base", str(tiny), "--no-fusion", *common]) == 0
    assert "registered v1" in capsys.readouterr().out
    v1 = Registry(models).get("v1")
    gold_train = 2 * len(TOPICS)
    assert v1.metrics["rows"] == {"train": gold_train + 3, "dev": len(TOPICS), "test": len(TOPICS)}
    assert v1.metrics["store"] == {"added": 3, "in_gold": 1, "eval_documents": 0, "unresolved": 0}
    assert v1.metrics["test"]["n"] == len(TOPICS)
    assert v1.config["epochs"] == 1 and v1.config["fusion"] is False and v1.parent == f"base:{tiny}"
    assert len(v1.data_hash) == 16 and v1.metrics["test_hash"]
    assert RiskClassifier.from_pretrained(v1.path).predict(["公司应收账款回收存在风险。"])[0].scores

    # 5. retrain warm-started from v1, this time with the TF-IDF + rules fusion head
    assert main(["retrain", "--warm-start", str(v1.path), "--set", "fusion=true", "--set", "tfidf_max_features=500", *common]) == 0
    v2 = Registry(models).get("v2")
    assert v2.parent == "v1" and v2.data_hash == v1.data_hash and v2.config["fusion"] is True
    assert v1.test_macro_f1 is not None and v2.test_macro_f1 is not None
    # the fused model learns the topic vocabulary shared by the filings; the tiny encoder cannot
    assert v2.test_macro_f1 > v1.test_macro_f1 + 0.005, (v1.test_macro_f1, v2.test_macro_f1)

    # 6. promote: the first is accepted, the better one is accepted, the worse one refused
    capsys.readouterr()
    assert main(["models", "promote", "v1"]) == 0
    assert main(["models", "promote", "v2"]) == 0
    assert "v2 is now the default" in capsys.readouterr().out
    assert main(["models", "promote", "v1"]) == 1
    err = capsys.readouterr().err
    assert "risklens models promote: v1 has test macro-F1" in err and "--force" in err
    assert resolve_model_path(None) == models / "v2"
    assert main(["models", "list"]) == 0
    table = capsys.readouterr().out
    assert "* v2" in table and "  v1" in table and v1.data_hash in table
