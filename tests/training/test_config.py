from __future__ import annotations

import logging
from pathlib import Path

import pytest

from risklens.training.config import ConfigError, TrainConfig


def make(**overrides: object) -> TrainConfig:
    values: dict[str, object] = {"data": "d", "base_model": "b", "out": "o", **overrides}
    return TrainConfig(**values)  # type: ignore[arg-type]


def test_round_trips_through_dict_and_file(tmp_path: Path) -> None:
    config = make(epochs=3, heading_dropout=0.5)
    assert TrainConfig.from_dict(config.to_dict()) == config
    config.save(tmp_path)
    assert TrainConfig.load(tmp_path / "training_config.json") == config


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [("epochs", 0, "an int >= 1"), ("heading_dropout", 1.5, "a float in \\[0, 1\\]"),
     ("stride", 200, "max_length/2"), ("window_pooling", "sum", "'max' or 'mean'"),
     ("save_dtype", "int8", "'float16' or 'float32'"), ("data", " ", "must be a path")],
)
def test_invalid_options_name_the_option_and_the_expectation(option: str, value: object, expected: str) -> None:
    with pytest.raises(ConfigError, match=f"'{option}'.*{expected}"):
        make(**{option: value})


def test_unknown_options_are_an_error_not_ignored() -> None:
    with pytest.raises(ConfigError, match=r"unknown TrainConfig option.*'epoch'"):
        TrainConfig.from_dict({"data": "d", "base_model": "b", "out": "o", "epoch": 3})


def test_removed_options_in_older_configs_load_and_a_real_setting_warns(caplog: pytest.LogCaptureFixture) -> None:
    base = {"data": "d", "base_model": "b", "out": "o", "epochs": 3}
    with caplog.at_level(logging.WARNING, logger="risklens.train"):
        neutral = TrainConfig.from_dict({**base, "layer_lr_decay": 1.0, "pos_weight": 1.0, "average_last": 0})
    assert neutral == make(epochs=3) and not caplog.records  # "off" meant what the code does now
    with caplog.at_level(logging.WARNING, logger="risklens.train"):
        assert TrainConfig.from_dict({**base, "average_last": 3, "layer_lr_decay": 0.85}) == make(epochs=3)
    assert [r.getMessage().split("=")[0] for r in caplog.records] == [
        "TrainConfig option 'layer_lr_decay'", "TrainConfig option 'average_last'"]
    assert "model card" in caplog.records[0].getMessage()
    with pytest.raises(TypeError):
        TrainConfig(data="d", base_model="b", out="o", average_last=3)  # type: ignore[call-arg]


def test_the_config_saved_beside_a_model_has_no_machine_paths(tmp_path: Path) -> None:
    config = make(data="/work/data_v10/dataset", base_model="/work/base/e5-small-zh", out="/work/runs/e5zh-v16")
    provenance = {"data": {"name": "dataset", "sha256": "ab" * 32},
                  "base_model": {"id": "multilingual-e5-small [e5-small-zh]", "sha256": "cd" * 32}}
    path = config.save(tmp_path, provenance)
    text = path.read_text("utf-8")
    assert "/work" not in text
    saved = TrainConfig.load(path)  # still a loadable config (provenance is dropped)
    assert (saved.data, saved.base_model, saved.out) == ("dataset", "multilingual-e5-small [e5-small-zh]", "e5zh-v16")
    assert saved.to_dict() | {k: getattr(config, k) for k in ("data", "base_model", "out")} == config.to_dict()
    assert '"sha256": "' + "ab" * 32 in text
