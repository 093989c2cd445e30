from __future__ import annotations

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
     ("save_dtype", "int8", "'float16' or 'float32'"), ("data", " ", "must be a path"),
     ("layer_lr_decay", 0.0, "a float in \\(0, 1\\]")],
)
def test_invalid_options_name_the_option_and_the_expectation(option: str, value: object, expected: str) -> None:
    with pytest.raises(ConfigError, match=f"'{option}'.*{expected}"):
        make(**{option: value})


def test_unknown_options_are_an_error_not_ignored() -> None:
    with pytest.raises(ConfigError, match=r"unknown TrainConfig option.*'epoch'"):
        TrainConfig.from_dict({"data": "d", "base_model": "b", "out": "o", "epoch": 3})
