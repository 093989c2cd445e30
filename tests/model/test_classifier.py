from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from risklens.labels.taxonomy import LABELS, TAXONOMY_VERSION
from risklens.model import Prediction, RiskClassifier
from risklens.model.classifier import bf16_supported
from risklens.model.meta import META_FILE, ModelVersionWarning
from risklens.model.testing import make_tiny_classifier

LONG = "公司应收账款余额较大，若客户经营情况发生不利变化，可能产生坏账损失。" * 12


def test_predict_returns_labels_and_scores_for_every_leaf(tiny_dir: Path) -> None:
    clf = RiskClassifier.from_pretrained(tiny_dir)
    preds = clf.predict(["公司存货跌价风险", {"id": "p-2", "text": "市场竞争加剧", "heading": "（一）竞争风险"}])
    assert [p.id for p in preds] == [None, "p-2"]
    for pred in preds:
        assert isinstance(pred, Prediction)
        assert list(pred.scores) == list(LABELS)
        assert all(0.0 <= s <= 1.0 for s in pred.scores.values())
        assert pred.labels == [label for label in LABELS if pred.scores[label] >= clf.thresholds[label]]


def test_predict_proba_matches_predict_scores(tiny_dir: Path) -> None:
    clf = RiskClassifier.from_pretrained(tiny_dir)
    items = [{"text": "原材料价格上涨", "heading": "（二）原材料风险"}, "汇率波动"]
    probs = clf.predict_proba(items)
    assert probs.shape == (2, len(LABELS))
    scores = [[p.scores[label] for label in LABELS] for p in clf.predict(items)]
    np.testing.assert_allclose(probs, scores, rtol=1e-6)


def test_order_and_batching_do_not_change_scores(tiny_dir: Path) -> None:
    clf = RiskClassifier.from_pretrained(tiny_dir)
    items = ["短", LONG, "中等长度的一段文字，讲述公司的经营情况。", "股价波动"]
    one_by_one = np.vstack([clf.predict_proba([item], batch_size=1) for item in items])
    batched = clf.predict_proba(items, batch_size=3)
    np.testing.assert_allclose(one_by_one, batched, atol=1e-5)


def test_heading_changes_the_input_and_text_only_mode_ignores_it(tiny_dir: Path) -> None:
    clf = RiskClassifier.from_pretrained(tiny_dir)
    with_heading = {"text": "公司客户集中度较高", "heading": "（三）客户集中风险"}
    bare = {"text": "公司客户集中度较高"}
    assert not np.allclose(clf.predict_proba([with_heading]), clf.predict_proba([bare]))
    np.testing.assert_allclose(
        clf.predict_proba([with_heading], use_headings=False), clf.predict_proba([bare]), atol=1e-6
    )


def test_long_paragraph_is_scored_from_several_windows(tiny_dir: Path) -> None:
    clf = RiskClassifier.from_pretrained(tiny_dir)
    head = "公司应收账款余额较大。" * 3
    tail = "行业竞争加剧，价格下降。" * 10
    # the tail lies beyond the first window: a truncating model could not see it
    z_full = clf.encoder_logits([head + tail])
    z_head = clf.encoder_logits([head])
    assert not np.allclose(z_full, z_head)
    progress: list[tuple[int, int]] = []
    clf.predict([LONG], progress=lambda done, total: progress.append((done, total)))
    assert progress[-1][0] == progress[-1][1] > 1


def test_saved_directory_is_a_plain_hugging_face_model(tiny_dir: Path) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(tiny_dir)
    assert model.config.problem_type == "multi_label_classification"
    assert [model.config.id2label[i] for i in range(len(LABELS))] == list(LABELS)
    assert AutoTokenizer.from_pretrained(tiny_dir)("风险")["input_ids"]
    meta = json.loads((tiny_dir / META_FILE).read_text("utf-8"))
    assert meta["taxonomy_version"] == TAXONOMY_VERSION
    assert set(meta["thresholds"]) == set(LABELS)


def test_fp16_round_trip_is_upcast_and_close(tmp_path: Path, tiny_dir: Path) -> None:
    clf = RiskClassifier.from_pretrained(tiny_dir)
    clf.save_pretrained(tmp_path / "half", dtype="float16")
    half = RiskClassifier.from_pretrained(tmp_path / "half")
    assert next(half.model.parameters()).dtype.is_floating_point
    assert str(next(half.model.parameters()).dtype) == "torch.float32"
    assert half.meta.weights_dtype == "float16"
    items = ["公司税收优惠政策变化", LONG]
    np.testing.assert_allclose(clf.predict_proba(items), half.predict_proba(items), atol=2e-3)


