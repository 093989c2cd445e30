"""``risklens train``: fine-tune the classifier (see ``risklens.training.run`` for the recipe)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "fine-tune the classifier on the labelled dataset; writes model-best/ and model-last/"
DESCRIPTION = """Fine-tune a BERT-family encoder for the 30 risk leaves.

  risklens train --data DATASET_DIR --base-model BASE_DIR --out runs/NAME

DATASET_DIR is a datasets.DatasetDict (train / dev / test) saved with save_to_disk;
BASE_DIR any local Hugging Face BERT-family directory with its tokenizer (e.g. the one
`risklens base-model` writes, bert-base-chinese, chinese-roberta-wwm-ext). The run
directory gets model-best/ (best gold-dev macro-F1), model-last/, training_config.json,
train.log and, when the dataset has a test split, test-report.{json,md}.
Options not given on the command line come from --config (JSON) or the defaults.

Quick path: --max-steps N stops after N optimiser steps and --time-budget MIN after MIN
minutes, both checked after every step; the cut-short epoch is still scored on dev and
saved, so `--max-steps 30 --time-budget 5` gives a usable (weak) model in minutes.
"""

# CLI flag -> TrainConfig field, for the options worth changing from the command line.
OPTIONS: dict[str, tuple[str, type]] = {
    "--epochs": ("epochs", int),
    "--batch-size": ("batch_size", int),
    "--learning-rate": ("learning_rate", float),
    "--head-learning-rate": ("head_learning_rate", float),
    "--max-length": ("max_length", int),
    "--stride": ("stride", int),
    "--heading-dropout": ("heading_dropout", float),
    "--freeze-layers": ("freeze_layers", int),
    "--silver-weight": ("silver_weight", float),
    "--silver-per-epoch": ("silver_per_epoch", int),
    "--patience": ("patience", int),
    "--time-budget": ("time_budget_minutes", float),
    "--max-steps": ("max_steps", int),
    "--train-precision": ("train_precision", str),
    "--seed": ("seed", int),
    "--threads": ("num_threads", int),
    "--name": ("name", str),
    "--version": ("version", str),
}

FLAG_HELP = {
    "--time-budget": "minutes of training; checked after every optimiser step (TrainConfig.time_budget_minutes)",
    "--max-steps": "stop after N optimiser steps, 0 = no limit (TrainConfig.max_steps)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="DatasetDict directory (save_to_disk)")
    parser.add_argument("--base-model", required=True, help="local Hugging Face encoder directory")
    parser.add_argument("--out", required=True, help="run directory to create")
    parser.add_argument("--config", type=Path, default=None, help="JSON file with TrainConfig options")
    for flag, (field, kind) in OPTIONS.items():
        parser.add_argument(flag, dest=field, type=kind, default=None, help=FLAG_HELP.get(flag, f"TrainConfig.{field}"))
    parser.add_argument("--no-fusion", action="store_true", help="ship the encoder alone (no stacked head)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (the log still grows)")


def config_from_args(args: argparse.Namespace) -> Any:
    """Merge --config, the explicit flags and the defaults into a validated TrainConfig."""
    from risklens.training.config import TrainConfig

    values: dict[str, Any] = {}
    if args.config is not None:
        values.update(json.loads(args.config.read_text("utf-8")))
    values.update({"data": args.data, "base_model": args.base_model, "out": args.out})
    for field, _ in OPTIONS.values():
        value = getattr(args, field, None)
        if value is not None:
            values[field] = value
    if args.no_fusion:
        values["fusion"] = False
    return TrainConfig.from_dict(values)


def run(args: argparse.Namespace) -> int:
    from risklens.commands.progress import ProgressBar
    from risklens.training.config import ConfigError
    from risklens.training.data import DataError
    from risklens.training.run import train

    try:
        config = config_from_args(args)
    except (ConfigError, OSError, json.JSONDecodeError) as exc:
        print(f"risklens train: {exc}", file=sys.stderr)
        return 2
    try:
        with ProgressBar("train", "step") as bar:
            result = train(config, progress=None if args.no_progress else bar)
    except (ConfigError, DataError, FileNotFoundError) as exc:
        print(f"risklens train: {exc}", file=sys.stderr)
        return 2
    stopped = f" (stopped by {result.stopped_by} after {result.steps} steps)" if result.stopped_by else ""
    print(f"risklens train: best epoch {result.best_epoch} of {result.epochs_run} in {result.seconds / 60:.1f} min"
          f"{stopped} -> {result.best_dir}", file=sys.stderr)
    print_test_metrics(result.test_metrics)
    return 0


def print_test_metrics(report: dict[str, Any] | None) -> None:
    """One stderr line per input mode and system of a run's test report (nothing without one)."""
    for mode, systems in ((report or {}).get("modes") or {}).items():
        for name, m in systems.items():
            print(f"  test {mode:8s} {name:9s} micro-F1 {m['micro_f1']:.3f}  macro-F1 {m['macro_f1']:.3f}",
                  file=sys.stderr)
