"""``risklens recalibrate``: redo what a finished run fitted on dev, without fine-tuning again."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "refit a finished run's TF-IDF baseline, temperature, thresholds and fusion on dev; rewrite its test report and card"
DESCRIPTION = """Redo the post-training steps of a finished training run.

  risklens recalibrate runs/NAME [--data DATASET_DIR]

Fine-tuning takes an hour of both cores; what follows it takes minutes: the TF-IDF
baseline (fitted on the run's train split), the temperature, the thresholds (one per leaf
or one for all) and the choice between the fused pipeline and the encoder alone, all on
gold dev (cross-fitted with folds that hold out whole filings). Use it when that code
changed after a run, or when dev labels changed. The weights of model-best/ and model-last/ are kept; their risklens.json,
fusion and TF-IDF files, the run's test-report.{json,md} and model-best's card are rewritten.
RUN is the directory `risklens train --out` made (training_config.json, model-best/).
--data replaces the dataset directory the run recorded, e.g. after moving it.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", type=Path, metavar="RUN", help="run directory of `risklens train`")
    parser.add_argument("--data", default=None, metavar="DATASET_DIR",
                        help="DatasetDict directory to use instead of the one the run recorded")


def run(args: argparse.Namespace) -> int:
    from risklens.commands.train import print_test_metrics
    from risklens.training.config import ConfigError
    from risklens.training.data import DataError
    from risklens.training.run import calibrate_run

    missing = [name for name in ("training_config.json", "model-best") if not (args.run / name).exists()]
    if missing:
        print(f"risklens recalibrate: {args.run} has no {' or '.join(missing)}; expected the directory "
              "`risklens train --out` wrote.", file=sys.stderr)
        return 2
    try:
        report = calibrate_run(args.run, args.data)
    except (ConfigError, DataError, FileNotFoundError) as exc:
        print(f"risklens recalibrate: {exc}", file=sys.stderr)
        return 2
    print(f"risklens recalibrate: {args.run / 'model-best'} refitted on dev", file=sys.stderr)
    print_test_metrics(report)
    return 0
