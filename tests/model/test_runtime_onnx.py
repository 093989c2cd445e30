"""ONNX Runtime encoder on a tiny random-weight model: export, int8 builds, cache, selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from risklens.model.classifier import RiskClassifier
from risklens.model.inputs import Paragraph
from risklens.model.runtimes import RUNTIME_ENV, RUNTIMES, check_runtime, chosen_runtime
from tests.conftest import corpus_required

PARAGRAPHS = [
    Paragraph("公司主要原材料价格大幅上涨，可能导致毛利率下降。", "第四节 风险因素 / 一、经营风险"),
    Paragraph("若核心技术人员离职，公司的研发进度将受到不利影响。" * 8, "风险因素"),
    Paragraph("报告期内应收账款余额较高，存在坏账损失的风险。"),
]


def need_modules(*modules: str, extra: str = "onnx") -> None:
    """Skip on a developer machine without ``modules``; fail in CI, where the dev extra has them."""
    for module in modules:
        try:
            __import__(module)
        except ImportError:
            message = f"{module} is not installed; `pip install -e '.[{extra}]'`."
            if corpus_required():
                pytest.fail(message)
            pytest.skip(message)


def need_onnxruntime() -> None:
    need_modules("onnxruntime", "onnx")


@pytest.fixture(scope="module")
def onnx_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_onnxruntime()
    return tmp_path_factory.mktemp("onnx-cache")


def test_onnx_logits_match_torch_fp32(tiny_fused_dir: Path, onnx_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISKLENS_HOME", str(onnx_home))
    torch_clf = RiskClassifier.from_pretrained(tiny_fused_dir, precision="fp32")
    onnx_clf = RiskClassifier.from_pretrained(tiny_fused_dir, runtime="onnx", num_threads=1)
    assert onnx_clf.runtime == "onnx" and onnx_clf.info()["runtime"] == "onnx"
    for use_headings in (True, False):
        expected = torch_clf.encoder_logits(PARAGRAPHS, use_headings=use_headings)
        got = onnx_clf.encoder_logits(PARAGRAPHS, use_headings=use_headings)
        assert got.shape == expected.shape == (3, 30)
        assert np.abs(got - expected).max() < 1e-4
    assert [p.labels for p in onnx_clf.predict(PARAGRAPHS)] == [p.labels for p in torch_clf.predict(PARAGRAPHS)]


def test_the_cache_is_reused_and_keyed_by_the_weights(tiny_dir: Path, onnx_home: Path, tmp_path: Path) -> None:
    from risklens.model import runtime_onnx

    first = runtime_onnx.build(tiny_dir, "onnx", directory=onnx_home)
    stamp = first.stat().st_mtime_ns
    assert runtime_onnx.build(tiny_dir, "onnx", directory=onnx_home) == first
    assert first.stat().st_mtime_ns == stamp  # not exported again
    assert first.is_relative_to(onnx_home) and not list(tiny_dir.glob("*.onnx"))  # never beside the model
    copy = tmp_path / "copy"
    copy.mkdir()
    for item in tiny_dir.iterdir():
        (copy / item.name).write_bytes(item.read_bytes())
    assert runtime_onnx.build(copy, "onnx", directory=onnx_home).parent != first.parent


def test_int8_builds_run_and_stay_close(tiny_dir: Path, onnx_home: Path) -> None:
    """Dynamic and calibrated static int8 both load and give logits near fp32 (tiny weights: small values)."""
    from risklens.model import runtime_onnx

    reference = RiskClassifier.from_pretrained(tiny_dir, precision="fp32")
    expected = reference.encoder_logits(PARAGRAPHS)
    dynamic = runtime_onnx.build(tiny_dir, "onnx-int8", directory=onnx_home)
    static = runtime_onnx.build_static(tiny_dir, PARAGRAPHS * 4, "unit", directory=onnx_home, batch_size=2)
    fp32 = runtime_onnx.build(tiny_dir, "onnx", directory=onnx_home)
    assert dynamic.stat().st_size < fp32.stat().st_size and static.name == "model-int8-static-unit.onnx"
    for path in (dynamic, static):
        clf = runtime_onnx.classifier_on(tiny_dir, path, threads=1)
        got = clf.encoder_logits(PARAGRAPHS)
        assert got.shape == expected.shape and np.isfinite(got).all()
        assert np.abs(got - expected).max() < 0.5, path.name


def test_the_static_build_excludes_attention_products_and_ffn_outputs(tiny_dir: Path, onnx_home: Path) -> None:
    from risklens.model import runtime_onnx

    fp32 = runtime_onnx.build(tiny_dir, "onnx", directory=onnx_home)
    everything, with_weight, ffn_output = runtime_onnx._matmuls(fp32)
    layers = RiskClassifier.from_pretrained(tiny_dir).model.shape.num_hidden_layers
    assert len(ffn_output) == layers and all("/attention/" not in name for name in ffn_output)
    assert len(everything) - len(with_weight) == 2 * layers  # QKᵀ and attention × V per layer
    keep = set(runtime_onnx._excluded(fp32, keep_ffn_output_fp32=True))
    assert set(ffn_output) <= keep and not keep & (set(with_weight) - set(ffn_output))


def test_an_onnx_classifier_refuses_what_only_torch_can_do(tiny_dir: Path, onnx_home: Path,
                                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RISKLENS_HOME", str(onnx_home))
    clf = RiskClassifier.from_pretrained(tiny_dir, runtime="onnx")
    with pytest.raises(ValueError, match="runtime='torch'"):
        clf.save_pretrained(tmp_path / "saved")
    with pytest.raises(ValueError, match="runs on onnx"):
        clf.set_precision("bf16")
    with pytest.raises(ValueError, match="runtime must be one of torch, onnx, openvino; got 'tensorrt'"):
        RiskClassifier.from_pretrained(tiny_dir, runtime="tensorrt")


def test_the_commands_rule_flag_then_env_then_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RUNTIME_ENV, raising=False)
    assert chosen_runtime(None) == "torch" and RUNTIMES[0] == "torch"
    monkeypatch.setenv(RUNTIME_ENV, "onnx")
    assert chosen_runtime(None) == "onnx"
    assert chosen_runtime("torch") == "torch"
    monkeypatch.setenv(RUNTIME_ENV, "onxx")
    with pytest.raises(ValueError, match=r"\$RISKLENS_RUNTIME must be one of .*got 'onxx'"):
        chosen_runtime(None)
    with pytest.raises(ValueError, match="--runtime"):
        check_runtime("gpu", "--runtime")


def test_predict_takes_runtime(tiny_dir: Path, onnx_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from risklens.cli import main

    monkeypatch.setenv("RISKLENS_HOME", str(onnx_home))
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "text": p.text, "heading": p.heading}, ensure_ascii=False) + "\n"
                            for i, p in enumerate(PARAGRAPHS)), "utf-8")
    outputs = {}
    for runtime in ("torch", "onnx"):
        out = tmp_path / f"{runtime}.jsonl"
        assert main(["predict", str(data), "--model", str(tiny_dir), "--runtime", runtime, "--out", str(out),
                     "--precision", "fp32"]) == 0
        outputs[runtime] = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["labels"] for r in outputs["onnx"]] == [r["labels"] for r in outputs["torch"]]
    assert torch.get_num_threads() >= 1
