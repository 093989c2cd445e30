"""Would a "does this paragraph argue any risk?" gate on the frozen encoder fix non-risk text? An offline check.

    python experiments/nonrisk_gate.py --model model/default --data runs/data/dataset \
        --corpus ../shared --cache runs/gate --unseen ann-r5 hn-s9

Issue #22 suggests a negation / non-risk signal. The cheapest one leaves the encoder alone: a
logistic regression on the pooled vector the classifier reads (the input of its last linear
layer, max-pooled over a paragraph's windows) that predicts whether the paragraph has any leaf.
Its probability ``g`` caps every leaf: ``p' = min(p, g)`` (a leaf cannot be likelier than "some
leaf"), then the model's own threshold decides as before; a bias ``b`` added to the gate's logit
sets how hard it cuts.

The gate must learn from paragraphs the encoder never trained on, or it learns the encoder's
in-sample confidence: the train rows of the label rounds the model did not see (``--unseen``,
annotator prefixes in ``labels/data/gold.jsonl``) and, cross-fitted, dev's other filings (folds
hold out whole filings, as calibration's do). For each input mode the script prints, per bias,
dev micro-F1 and the no-leaf share of dev's ``[]`` paragraphs (gate fitted on the other folds),
the no-leaf share of the near-miss set's negated and non-risk paragraphs and of the mined check
(gate fitted on all of dev), and the held-out dev score with the bias chosen inside the folds.
The last row is the lexical alternative, no gate: no leaf wherever ``model.cues``' non-risk cue
fires (a negation, result or forecast and no argued risk).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from risklens.labels.nearmiss import EMPTY_GROUPS, load_near_miss
from risklens.model.classifier import RiskClassifier
from risklens.model.cues import CUE_PATTERNS, fires_on
from risklens.model.inputs import Paragraph
from risklens.model.pooling import pool_numpy
from risklens.training.calibrate import fold_ids
from risklens.training.data import Example, load_dataset_dir, targets_of
from risklens.training.filing_level import filing_groups
from risklens.training.near_miss import near_miss_examples

MODES = ("heading", "text")
NONRISK = (CUE_PATTERNS["nonrisk_cue"]["says"], CUE_PATTERNS["nonrisk_cue"]["unless"])
BIASES = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)


def pooled_and_logits(classifier: RiskClassifier, paragraphs: Sequence[Paragraph], use_headings: bool) -> np.ndarray:
    """(n, hidden + 30): the classifier layer's input and output, max-pooled per paragraph.

    The windows and batches are the model's own (``RiskClassifier.windows``, ``window_logits``);
    only the forward differs: a hook on the last layer also returns what it reads."""
    captured: list[torch.Tensor] = []
    layer = classifier.model.classifier
    hook = layer.register_forward_hook(lambda _m, inputs, output: captured.append(torch.cat([inputs[0], output], -1)))

    def forward(batch: dict[str, torch.Tensor]) -> np.ndarray:
        captured.clear()
        classifier.model(**batch)
        return np.asarray(captured[0].float().numpy())

    try:
        windows = classifier.windows(list(paragraphs), use_headings=use_headings)
        with torch.inference_mode():
            classifier.model.eval()
            rows = classifier.window_logits(windows, forward)
        owners = np.array([w.paragraph for w in windows], dtype=np.int64)
        return pool_numpy(rows, owners, len(paragraphs), "max")
    finally:
        hook.remove()


def cached(classifier: RiskClassifier, name: str, examples: Sequence[Example], cache: Path) -> dict[str, np.ndarray]:
    """Features of ``examples`` in both input modes, computed once per set."""
    path = cache / f"{name}.npz"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        feats = {m: pooled_and_logits(classifier, [e.paragraph(m == "heading") for e in examples], m == "heading")
                 for m in MODES}
        np.savez(path, heading=feats["heading"], text=feats["text"])
        print(f"features: {name} ({len(examples)} paragraphs)", flush=True)
    saved = np.load(path)
    return {m: saved[m] for m in MODES}


def gated(probs: np.ndarray, gate: np.ndarray, bias: float) -> np.ndarray:
    """Every leaf capped by the gate's "any leaf" probability, shifted by ``bias`` on the logit."""
    g = np.clip(gate, 1e-9, 1 - 1e-9)
    shifted = 1 / (1 + np.exp(-(np.log(g / (1 - g)) + bias)))
    return np.minimum(probs, shifted[:, None])


def score(probs: np.ndarray, targets: np.ndarray, threshold: float) -> float:
    """Mean of micro- and macro-F1 (leaves with a gold positive), as calibration scores dev."""
    hot = probs >= threshold
    present = targets.sum(0) > 0
    micro = f1_score(targets, hot, average="micro", zero_division=0)
    macro = f1_score(targets[:, present], hot[:, present], average="macro", zero_division=0)
    return float((micro + macro) / 2)


def no_leaf(probs: np.ndarray, threshold: float) -> float:
    return float(((probs >= threshold).sum(1) == 0).mean()) if len(probs) else float("nan")


