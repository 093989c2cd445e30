"""``risklens retrain``: gold files + label store → fine-tune → evaluate → new registry version."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "fine-tune on the gold data plus the label store and register a new model version"

DESCRIPTION = """\
Build the training set from the gold annotation files (fixed train/dev/test split) plus
the label store's annotations (train only), fine-tune — by default warm-started from the
current default model, or from a base encoder with --from-base — evaluate on the fixed
test split and register the result in the model registry. The new version is not the
default until you run `risklens models promote VERSION`.
"""

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "labels" / "data"


def _option(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (a TrainConfig option), got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, default=None,
                        help="label store (default: $RISKLENS_STORE, else labels.sqlite in $RISKLENS_HOME or the user data dir)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="gold annotation folder (default labels/data)")
    parser.add_argument("--corpus", type=Path, default=Path("../shared"), help="corpus root (default ../shared)")
    parser.add_argument("--dataset", type=Path, default=None, metavar="DIR",
                        help="use a DatasetDict from `risklens labels build` instead of resolving --data")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--warm-start", nargs="?", type=Path, const=None, default=None, metavar="MODEL",
                       help="start from MODEL, or from the current default model when no MODEL is given (default)")
    start.add_argument("--from-base", type=Path, default=None, metavar="DIR",
                       help="start from a base encoder (a fresh classification head)")
    parser.add_argument("--registry", type=Path, default=None,
                        help="model registry (default: $RISKLENS_MODELS, else models/ in $RISKLENS_HOME or the user data dir)")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs (default 3)")
    parser.add_argument("--batch-size", type=int, default=None, help="paragraphs per step")
    parser.add_argument("--lr", type=float, default=None, help="encoder learning rate")
    parser.add_argument("--time-budget", type=float, default=None,
                        help="minutes of training before stopping, checked after every optimiser step")
    parser.add_argument("--max-steps", type=int, default=None, metavar="N",
                        help="stop after N optimiser steps (the quick path: e.g. --max-steps 30 --epochs 1)")
    parser.add_argument("--no-fusion", action="store_true", help="skip the TF-IDF/rules fusion head")
    parser.add_argument("--no-silver", action="store_true", help="leave silver rows out of train")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--set", type=_option, action="append", default=[], metavar="KEY=VALUE",
                        help="any other TrainConfig option, e.g. --set heading_dropout=0.3 (repeatable)")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="keep the dataset and training run here (default: a temporary folder)")


def run(args: argparse.Namespace) -> int:
    from risklens.commands.progress import ProgressBar
    from risklens.labels.store import StoreError, default_store_path
    from risklens.model.registry import RegistryError, default_registry_root, resolve_model
    from risklens.training.config import ConfigError
    from risklens.training.data import DataError
    from risklens.training.retrain import RetrainConfig, RetrainError, retrain

    overrides: dict[str, Any] = dict(args.set)
    for option, key in (("batch_size", "batch_size"), ("lr", "learning_rate"), ("time_budget", "time_budget_minutes"),
                        ("max_steps", "max_steps"), ("seed", "seed")):
        if getattr(args, option) is not None:
            overrides[key] = getattr(args, option)
    if args.no_fusion:
        overrides["fusion"] = False
    registry = args.registry or default_registry_root()
    warm_start = args.warm_start
    if args.from_base is None:
        try:
            start = resolve_model(args.warm_start, registry_root=registry)
            print(f"risklens retrain: warm start from {start.describe()}", file=sys.stderr)
            warm_start = start.path
        except FileNotFoundError:
            pass  # retrain() reports it, with the --from-base alternative
    try:
        config = RetrainConfig(
            store=args.store or default_store_path(),
            data=args.data,
            corpus=args.corpus,
            registry=registry,
            from_base=args.from_base,
            warm_start_from=warm_start,
            epochs=args.epochs,
            include_silver=not args.no_silver,
            work_dir=args.work_dir,
            dataset=args.dataset,
            overrides=overrides,
        )
        with ProgressBar("train", "step") as bar:
            config.progress = bar
            result = retrain(config)
    except (RetrainError, ConfigError, DataError, StoreError, RegistryError) as exc:
        print(f"risklens retrain: {exc}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0
