"""How far would averaging several fine-tuned runs go? An offline check, not a shipped mode.

    python experiments/ensemble_ceiling.py --data runs/data/dataset --cache runs/logits \
        runs/e5zh-v12/model-best runs/e5zh-v13/model-best runs/e5zh-v10/model-best

For every combination of the given models (singles, pairs, …, all), the encoder logits are
averaged, then calibrated on dev exactly as training does (temperature, thresholds and the
fused TF-IDF stack, `training.calibrate.calibrate`), and scored on the gold test paragraphs
with and without headings. If the best ensemble is barely above the best single run, the
runs make the same mistakes and more seeds will not close a gap; that is what it measured
on 2026-11-30 (five runs: best pair 0.881 micro with headings, all five 0.872 / 0.817).

Logits are cached per model in --cache (`NAME.npz`), so a second call costs seconds.
A shipped ensemble would also cost its members' inference time, which the speed target
does not allow; this script only measures the ceiling.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from risklens.labels.taxonomy import LABELS
from risklens.model.calibration import sigmoid
from risklens.model.classifier import RiskClassifier
from risklens.model.fusion import FusionHead
from risklens.training.baselines import fit_tfidf_baseline
from risklens.training.calibrate import calibrate
from risklens.training.data import Example, load_dataset_dir, targets_of
from risklens.training.metrics import multilabel_metrics

KEYS = ("dev_head", "dev_text", "test_head", "test_text")


def cached_logits(
    model_dir: Path, dev: list[Example], test: list[Example], cache: Path
) -> dict[str, np.ndarray]:
    """Encoder logits of one model on dev and test, both modes; read from or written to ``cache``.

    A run's ``model-best``/``model-last`` is cached under the run's name.
    """
    run = model_dir.name in ("model-best", "model-last")
    name = model_dir.parent.name if run else model_dir.name
    path = cache / f"{name}.npz"
    if path.exists():
        with np.load(path) as saved:
            return {key: saved[key] for key in KEYS}
    clf = RiskClassifier.from_pretrained(model_dir)
    out = {}
    for split, examples in (("dev", dev), ("test", test)):
        paragraphs = [e.paragraph() for e in examples]
        out[f"{split}_head"] = clf.encoder_logits(paragraphs, use_headings=True)
        out[f"{split}_text"] = clf.encoder_logits(paragraphs, use_headings=False)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        dev_head=out["dev_head"],
        dev_text=out["dev_text"],
        test_head=out["test_head"],
        test_text=out["test_text"],
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", type=Path, help="model directories (at least two)")
    parser.add_argument("--data", type=Path, required=True, help="DatasetDict with train/dev/test")
    parser.add_argument("--cache", type=Path, required=True, help="directory for cached logits")
    args = parser.parse_args()
    if len(args.models) < 2:
        parser.error("give at least two model directories to compare ensembles with single runs")
    splits = load_dataset_dir(args.data)
    dev = list(splits.dev)
    test = [e for e in splits.test if e.kind == "gold"]
    if not test:
        raise SystemExit(f"{args.data}: no gold test paragraphs to score.")
    tfidf, _ = fit_tfidf_baseline(splits.train, dev)
    logits = {m: cached_logits(m, dev, test, args.cache) for m in args.models}
    dev_paragraphs = [e.paragraph() for e in dev]
    test_paragraphs = [e.paragraph() for e in test]
    dev_targets, test_targets = targets_of(dev), targets_of(test)
    for size in range(1, len(args.models) + 1):
        for combo in itertools.combinations(args.models, size):
            mean = {key: np.mean([logits[m][key] for m in combo], axis=0) for key in KEYS}
            fusion = FusionHead(tfidf)
            cal = calibrate(
                mean["dev_head"], mean["dev_text"], dev_paragraphs, dev_targets, fusion=fusion
            )
            row: dict[str, object] = {"models": [str(m) for m in combo]}
            row["fused"] = cal.fusion is not None
            cut = np.array([cal.thresholds[label] for label in LABELS])  # the encoder's when unfused
            for mode, key in (("heading", "test_head"), ("text", "test_text")):
                scaled = mean[key] / cal.temperature
                if cal.fusion is not None:
                    probs = cal.fusion.predict_proba(scaled, test_paragraphs, mode == "heading")
                else:
                    probs = sigmoid(scaled)
                predicted = probs >= cut
                m = multilabel_metrics(test_targets, predicted)
                row[mode] = {"micro": round(m["micro_f1"], 3), "macro": round(m["macro_f1"], 3)}
            print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
