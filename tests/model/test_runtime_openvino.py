"""OpenVINO encoder on a tiny random-weight model: same logits as torch, one rule for choosing it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from risklens.cli import main
from risklens.model.classifier import RiskClassifier
from tests.model.test_runtime_onnx import PARAGRAPHS, need_modules


def need_openvino() -> None:
    need_modules("openvino", "onnx", extra="openvino")


@pytest.fixture()
def ov_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    need_openvino()
    monkeypatch.setenv("RISKLENS_HOME", str(tmp_path))
    return tmp_path


def test_openvino_logits_match_torch(tiny_fused_dir: Path, ov_home: Path) -> None:
    torch_clf = RiskClassifier.from_pretrained(tiny_fused_dir, precision="fp32")
    ov_clf = RiskClassifier.from_pretrained(tiny_fused_dir, runtime="openvino", num_threads=1)
    assert ov_clf.runtime == "openvino" and ov_clf.info()["runtime"] == "openvino"
    assert ov_clf.precision in ("bf16", "fp32")
    tolerance = 0.05 if ov_clf.precision == "bf16" else 1e-4  # bf16 keeps ~3 significant digits
    for use_headings in (True, False):
        expected = torch_clf.encoder_logits(PARAGRAPHS, use_headings=use_headings)
        got = ov_clf.encoder_logits(PARAGRAPHS, use_headings=use_headings)
        assert got.shape == expected.shape == (3, 30)
        assert np.abs(got - expected).max() < tolerance
    assert list(ov_home.rglob("model.onnx"))  # the export is cached in the user's folder, not beside the model


def test_an_openvino_classifier_refuses_what_only_torch_can_do(tiny_dir: Path, ov_home: Path, tmp_path: Path) -> None:
    clf = RiskClassifier.from_pretrained(tiny_dir, runtime="openvino", num_threads=1)
    with pytest.raises(ValueError, match="runtime='torch'"):
        clf.set_precision("fp32")
    with pytest.raises(ValueError, match="cannot save"):
        clf.save_pretrained(tmp_path / "out")


def test_predict_takes_runtime_openvino(tiny_dir: Path, ov_home: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text('{"text": "公司主要原材料价格大幅上涨。"}\n', encoding="utf-8")
    assert main(["predict", str(data), "--model", str(tiny_dir), "--runtime", "openvino"]) == 0
    assert '"scores"' in capsys.readouterr().out


def test_an_int8_build_is_calibrated_cached_and_close_to_torch(tiny_fused_dir: Path, ov_home: Path) -> None:
    need_modules("nncf", extra="openvino")
    from risklens.model.runtime_onnx import classifier_on
    from risklens.model.runtime_openvino import build_int8

    calibration = [{"text": p.text, "heading": p.heading} for p in PARAGRAPHS] * 6
    xml = build_int8(tiny_fused_dir, calibration, "cal1", batch_size=4)
    assert xml.suffix == ".xml" and xml.with_suffix(".bin").is_file() and "cal1" in xml.name
    assert not list(ov_home.rglob("*.partial.*"))  # written under a temporary name, then moved
    modified = xml.stat().st_mtime_ns
    assert build_int8(tiny_fused_dir, calibration, "cal1") == xml and xml.stat().st_mtime_ns == modified  # cached
    int8 = classifier_on(tiny_fused_dir, xml, threads=1)
    expected = RiskClassifier.from_pretrained(tiny_fused_dir, precision="fp32").encoder_logits(PARAGRAPHS)
    got = int8.encoder_logits(PARAGRAPHS)
    assert got.shape == expected.shape and np.abs(got - expected).max() < 0.25
    assert not np.array_equal(got, expected)  # quantised, not the fp32 graph under another name
