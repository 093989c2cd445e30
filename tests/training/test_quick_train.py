"""The quick path: ``max_steps`` and a time budget checked after every optimiser step."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from risklens.cli import main
from risklens.model import RiskClassifier
from risklens.training import TrainConfig, train
from risklens.training.config import ConfigError
from risklens.training.loop import StepLimit


def _config(tiny_base: Path, tiny_dataset: Path, out: Path, **options: object) -> TrainConfig:
    return TrainConfig(data=str(tiny_dataset), base_model=str(tiny_base), out=str(out), batch_size=4,
                       max_length=48, stride=8, silver_per_epoch=3, tfidf_max_features=500,
                       save_dtype="float32", num_threads=1, **options)  # type: ignore[arg-type]


def test_max_steps_stops_inside_the_first_epoch_and_still_saves_a_model(
    tmp_path: Path, tiny_base: Path, tiny_dataset: Path
) -> None:
    steps: list[tuple[int, int]] = []
    config = _config(tiny_base, tiny_dataset, tmp_path / "run", epochs=3, max_steps=2)
    result = train(config, progress=lambda step, total: steps.append((step, total)))
    assert steps == [(1, 2), (2, 2)]  # the schedule and the bar span the 2 planned steps, not 3 epochs
    assert (result.steps, result.stopped_by, result.epochs_run, result.best_epoch) == (2, "max_steps", 1, 1)
    assert len(result.dev_history) == 1  # the cut-short epoch was scored on dev
    assert RiskClassifier.from_pretrained(result.best_dir).meta.training_config["max_steps"] == 2
    assert "max_steps reached after step 2" in (result.out_dir / "train.log").read_text("utf-8")
    assert "### Filing level" in (result.best_dir / "README.md").read_text("utf-8")  # the card has the figure


def test_time_budget_is_checked_after_every_step_not_only_between_epochs(
    tmp_path: Path, tiny_base: Path, tiny_dataset: Path
) -> None:
    # a budget of ~1 ms is spent before the first step ends: the run takes exactly one step
    config = _config(tiny_base, tiny_dataset, tmp_path / "run", epochs=2, time_budget_minutes=1e-5)
    result = train(config)
    assert (result.steps, result.stopped_by, result.epochs_run) == (1, "time_budget", 1)
    assert result.best_dir.is_dir()


def test_step_limit_reasons() -> None:
    assert StepLimit(3, time.monotonic() + 60).reached(2) == ""
    assert StepLimit(3, time.monotonic() + 60).reached(3) == "max_steps"
    assert StepLimit(0, time.monotonic() - 1).reached(1) == "time_budget"
    assert StepLimit(0, time.monotonic() + 60).reached(10_000) == ""


def test_planned_steps_and_validation() -> None:
    config = TrainConfig(data="d", base_model="b", out="o", epochs=3)
    assert config.planned_steps(10) == 30
    config.max_steps = 7
    assert config.planned_steps(10) == 7
    config.max_steps = 100
    assert config.planned_steps(10) == 30
    with pytest.raises(ConfigError, match="'max_steps' option of TrainConfig must be an int >= 0"):
        TrainConfig(data="d", base_model="b", out="o", max_steps=-1)


def test_train_command_takes_max_steps(tmp_path: Path, tiny_base: Path, tiny_dataset: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--data", str(tiny_dataset), "--base-model", str(tiny_base), "--out", str(tmp_path / "r"),
                 "--epochs", "2", "--batch-size", "4", "--max-steps", "1", "--silver-per-epoch", "0",
                 "--no-progress", "--no-fusion"])
    assert code == 0
    assert "stopped by max_steps after 1 steps" in capsys.readouterr().err


def test_retrain_command_passes_max_steps_and_the_time_budget_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 tiny_base: Path) -> None:
    import risklens.training.retrain as retrain_module

    seen: dict[str, object] = {}

    def fake_retrain(config: retrain_module.RetrainConfig) -> object:
        seen.update(config.overrides, epochs=config.epochs)
        raise retrain_module.RetrainError("stop here")

    monkeypatch.setattr(retrain_module, "retrain", fake_retrain)
    code = main(["retrain", "--from-base", str(tiny_base), "--registry", str(tmp_path / "models"),
                 "--store", str(tmp_path / "s.sqlite"), "--epochs", "1", "--max-steps", "30", "--time-budget", "5"])
    assert code == 1
    assert seen == {"max_steps": 30, "time_budget_minutes": 5.0, "epochs": 1}
