"""End to end on a tiny random base model: train, calibrate, save, evaluate, predict via the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from risklens.cli import main
from risklens.labels.taxonomy import LABELS
from risklens.model import RiskClassifier
from risklens.model.meta import ModelMeta
from risklens.training import TrainConfig, evaluate_examples, read_jsonl, to_markdown, train
from risklens.training.provenance import tree_sha256
from risklens.training.run import TrainResult


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path, tiny_dataset: Path) -> TrainResult:
    out = tmp_path_factory.mktemp("run") / "run"
    config = TrainConfig(data=str(tiny_dataset), base_model=str(tiny_base), out=str(out), epochs=2,
                         batch_size=4, max_length=48, stride=8, silver_per_epoch=3,
                         tfidf_max_features=500, save_dtype="float32", num_threads=1)
    steps: list[tuple[int, int]] = []
    result = train(config, progress=lambda step, total: steps.append((step, total)))
    assert steps and steps[-1][0] == steps[-1][1]
    return result


def test_training_writes_best_and_last_models_with_config_and_log(trained: TrainResult) -> None:
    for directory in (trained.best_dir, trained.last_dir):
        clf = RiskClassifier.from_pretrained(directory)
        assert (clf.fusion is not None) == ("fused_cross_fitted" in clf.meta.metrics["fusion_dev_check"]
                                            and clf.meta.fusion)
        assert set(clf.thresholds) == set(LABELS) and clf.temperature > 0
        host = clf.meta.metrics["calibration_host"]  # dev figures carry the host they were computed on
        assert host["precision"] in ("fp32", "bf16") and "amx_bf16" in host["cpu_flags"]
        assert (directory / "training_config.json").is_file()
        assert clf.meta.training_config["epochs"] == 2
    assert 1 <= trained.best_epoch <= trained.epochs_run <= 2
    assert len(trained.dev_history) == trained.epochs_run
    assert "new best" in (trained.out_dir / "train.log").read_text("utf-8")
    assert {"heading", "text"} == set(trained.test_metrics["modes"])
    assert (trained.out_dir / "test-report.md").is_file()
    assert "test" in RiskClassifier.from_pretrained(trained.best_dir).meta.metrics



def test_what_ships_with_the_model_names_no_machine_path(trained: TrainResult, tiny_base: Path,
                                                         tiny_dataset: Path) -> None:
    machine = (str(tiny_base.parent), str(tiny_dataset.parent), str(trained.out_dir.parent))
    for directory in (trained.best_dir, trained.last_dir):
        names = ["training_config.json", "risklens.json", "fusion.json"]
        for name in names + (["README.md"] if directory == trained.best_dir else []):  # the card is model-best's
            text = (directory / name).read_text("utf-8")
            assert not any(path in text for path in machine), (directory.name, name)
        saved = json.loads((directory / "training_config.json").read_text("utf-8"))
        assert saved["data"] == tiny_dataset.name and saved["out"] == trained.out_dir.name
        assert saved["provenance"]["data"] == {"name": tiny_dataset.name, "sha256": tree_sha256(tiny_dataset)}
        assert saved["provenance"]["base_model"]["sha256"] == tree_sha256(tiny_base)
        assert TrainConfig.load(directory / "training_config.json").epochs == 2
    run_config = TrainConfig.load(trained.out_dir / "training_config.json")
    assert run_config.data == str(tiny_dataset)  # the run folder keeps what calibrate_run needs


def test_a_fitted_fusion_head_carries_its_rule_table(trained: TrainResult) -> None:
    from risklens.model.fusion import FUSION_FILE, RuleSnapshot

    for directory in (trained.best_dir, trained.last_dir):  # this seeded run keeps fusion in both
        rules = json.loads((directory / FUSION_FILE).read_text("utf-8"))["rules"]
        assert rules["sha256"] == RuleSnapshot.current().sha256()


def test_evaluation_reports_every_system_in_both_modes(trained: TrainResult, tiny_jsonl: Path) -> None:
    report = evaluate_examples(RiskClassifier.from_pretrained(trained.best_dir), read_jsonl(tiny_jsonl))
    for mode in ("heading", "text"):
        assert {"risklens", "tfidf", "rules"} <= set(report["modes"][mode])
        assert "ece" in report["modes"][mode]["risklens"]
    # the heading rules reproduce these headings' labels, except the generic intro heading
    assert report["modes"]["heading"]["rules"]["micro_f1"] > 0.9
    for mode in ("heading", "text"):
        systems = report["modes"][mode]
        for name, m in systems.items():
            lo, hi = m["ci95"]["micro_f1"]
            assert lo <= m["micro_f1"] <= hi, (mode, name)
        assert set(systems["risklens"]["vs"]) == set(systems) - {"risklens"}
    markdown = to_markdown(report)
    assert "| heading + text | RiskLens (shipped pipeline) |" in markdown and "## Per leaf, text only" in markdown
    assert "## How sure" in markdown
    quiet = evaluate_examples(RiskClassifier.from_pretrained(trained.best_dir), read_jsonl(tiny_jsonl), resamples=0)
    assert "ci95" not in quiet["modes"]["heading"]["risklens"] and "## How sure" not in to_markdown(quiet)


def test_cli_evaluate_and_predict(trained: TrainResult, tiny_jsonl: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    stem = tmp_path / "report"
    assert main(["evaluate", "--model", str(trained.best_dir), "--data", str(tiny_jsonl),
                 "--out", str(stem), "--quiet"]) == 0
    assert json.loads(stem.with_suffix(".json").read_text("utf-8"))["n"] == 12
    out = tmp_path / "pred.jsonl"
    assert main(["predict", str(tiny_jsonl), "--model", str(trained.best_dir), "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["id"] for r in records] == [f"t{i}" for i in range(12)]
    assert all(len(r["scores"]) == 30 for r in records)


def test_compare_model_is_a_system_with_a_paired_bootstrap(trained: TrainResult, tiny_jsonl: Path,
                                                            tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stem = tmp_path / "cmp"
    assert main(["evaluate", "--model", str(trained.best_dir), "--data", str(tiny_jsonl), "--out", str(stem),
                 "--quiet", "--bootstrap", "200", "--compare-model", str(trained.best_dir),
                 "--compare-model", str(trained.last_dir)]) == 0
    report = json.loads(stem.with_suffix(".json").read_text("utf-8"))
    run = trained.best_dir.parent.name
    for mode in ("heading", "text"):
        systems = report["modes"][mode]
        same, last = systems[f"model:{run}/model-best"], systems[f"model:{run}/model-last"]
        assert same["micro_f1"] == systems["risklens"]["micro_f1"]  # the model against itself
        assert systems["risklens"]["vs"][f"model:{run}/model-best"]["micro_f1_diff"] == [0.0, 0.0]
        assert f"model:{run}/model-last" in systems["risklens"]["vs"] and "ci95" in last
    assert f"model:{run}/model-last" in stem.with_suffix(".md").read_text("utf-8")
    assert main(["evaluate", "--model", str(trained.best_dir), "--data", str(tiny_jsonl), "--out", str(stem),
                 "--compare-model", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "--compare-model" in err and "Traceback" not in err


def test_cli_errors_are_one_line(tmp_path: Path, tiny_dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--data", str(tiny_dataset), "--base-model", str(tmp_path), "--out",
                 str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "not a Hugging Face model directory" in err and "Traceback" not in err
    assert main(["train", "--data", "d", "--base-model", "b", "--out", "o", "--epochs", "0"]) == 2
    assert "'epochs'" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "missing.jsonl"), "--model", str(tmp_path)]) == 2
    assert "file not found" in capsys.readouterr().err


def test_a_finished_run_can_be_recalibrated(trained: TrainResult, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    meta = ModelMeta.load(trained.best_dir)
    meta.metrics["interpolated"] = {"start": "a", "tuned": "b", "alpha": 0.25}  # as training.interpolate records it
    meta.save(trained.best_dir)
    assert main(["recalibrate", str(trained.out_dir)]) == 0
    assert "refitted on dev" in capsys.readouterr().err
    report = json.loads((trained.out_dir / "test-report.json").read_text("utf-8"))
    assert set(report["modes"]["text"]) >= {"risklens", "tfidf", "rules"}
    assert main(["recalibrate", str(tmp_path)]) == 2  # not a run directory: says what it expected
    assert "training_config.json or model-best" in capsys.readouterr().err
    assert (trained.best_dir / "README.md").read_text("utf-8").startswith("# ")
    assert (trained.best_dir / "tfidf.json").is_file()  # the tuned baseline sits beside the model
    metrics = RiskClassifier.from_pretrained(trained.best_dir).meta.metrics
    assert "tfidf_baseline" in metrics
    assert metrics["interpolated"]["alpha"] == 0.25  # calibration keeps where the weights came from