def test_info_describes_the_model(tiny_dir: Path) -> None:
    info = RiskClassifier.from_pretrained(tiny_dir).info()
    for key in ("name", "version", "taxonomy_version", "base_model", "labels", "thresholds",
                "temperature", "metrics", "created"):
        assert key in info
    assert info["labels"] == list(LABELS)


def test_loading_warns_on_version_mismatch(tmp_path: Path) -> None:
    directory = make_tiny_classifier(tmp_path / "old")
    meta = json.loads((directory / META_FILE).read_text("utf-8"))
    meta["package_version"] = "0.0.1"
    (directory / META_FILE).write_text(json.dumps(meta), "utf-8")
    with pytest.warns(ModelVersionWarning, match="0.0.1"):
        RiskClassifier.from_pretrained(directory)


def test_foreign_label_set_is_refused(tmp_path: Path) -> None:
    directory = make_tiny_classifier(tmp_path / "foreign")
    meta = json.loads((directory / META_FILE).read_text("utf-8"))
    meta["labels"] = meta["labels"][::-1]
    meta["thresholds"] = dict.fromkeys(meta["labels"], 0.5)
    (directory / META_FILE).write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ValueError, match="retrain"):
        RiskClassifier.from_pretrained(directory)


def test_missing_directory_and_bad_inputs_give_clear_errors(tmp_path: Path, tiny_dir: Path) -> None:
    with pytest.raises(FileNotFoundError, match="model directory not found"):
        RiskClassifier.from_pretrained(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"risklens\.json"):
        RiskClassifier.from_pretrained(tmp_path / "empty")
    clf = RiskClassifier.from_pretrained(tiny_dir)
    with pytest.raises(ValueError, match="paragraph 1: expected a string 'text'"):
        clf.predict(["ok", {"heading": "无正文"}])
    with pytest.raises(ValueError, match="batch_size"):
        clf.predict(["ok"], batch_size=0)
    assert clf.predict([]) == []


def test_concurrent_predictions_agree(tiny_dir: Path) -> None:
    clf = RiskClassifier.from_pretrained(tiny_dir)
    items = ["公司研发项目可能失败", LONG, "募投项目新增折旧"]
    expected = clf.predict_proba(items)
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(clf.predict_proba(items, batch_size=2))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for result in results:
        np.testing.assert_allclose(result, expected, atol=1e-6)


def test_int8_quantisation_is_applied_at_load_and_keeps_scores_close(tiny_dir: Path) -> None:
    plain = RiskClassifier.from_pretrained(tiny_dir, precision="fp32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quick = RiskClassifier.from_pretrained(tiny_dir, precision="int8")
    assert quick.precision == "int8" and plain.precision == "fp32"
    items = ["公司存货余额较大", "境外经营风险"]
    np.testing.assert_allclose(plain.predict_proba(items), quick.predict_proba(items), atol=0.05)
    with pytest.raises(ValueError, match="int8"):
        quick.save_pretrained(tiny_dir.parent / "never")
    with pytest.raises(ValueError, match="load it again"):
        quick.set_precision("fp32")


@pytest.mark.skipif(not bf16_supported(), reason="this CPU has no native bf16")
def test_bf16_autocast_keeps_scores_close(tiny_dir: Path) -> None:
    plain = RiskClassifier.from_pretrained(tiny_dir, precision="fp32")
    fast = RiskClassifier.from_pretrained(tiny_dir, precision="bf16")
    assert fast.info()["precision"] == "bf16"
    items = ["公司存货余额较大", LONG]
    np.testing.assert_allclose(plain.predict_proba(items), fast.predict_proba(items), atol=0.02)
    assert str(next(fast.model.parameters()).dtype) == "torch.float32"  # weights stay fp32


def test_auto_precision_follows_the_cpu(tiny_dir: Path) -> None:
    clf = RiskClassifier.from_pretrained(tiny_dir)
    clf.set_precision("auto")
    assert clf.precision == ("bf16" if bf16_supported() else "fp32")
    with pytest.raises(ValueError, match="precision must be one of"):
        clf.set_precision("fp8")  # type: ignore[arg-type]


def test_fused_model_round_trips_and_encoder_component_differs(tiny_fused_dir: Path, tmp_path: Path) -> None:
    clf = RiskClassifier.from_pretrained(tiny_fused_dir)
    assert clf.fusion is not None and clf.info()["fusion"] is True
    items = [{"text": "公司应收账款余额较大，可能产生坏账。", "heading": "（一）应收账款回收风险"}]
    full = clf.predict_proba(items)
    encoder = clf.predict_proba(items, component="encoder")
    assert not np.allclose(full, encoder)
    clf.save_pretrained(tmp_path / "again")
    np.testing.assert_allclose(RiskClassifier.from_pretrained(tmp_path / "again").predict_proba(items), full, atol=2e-3)
