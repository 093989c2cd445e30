"""Weight interpolation between a model and its continuation: one run directory per alpha, dev-scored.

    python experiments/interpolate_grid.py --start model/default --tuned runs/student15 \
        --alphas 0.25 0.5 0.75 --out runs/wise
    risklens recalibrate runs/wise/alpha-0.5          # then, per alpha

For every alpha, ``training.interpolate.interpolate_run`` writes ``OUT/alpha-A`` (weights
``(1 - A) * start + A * tuned``, the tuned run's training config), and the dev selection score
training uses to pick a checkpoint (``training.loop.dev_scores``: macro-F1 with and without
headings at dev-tuned thresholds) is computed for it, for the start model and for the tuned
run's ``model-best``, all through the same load path. Results go to ``OUT/grid.json``; the
alpha is chosen on them (dev only), then calibrated with ``risklens recalibrate``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from risklens.model.classifier import RiskClassifier
from risklens.training.config import TrainConfig
from risklens.training.data import load_dataset_dir
from risklens.training.interpolate import interpolate_run
from risklens.training.loop import dev_scores


def score(model_dir: Path, config: TrainConfig, dev: list[Any]) -> dict[str, Any]:
    """The dev selection score of one saved model, without the per-mode detail."""
    result = dev_scores(RiskClassifier.from_pretrained(model_dir), dev, config)
    return {k: v for k, v in result.items() if k != "per_mode"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--start", type=Path, required=True, help="the model the tuned run warm-started from")
    parser.add_argument("--tuned", type=Path, required=True, help="run directory of the continuation")
    parser.add_argument("--alphas", type=float, nargs="+", required=True, help="weights of the tuned model")
    parser.add_argument("--out", type=Path, required=True, help="folder for the alpha-A run directories")
    args = parser.parse_args()

    config = TrainConfig.load(args.tuned / "training_config.json")
    splits = load_dataset_dir(config.data)
    dev = [e for e in splits.dev if e.kind == "gold"] or list(splits.dev)
    grid: dict[str, Any] = {"start": str(args.start), "tuned": str(args.tuned), "data": config.data,
                            "start_score": score(args.start, config, dev),
                            "tuned_score": score(args.tuned / "model-best", config, dev), "alphas": {}}
    print(f"start {grid['start_score']['score']:.4f}  tuned {grid['tuned_score']['score']:.4f}", flush=True)
    for alpha in args.alphas:
        run = interpolate_run(args.start, args.tuned, alpha, args.out / f"alpha-{alpha:g}")
        grid["alphas"][f"{alpha:g}"] = {"run": str(run), **score(run / "model-best", config, dev)}
        print(f"alpha {alpha:g}  {grid['alphas'][f'{alpha:g}']['score']:.4f}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "grid.json").write_text(json.dumps(grid, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