def fit_gate(x: np.ndarray, has_leaf: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=3000).fit(x, has_leaf.astype(int))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="DatasetDict from `risklens labels build`")
    parser.add_argument("--corpus", type=Path, required=True, help="../shared (resolves the near-miss files)")
    parser.add_argument("--cache", type=Path, required=True, help="folder for the features")
    parser.add_argument("--unseen", nargs="+", required=True,
                        help="annotator prefixes of the label rounds the model did not train on")
    parser.add_argument("--gold", type=Path, default=Path("labels/data/gold.jsonl"))
    parser.add_argument("--seed", type=int, default=13, help="fold seed")
    parser.add_argument("--out", type=Path, help="write the table here as JSON")
    args = parser.parse_args()

    classifier = RiskClassifier.from_pretrained(args.model)
    if any(t != next(iter(classifier.thresholds.values())) for t in classifier.thresholds.values()):
        raise SystemExit(f"{args.model}: this check assumes one threshold for every leaf (calibration's choice).")
    threshold = next(iter(classifier.thresholds.values()))
    temperature = classifier.temperature
    annotator = {r["id"]: r["annotator"] for r in map(json.loads, args.gold.read_text("utf-8").splitlines())}
    splits = load_dataset_dir(args.data)
    unseen = [e for e in splits.train if annotator.get(e.id, "").startswith(tuple(args.unseen))]
    dev = list(splits.dev)
    near = load_near_miss(Path("labels/data/near_miss/near_miss.jsonl"), args.corpus, part="eval")
    near_empty = [e for e, item in zip(near_miss_examples(near), near, strict=True) if item.group in EMPTY_GROUPS]
    mined = near_miss_examples(load_near_miss(Path("labels/data/near_miss/mined_check.jsonl"), args.corpus, part="eval"))
    print(f"gate rows: {len(unseen)} unseen train paragraphs ({sum(not e.labels for e in unseen)} with no leaf), "
          f"dev {len(dev)}; threshold {threshold}, temperature {temperature:.3f}", flush=True)

    feats = {name: cached(classifier, name, rows, args.cache)
             for name, rows in (("unseen", unseen), ("dev", dev), ("near_empty", near_empty), ("mined", mined))}
    hidden = classifier.model.classifier.in_features
    y_unseen, y_dev = targets_of(unseen).sum(1) > 0, targets_of(dev)
    folds = fold_ids(len(dev), 5, args.seed, groups=filing_groups(dev))
    report: dict[str, dict[str, dict[str, float]]] = {}
    for mode in MODES:
        def probs(name: str, m: str = mode) -> np.ndarray:
            return np.asarray(1 / (1 + np.exp(-feats[name][m][:, hidden:] / temperature)))

        def vec(name: str, m: str = mode) -> np.ndarray:
            return np.asarray(feats[name][m][:, :hidden])

        gate_cv = np.zeros(len(dev))
        for k in range(5):
            train, held = folds != k, folds == k
            gate = fit_gate(np.vstack([vec("unseen"), vec("dev")[train]]), np.concatenate([y_unseen, y_dev[train].sum(1) > 0]))
            gate_cv[held] = gate.predict_proba(vec("dev")[held])[:, 1]
        full = fit_gate(np.vstack([vec("unseen"), vec("dev")]), np.concatenate([y_unseen, y_dev.sum(1) > 0]))
        empty = y_dev.sum(1) == 0
        rows: dict[str, dict[str, float]] = {"none": {"dev": score(probs("dev"), y_dev, threshold), "dev_empty_no_leaf": no_leaf(probs("dev")[empty], threshold),
                         "near_no_leaf": no_leaf(probs("near_empty"), threshold), "mined_no_leaf": no_leaf(probs("mined"), threshold)}}
        for bias in BIASES:
            dev_gated = gated(probs("dev"), gate_cv, bias)
            rows[f"b={bias:g}"] = {
                "dev": score(dev_gated, y_dev, threshold),
                "dev_empty_no_leaf": no_leaf(dev_gated[empty], threshold),
                "near_no_leaf": no_leaf(gated(probs("near_empty"), full.predict_proba(vec("near_empty"))[:, 1], bias), threshold),
                "mined_no_leaf": no_leaf(gated(probs("mined"), full.predict_proba(vec("mined"))[:, 1], bias), threshold),
            }
        # the bias a user would get: chosen on the other folds' dev score, applied to the held-out fold
        chosen = np.zeros_like(y_dev, dtype=float)
        for k in range(5):
            train, held = folds != k, folds == k
            # an infinite bias is no gate at all (the cap becomes 1)
            best = max((*BIASES, float("inf")), key=lambda b: score(gated(probs("dev")[train], gate_cv[train], b),
                                                                     y_dev[train], threshold))
            chosen[held] = gated(probs("dev")[held], gate_cv[held], best)
        rows["bias chosen in folds"] = {"dev": score(chosen, y_dev, threshold)}
        # the lexical alternative: no leaf wherever model.cues' non-risk cue fires
        cue = {name: np.array([fires_on(e.text, *NONRISK) for e in rows_]) for name, rows_ in
               (("dev", dev), ("near_empty", near_empty), ("mined", mined))}
        rows["cue rule"] = {"dev": score(np.where(cue["dev"][:, None], 0.0, probs("dev")), y_dev, threshold),
                            "dev_empty_no_leaf": no_leaf(np.where(cue["dev"][:, None], 0.0, probs("dev"))[empty], threshold),
                            "near_no_leaf": no_leaf(np.where(cue["near_empty"][:, None], 0.0, probs("near_empty")), threshold),
                            "mined_no_leaf": no_leaf(np.where(cue["mined"][:, None], 0.0, probs("mined")), threshold)}
        report[mode] = rows
        print(f"\n{mode}: dev score (mean micro/macro-F1, gate cross-fitted) | dev [] with no leaf | "
              "near-miss negated + non-risk with no leaf | mined check with no leaf")
        for name, row in rows.items():
            cells = [f"{row[k]:.3f}" if k in row else "—" for k in ("dev", "dev_empty_no_leaf", "near_no_leaf", "mined_no_leaf")]
            print(f"  {name:22s} " + " | ".join(cells))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
