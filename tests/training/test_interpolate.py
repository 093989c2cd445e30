"""Weight interpolation: the ends reproduce their models, the middle is the mean, mismatches fail."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from risklens.model.classifier import RiskClassifier
from risklens.model.inputs import Paragraph
from risklens.model.meta import ModelMeta
from risklens.model.testing import make_tiny_classifier
from risklens.training.interpolate import interpolate_model, interpolate_run, interpolate_state

PARAGRAPHS = [Paragraph(text="公司存在应收账款无法收回的风险。", heading="应收账款风险")]


@pytest.fixture(scope="module")
def two_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("interp")
    return make_tiny_classifier(root / "a", seed=0), make_tiny_classifier(root / "b", seed=1)


def test_state_mixes_floats_and_keeps_integers() -> None:
    a = {"w": torch.tensor([0.0, 2.0], dtype=torch.float16), "ids": torch.tensor([0, 1])}
    b = {"w": torch.tensor([4.0, 6.0], dtype=torch.float16), "ids": torch.tensor([0, 1])}
    mixed = interpolate_state(a, b, 0.25)
    assert mixed["w"].dtype == torch.float16
    assert mixed["w"].tolist() == [1.0, 3.0]
    assert mixed["ids"].tolist() == [0, 1]


@pytest.mark.parametrize(
    ("b", "alpha", "match"),
    [
        ({"w": torch.zeros(2)}, 1.5, "alpha must be in"),
        ({"v": torch.zeros(2)}, 0.5, "do not have the same tensors"),
        ({"w": torch.zeros(3)}, 0.5, "has shape"),
    ],
)
def test_state_refuses_what_cannot_be_mixed(b: dict[str, torch.Tensor], alpha: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        interpolate_state({"w": torch.zeros(2)}, b, alpha)


def test_ends_reproduce_each_model(two_models: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = two_models
    for alpha, same in ((0.0, a), (1.0, b)):
        out = interpolate_model(a, b, alpha, tmp_path / f"m{alpha}")
        got = RiskClassifier.from_pretrained(out, precision="fp32").encoder_logits(PARAGRAPHS)
        want = RiskClassifier.from_pretrained(same, precision="fp32").encoder_logits(PARAGRAPHS)
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_middle_is_the_mean_and_recorded(two_models: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = two_models
    out = interpolate_model(a, b, 0.5, tmp_path / "mid")
    wa, wb, wm = (load_file(d / "model.safetensors") for d in (a, b, out))
    name = next(k for k in wm if wm[k].is_floating_point() and wm[k].dim() == 2)
    torch.testing.assert_close(wm[name].float(), ((wa[name].float() + wb[name].float()) / 2).to(wm[name].dtype).float())
    assert ModelMeta.load(out).metrics["interpolated"]["alpha"] == 0.5


def test_run_directory_is_ready_for_recalibrate(two_models: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = two_models
    tuned_run = tmp_path / "tuned"
    (tuned_run / "model-best").mkdir(parents=True)
    for f in b.iterdir():
        (tuned_run / "model-best" / f.name).write_bytes(f.read_bytes())
    (tuned_run / "training_config.json").write_text(json.dumps({"data": "d", "base_model": str(a), "out": "o"}))
    out = interpolate_run(a, tuned_run, 0.3, tmp_path / "run")
    assert (out / "model-best" / "model.safetensors").is_file()
    assert json.loads((out / "training_config.json").read_text())["data"] == "d"
    assert ModelMeta.load(out / "model-best").metrics["interpolated"]["alpha"] == 0.3
    with pytest.raises(FileNotFoundError, match=r"no training_config\.json"):
        interpolate_run(a, tmp_path / "run" / "model-best", 0.3, tmp_path / "run2")
