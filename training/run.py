"""``train(config)``: a whole training job, top to bottom.

1. load the DatasetDict and check the base model; save the config in the run folder;
2. build (``build``): seeds, the base encoder with a fresh 30-leaf head, frozen layers, the
   head's bias at the label priors, AdamW with a warm-up/linear schedule;
3. train (``loop``): epochs with dev scoring, ``model-best/`` and ``model-last/``;
4. finish (``finish``): TF-IDF baseline, temperature, thresholds and fusion on dev for both
   models, the test report and the model card.

``calibrate_run`` redoes step 4 on a finished run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from risklens.model.classifier import bf16_supported
from risklens.model.meta import META_FILE, ModelMeta
from risklens.training.build import (
    build_classifier,
    check_base,
    init_bias_from_prior,
    make_optimiser,
    seed_everything,
)
from risklens.training.config import TrainConfig
from risklens.training.data import load_dataset_dir
from risklens.training.finish import finish_run
from risklens.training.loop import Rows, StepCallback, run_epochs
from risklens.training.provenance import provenance

log = logging.getLogger("risklens.train")


@dataclass
class TrainResult:
    """Where the run wrote its models and how it went."""

    out_dir: Path
    best_dir: Path
    last_dir: Path
    best_epoch: int
    epochs_run: int
    seconds: float
    dev_history: list[dict[str, Any]] = field(default_factory=list)
    test_metrics: dict[str, Any] = field(default_factory=dict)
    steps: int = 0  # optimiser steps taken
    stopped_by: str = ""  # "max_steps", "time_budget" or "patience" when the run ended before its last epoch


def train(config: TrainConfig, progress: StepCallback | None = None) -> TrainResult:
    """Run a whole training job described by ``config``; see the module docstring.

    ``progress(step, total_steps)`` is called after every optimiser step (the command line
    passes its progress bar); the run also logs to ``out/train.log``.
    """
    started = time.monotonic()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    with log_to(out / "train.log"):
        splits = load_dataset_dir(config.data)
        check_base(Path(config.base_model))
        config.save(out)
        inputs = provenance(config.data, config.base_model)
        log.info("run %s: base %s, data %s", out, config.base_model, config.data)
        log.info("data: %s", splits.summary())

        seed_everything(config.seed)
        torch.set_num_threads(config.num_threads)
        classifier = build_classifier(config, config.portable_dict(inputs))
        if config.train_precision == "bf16" and not bf16_supported():
            log.warning("train_precision bf16: this CPU has no native bf16 (AVX512-BF16/AMX); steps will be slower, not faster")
        rows = Rows.from_splits(splits, config)
        if not (Path(config.base_model) / META_FILE).is_file():  # a warm start keeps its trained head
            init_bias_from_prior(classifier.model, rows.gold + rows.silver, config)
        total_steps = config.planned_steps(rows.steps_per_epoch(config.batch_size))
        optimizer, scheduler = make_optimiser(classifier.model, config, total_steps)

        epochs = run_epochs(classifier, rows, optimizer, scheduler, config, out, progress, started)

        test_metrics = finish_run(config, splits, out, epochs.history, epochs.best_epoch, inputs)
        seconds = time.monotonic() - started
        log.info("done in %.0f s; best epoch %d", seconds, epochs.best_epoch)
    return TrainResult(out, out / "model-best", out / "model-last", epochs.best_epoch, epochs.epochs_run, seconds,
                       epochs.history, test_metrics, epochs.steps, epochs.stopped_by)


def calibrate_run(run_dir: Path, data: str | None = None) -> dict[str, Any]:
    """Redo the post-training steps of a finished run: calibration, fusion, test report, card.

    For when calibration or evaluation code changed after the (expensive) fine-tuning: the
    weights in ``model-best``/``model-last`` are kept, everything fitted on dev is refitted.
    ``data`` replaces the dataset folder the run recorded (e.g. after moving it).
    """
    run = Path(run_dir)
    config = TrainConfig.load(run / "training_config.json")
    if data is not None:
        config.data = data
    splits = load_dataset_dir(config.data)
    meta = ModelMeta.load(run / "model-best")
    with log_to(run / "train.log"):
        log.info("recalibrating %s", run)
        return finish_run(config, splits, run, list(meta.metrics.get("dev_history") or []),
                          int(meta.metrics.get("best_epoch") or 0), provenance(config.data, config.base_model))


@contextmanager
def log_to(path: Path) -> Iterator[None]:
    """Append the ``risklens`` log (INFO and up) to ``path`` while the block runs."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("risklens")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
