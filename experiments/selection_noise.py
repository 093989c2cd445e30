"""How much of a difference in held-out calibration can dev resolve? An offline check.

    python experiments/selection_noise.py --data runs/data/dataset --cache runs/logits \
        model/default runs/wise/alpha-0.25/model-best runs/student15/model-best

The held-out calibration score (``fusion_dev_check.encoder_thresholds_global_cv``) is one
number: one threshold for every leaf, tuned on four fifths of the dev filings and applied to
the fifth, pooled over five folds dealt by the run's ``seed``. Two things move it that have
nothing to do with the model: which seed deals the folds (a run records its own training seed,
so two runs are often scored on different folds) and which filings dev happens to hold. For each
model this script recomputes the score exactly as calibration does (``training.calibrate
.calibrate`` on the saved model's dev logits, encoder alone) for ``--seeds`` fold seeds, and for
``--boot`` resamples of the dev filings (drawn with replacement, the same draws for every
model, fold seed 13); it prints each model's spread and every model's paired difference from
the first one. Dev logits are cached per model in ``--cache``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from risklens.model.classifier import RiskClassifier
from risklens.training.calibrate import calibrate
from risklens.training.data import Example, load_dataset_dir, targets_of
from risklens.training.filing_level import filing_groups


def dev_logits(model_dir: Path, dev: list[Example], cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """The saved model's encoder logits on dev, with headings and without (cached)."""
    path = cache / (str(model_dir).strip("/").replace("/", "_") + ".npz")
    if path.exists():
        saved = np.load(path)
        return saved["heading"], saved["text"]
    classifier = RiskClassifier.from_pretrained(model_dir)
    paragraphs = [e.paragraph() for e in dev]
    heading = classifier.encoder_logits(paragraphs, batch_size=32, use_headings=True)
    text = classifier.encoder_logits(paragraphs, batch_size=32, use_headings=False)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, heading=heading, text=text)
    return heading, text


def held_out_score(logits: tuple[np.ndarray, np.ndarray], dev: list[Example], rows: np.ndarray,
                   groups: list[str], seed: int) -> float:
    """``encoder_thresholds_global_cv`` of calibration, on the dev rows ``rows``."""
    heading, text = logits
    result = calibrate(heading[rows], text[rows], [dev[i].paragraph() for i in rows], targets_of([dev[i] for i in rows]),
                       fusion=None, seed=seed, groups=groups)
    return float(result.dev_scores["encoder_thresholds_global_cv"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", type=Path, nargs="+", help="saved model directories; the first is the reference")
    parser.add_argument("--data", type=Path, required=True, help="DatasetDict from `risklens labels build`")
    parser.add_argument("--cache", type=Path, required=True, help="folder for the dev logits")
    parser.add_argument("--seeds", type=int, default=20, help="fold seeds 0 … N-1")
    parser.add_argument("--boot", type=int, default=200, help="resamples of the dev filings")
    parser.add_argument("--out", type=Path, help="write the scores here as JSON")
    args = parser.parse_args()

    dev = list(load_dataset_dir(args.data).dev)
    groups = filing_groups(dev)
    logits = {m: dev_logits(m, dev, args.cache) for m in args.models}
    every = np.arange(len(dev))
    by_seed = {m: [held_out_score(z, dev, every, groups, s) for s in range(args.seeds)] for m, z in logits.items()}

    names = sorted(set(groups))
    members = {name: np.flatnonzero(np.array(groups) == name) for name in names}
    rng = np.random.default_rng(2026)
    by_boot: dict[Path, list[float]] = {m: [] for m in args.models}
    for _ in range(args.boot):
        drawn = rng.choice(len(names), size=len(names), replace=True)
        rows = np.concatenate([members[names[i]] for i in drawn])
        # a filing drawn twice is two filings: its copies may land in different folds
        boot_groups = [f"{names[i]}#{k}" for k, i in enumerate(drawn) for _ in members[names[i]]]
        for m, z in logits.items():
            by_boot[m].append(held_out_score(z, dev, rows, boot_groups, 13))

    ref = args.models[0]
    report = {}
    for m in args.models:
        seeds, boot = np.array(by_seed[m]), np.array(by_boot[m])
        diff_seed, diff_boot = seeds - np.array(by_seed[ref]), boot - np.array(by_boot[ref])
        report[str(m)] = {"seed13": seeds[13] if len(seeds) > 13 else None, "seeds_mean": seeds.mean(),
                          "seeds_min": seeds.min(), "seeds_max": seeds.max(),
                          "diff_seeds_mean": diff_seed.mean(), "diff_seeds_min": diff_seed.min(),
                          "diff_seeds_max": diff_seed.max(),
                          "diff_boot_ci": [float(np.percentile(diff_boot, 2.5)), float(np.percentile(diff_boot, 97.5))],
                          "share_boot_ahead": float((diff_boot > 0).mean())}
        r = report[str(m)]
        print(f"{m}: seed 13 {r['seed13']:.4f}; seeds {r['seeds_min']:.4f}–{r['seeds_max']:.4f} (mean {r['seeds_mean']:.4f}); "
              f"− ref per seed {r['diff_seeds_min']:+.4f}…{r['diff_seeds_max']:+.4f} (mean {r['diff_seeds_mean']:+.4f}); "
              f"filings resampled 95% [{r['diff_boot_ci'][0]:+.4f}, {r['diff_boot_ci'][1]:+.4f}], ahead in "
              f"{r['share_boot_ahead']:.0%}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
