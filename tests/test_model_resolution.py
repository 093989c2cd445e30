"""One rule picks the model for every command and the server: a promoted model is used by all.

Three tiny random-weight models (different seeds, so different scores) play the shipped
model and two registry versions in a temporary ``$RISKLENS_HOME``. After ``models promote
v2``, ``predict``, ``evaluate``, ``score`` and the HTTP server must all load v2, say so,
and keep doing so when run from another folder that holds a ``models/`` registry of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from risklens.cli import main
from risklens.model import RiskClassifier
from risklens.model import registry as registry_module
from risklens.model.registry import Registry
from risklens.model.testing import make_tiny_classifier
from risklens.serving.app import create_app
from risklens.serving.state import ServerSettings
from tests.scoring.fakes import FILING_MD

PARAGRAPH = {"id": "p1", "text": "公司应收账款余额较大，若客户经营困难，将产生坏账风险。", "heading": "（一）应收账款风险"}


def tiny_model(directory: Path, seed: int) -> Path:
    """A tiny model whose meta version names its seed, so every output says which one ran."""
    make_tiny_classifier(directory, seed=seed)
    meta_path = directory / "risklens.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta_path.write_text(json.dumps({**meta, "version": f"seed-{seed}"}), "utf-8")
    return directory


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    return {name: tiny_model(root / name, seed) for seed, name in enumerate(("shipped", "a", "b"))}


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: dict[str, Path]) -> Iterator[Path]:
    """A RiskLens home whose registry holds v1 (seed 1) and v2 (seed 2), v2 promoted."""
    monkeypatch.setattr(registry_module, "SHIPPED_MODEL", models["shipped"])
    monkeypatch.delenv("RISKLENS_MODEL", raising=False)
    monkeypatch.delenv("RISKLENS_MODELS", raising=False)
    monkeypatch.setenv("RISKLENS_HOME", str(tmp_path / "home"))
    registry = Registry()
    for name, macro_f1 in (("a", 0.50), ("b", 0.52)):
        registry.register(models[name], metrics={"test": {"macro_f1": macro_f1}}, config={}, data_hash=name)
    assert main(["models", "promote", "v2"]) == 0
    yield tmp_path / "home"


def scores_of(model_dir: Path) -> dict[str, float]:
    prediction = RiskClassifier.from_pretrained(model_dir).predict([PARAGRAPH])[0]
    return {label: float(score) for label, score in prediction.scores.items()}


def run_predict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps(PARAGRAPH, ensure_ascii=False) + "\n", "utf-8")
    capsys.readouterr()
    assert main(["predict", str(source), "--out", str(out)]) == 0
    return json.loads(out.read_text("utf-8")), capsys.readouterr().err


def test_the_promoted_model_is_used_by_predict_evaluate_score_and_the_server(
    home: Path, tmp_path: Path, models: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    v2 = home / "models" / "v2"
    expected = scores_of(v2)
    assert expected != scores_of(models["shipped"]) and expected != scores_of(models["a"])  # the test can tell them apart
    line = f"model {v2} (registry v2)"

    prediction, err = run_predict(tmp_path, capsys)
    assert prediction["scores"] == pytest.approx(expected, abs=1e-6)
    assert f"risklens predict: {line}\n" in err

    labelled = tmp_path / "gold.jsonl"
    labelled.write_text(json.dumps({**PARAGRAPH, "labels": ["receivables_credit"]}, ensure_ascii=False) + "\n", "utf-8")
    assert main(["evaluate", "--data", str(labelled), "--out", str(tmp_path / "eval"), "--bootstrap", "0", "--quiet"]) == 0
    assert f"risklens evaluate: {line}\n" in capsys.readouterr().err
    assert json.loads((tmp_path / "eval.json").read_text("utf-8"))["model"]["version"] == "seed-2"

    filing = tmp_path / "filing.md"
    filing.write_text(FILING_MD, "utf-8")
    assert main(["score", str(filing), "--format", "json", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["model"]["version"] == "seed-2"
    assert f"risklens score: {line}\n" in captured.err

    with TestClient(create_app(ServerSettings(background_load=False))) as client:
        info = client.get("/v1/model").json()
        assert info["version"] == "seed-2"
        assert info["resolved"] == {"source": "registry", "version": "v2", "origin": "registry v2"}
        body = client.post("/v1/classify", json={"paragraphs": [PARAGRAPH]}).json()
    assert body["paragraphs"][0]["scores"] == pytest.approx(expected, abs=1e-6)


def test_another_current_folder_picks_the_same_model(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = run_predict(tmp_path, capsys)
    elsewhere = tmp_path / "elsewhere"
    stray = Registry(elsewhere / "models")  # what the old rule (./models) would have picked
    stray.register(home / "models" / "v1", metrics={}, config={}, data_hash="stray")
    stray.promote("v1", force=True)
    monkeypatch.chdir(elsewhere)
    again, err = run_predict(tmp_path, capsys)
    assert again == first
    assert f"risklens predict: model {home / 'models' / 'v2'} (registry v2)\n" in err
    assert main(["models", "list"]) == 0
    assert "./models holds a registry that is no longer used" in capsys.readouterr().err


def test_each_rule_is_named_in_the_line(
    home: Path, tmp_path: Path, models: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RISKLENS_MODEL", str(models["a"]))
    prediction, err = run_predict(tmp_path, capsys)
    assert prediction["scores"] == pytest.approx(scores_of(models["a"]), abs=1e-6)
    assert f"risklens predict: model {models['a']} ($RISKLENS_MODEL)\n" in err
    monkeypatch.delenv("RISKLENS_MODEL")
    (home / "models" / "DEFAULT.json").unlink()  # nothing promoted: the shipped model
    prediction, err = run_predict(tmp_path, capsys)
    assert prediction["scores"] == pytest.approx(scores_of(models["shipped"]), abs=1e-6)
    assert f"risklens predict: model {models['shipped']} (shipped)\n" in err
