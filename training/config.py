"""``TrainConfig``: every knob of a training run, validated up front and saved beside the model.

Defaults are the recipe that fits this project's budget (2 CPU cores, one hour): an
e5-small-sized encoder, 256-token windows, frozen word embeddings, plain BCE, gold
data weighted above silver, heading dropout so text-only input works, checkpoints and
thresholds chosen on gold dev data, and a fusion head over encoder, TF-IDF and headings.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

CONFIG_FILE = "training_config.json"
PATH_FIELDS = ("data", "base_model", "out")
REMOVED_OPTIONS: dict[str, Any] = {"layer_lr_decay": 1.0, "pos_weight": 1.0, "average_last": 0}
"""Options that were measured, rejected and removed (the shipped model card keeps their
numbers), with the value that meant "off". Older configs still carry them: see ``from_dict``."""

log = logging.getLogger("risklens.train")


class ConfigError(ValueError):
    """A training option out of range; the message names the option and what it expects."""


@dataclass
class TrainConfig:
    """Options of ``risklens train``; see the comment on each field."""

    data: str  # a datasets.DatasetDict saved with save_to_disk (train / dev / test)
    base_model: str  # a local Hugging Face BERT-family directory with its tokenizer
    out: str  # run directory: model-best/, model-last/, train.log, metrics
    # --- inputs
    max_length: int = 256  # tokens per encoder window
    stride: int = 64  # tokens shared by consecutive windows of one long paragraph
    max_heading_chars: int = 64  # innermost characters of the heading path kept
    window_pooling: str = "max"  # how window logits combine into a paragraph logit
    item_windows: bool = True  # read each item of a list of named risks as a window too (only with "max" pooling)
    heading_dropout: float = 0.4  # chance a training paragraph is shown without its heading
    # --- data mix
    silver_weight: float = 0.4  # loss weight of a silver row (gold = 1)
    synthetic_weight: float = 1.0  # loss weight of a synthetic (hand-written) row
    silver_per_epoch: int = 300  # silver rows sampled per epoch (0 = no silver, -1 = all)
    # --- optimisation
    epochs: int = 6  # passes over the gold training rows (early stopping may end sooner)
    batch_size: int = 16  # paragraphs per step
    learning_rate: float = 8e-5  # encoder layers
    head_learning_rate: float = 1e-3  # pooler + classification layer
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06  # share of steps with a linear warm-up
    max_grad_norm: float = 1.0
    freeze_word_embeddings: bool = True  # the embedding table is most parameters and data is small
    freeze_layers: int = 4  # lowest encoder layers kept frozen (with the embeddings): ~20% faster steps
    patience: int = 3  # epochs without dev macro-F1 gain before stopping
    time_budget_minutes: float = 45.0  # training time allowed; checked after every optimiser step
    max_steps: int = 0  # stop after this many optimiser steps (0 = no limit): the quick path to try the loop
    train_precision: str = "fp32"  # "bf16": forward and backward under bf16 autocast (weights and loss stay fp32)
    # --- calibration and fusion
    threshold_prior_weight: float = 4.0  # pseudo-count pulling tuned thresholds toward 0.5
    threshold_min: float = 0.2  # thresholds never go below this
    threshold_max: float = 0.8  # nor above this
    fusion: bool = True  # fit a stacked head over encoder, TF-IDF and heading rules
    tfidf_max_features: int = 80_000  # TF-IDF vocabulary size (fusion and baseline)
    stack_C: float = 1.0  # inverse L2 strength of the stacking regression
    # --- run
    seed: int = 13
    num_threads: int = 2  # torch intra-op threads
    save_dtype: Literal["float16", "float32"] = "float16"  # weights dtype on disk (upcast at load)
    eval_batch_size: int = 32
    name: str = "risklens-zh"  # model name stored in risklens.json
    version: str = ""  # model version; empty = creation time

    @property
    def uses_item_windows(self) -> bool:
        """Item windows take effect with max-pooling only (a list gets the union of its items' leaves)."""
        return self.item_windows and self.window_pooling == "max"

    def __post_init__(self) -> None:
        checks: list[tuple[str, bool, str]] = [
            ("max_length", 32 <= self.max_length <= 512, "an int in [32, 512]"),
            ("stride", 0 <= self.stride < self.max_length // 2, "an int in [0, max_length/2)"),
            ("max_heading_chars", self.max_heading_chars >= 0, "an int >= 0"),
            ("window_pooling", self.window_pooling in ("max", "mean"), "'max' or 'mean'"),
            ("heading_dropout", 0.0 <= self.heading_dropout <= 1.0, "a float in [0, 1]"),
            ("silver_weight", self.silver_weight >= 0, "a float >= 0"),
            ("synthetic_weight", self.synthetic_weight >= 0, "a float >= 0"),
            ("silver_per_epoch", self.silver_per_epoch >= -1, "an int >= -1 (-1 = all)"),
            ("epochs", self.epochs >= 1, "an int >= 1"),
            ("batch_size", self.batch_size >= 1, "an int >= 1"),
            ("learning_rate", 0 < self.learning_rate < 1, "a float in (0, 1)"),
            ("head_learning_rate", 0 < self.head_learning_rate < 1, "a float in (0, 1)"),
            ("weight_decay", self.weight_decay >= 0, "a float >= 0"),
            ("warmup_ratio", 0 <= self.warmup_ratio < 1, "a float in [0, 1)"),
            ("max_grad_norm", self.max_grad_norm > 0, "a float > 0"),
            ("freeze_layers", 0 <= self.freeze_layers <= 48, "an int in [0, 48]"),
            ("patience", self.patience >= 1, "an int >= 1"),
            ("time_budget_minutes", self.time_budget_minutes > 0, "a float > 0"),
            ("max_steps", self.max_steps >= 0, "an int >= 0 (0 = no limit)"),
            ("train_precision", self.train_precision in ("fp32", "bf16"), "'fp32' or 'bf16'"),
            ("threshold_prior_weight", self.threshold_prior_weight >= 0, "a float >= 0"),
            ("threshold_min", 0 < self.threshold_min <= 0.5, "a float in (0, 0.5]"),
            ("threshold_max", 0.5 <= self.threshold_max < 1, "a float in [0.5, 1)"),
            ("tfidf_max_features", self.tfidf_max_features >= 100, "an int >= 100"),
            ("stack_C", self.stack_C > 0, "a float > 0"),
            ("num_threads", self.num_threads >= 1, "an int >= 1"),
            ("save_dtype", self.save_dtype in ("float16", "float32"), "'float16' or 'float32'"),
            ("eval_batch_size", self.eval_batch_size >= 1, "an int >= 1"),
        ]
        for name, ok, expected in checks:
            if not ok:
                raise ConfigError(
                    f"The '{name}' option of TrainConfig must be {expected}. "
                    f"Got {getattr(self, name)!r} instead."
                )
        for name in ("data", "base_model", "out"):
            if not str(getattr(self, name)).strip():
                raise ConfigError(f"The '{name}' option of TrainConfig must be a path. Got an empty string.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def planned_steps(self, steps_per_epoch: int) -> int:
        """Optimiser steps the run is planned for: every epoch, or ``max_steps`` when it is smaller.

        The learning-rate schedule (warm-up and linear decay) spans this many steps, so a
        quick run with ``--max-steps`` still warms up and decays instead of stopping at the
        top of a schedule meant for six epochs.
        """
        total = steps_per_epoch * self.epochs
        return min(total, self.max_steps) if self.max_steps else total

    def portable_dict(self, provenance: dict[str, Any]) -> dict[str, Any]:
        """``to_dict`` for saving beside a model: no machine paths.

        ``data``, ``base_model`` and ``out`` become folder names (the base model its recorded
        id) and ``provenance`` (from ``training.provenance``) adds content hashes, so the
        file says which data and base model made the model without saying where they lay.
        """
        values = self.to_dict()
        for name in PATH_FIELDS:
            values[name] = Path(values[name]).name
        values["base_model"] = provenance.get("base_model", {}).get("id") or values["base_model"]
        values["provenance"] = provenance
        return values

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict; unknown keys are an error (a typo must not pass silently).

        Two kinds of keys are dropped: ``provenance`` (it describes the inputs, it sets
        nothing) and the ``REMOVED_OPTIONS`` older configs carry. A removed option at its
        "off" value meant what the code does now and is dropped silently; any other value is
        dropped with a warning, because this code cannot do what it asked for. Loading never
        fails on them, so old runs can still be recalibrated and old models retrained from.
        """
        values = {k: v for k, v in data.items() if k != "provenance"}
        for name, neutral in REMOVED_OPTIONS.items():
            if name in values and values.pop(name) != neutral:
                log.warning("TrainConfig option '%s'=%r ignored: it was measured, rejected and removed "
                            "(its results are in the model card's history)", name, data[name])
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown TrainConfig option(s) {unknown}; known: {sorted(known)}.")
        return cls(**values)

    def save(self, directory: Path, provenance: dict[str, Any] | None = None) -> Path:
        """Write ``training_config.json``: as run (paths) for a run folder, or, given the
        ``provenance`` of the inputs, the ``portable_dict`` that ships beside a model."""
        values = self.to_dict() if provenance is None else self.portable_dict(provenance)
        path = Path(directory) / CONFIG_FILE
        path.write_text(json.dumps(values, ensure_ascii=False, indent=2) + "\n", "utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> TrainConfig:
        return cls.from_dict(json.loads(Path(path).read_text("utf-8")))
