"""Issue #22 item 3: refit the shipped model's fusion head with boundary cues and hard examples.

Tries every variant of ``VARIANTS`` on the shipped encoder's logits (computed once, cached
in --cache), selects on dev (cross-fitted fused score) and the near-miss TRAIN part only,
then reports test micro-F1 (with headings / text only), filing-level F1, the near-miss EVAL
figures and CloudWalk's four named risks for every variant, and saves the selected one
(or --save NAME) as a model directory.

    python experiments/boundary_fusion.py --data runs/data/dataset --corpus ../shared \\
        --out /work/runs/s3/boundary --save-dir /work/runs/s3/candidate
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from risklens.labels.nearmiss import NEAR_MISS_FILE, load_near_miss
from risklens.model.classifier import RiskClassifier
from risklens.training.config import TrainConfig
from risklens.training.data import load_dataset_dir, make_example, targets_of
from risklens.training.evaluate import saved_baseline
from risklens.training.filing_level import filing_level
from risklens.training.metrics import multilabel_metrics
from risklens.training.near_miss import near_miss_examples, summarize
from risklens.training.refit import Logits, Variant, decide, fit_tfidf, refit

CUES = ("nonrisk_cue", "sanction_named")
VARIANTS = [
    Variant("shipped-recipe"),
    Variant("cue-nonrisk", cues=("nonrisk_cue",)),
    Variant("cue-sanction", cues=("sanction_named",)),
    Variant("cues", cues=CUES),
    Variant("hard-fusion", hard_fusion=True),
    Variant("hard-tfidf", hard_tfidf=True),
    Variant("hard-both", hard_tfidf=True, hard_fusion=True),
    Variant("cues+hard-fusion", cues=CUES, hard_fusion=True),
    Variant("cues+hard-both", cues=CUES, hard_tfidf=True, hard_fusion=True),
]
NAMED_RISKS = {"实体清单": "entity_list_sanctions", "应收账款": "receivables_credit", "试用商品": "trial_goods",
               "研发失败": "rd_failure"}
HEADING = re.compile(r"^\s*(（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|第[一二三四五六七八九十]+节)")


def seed_paragraphs(corpus: Path) -> list[tuple[str, str, str]]:
    """(heading, text, leaf) of CloudWalk's four named risks in seed 002 (as tests/model reads them)."""
    lines = next((corpus / "seeds").glob("002_*.txt")).read_text("utf-8").splitlines()
    out = []
    for keyword, leaf in NAMED_RISKS.items():
        for i, line in enumerate(lines):
            if keyword in line and HEADING.match(line) and "风险" in line:
                body = []
                for following in lines[i + 1:]:
                    if HEADING.match(following):
                        break
                    body.append(following.strip())
                out.append((line.strip(), "".join(body), leaf))
                break
    return out


def cached_logits(classifier: RiskClassifier, name: str, examples: list[Any], cache: Path) -> Logits:
    path = cache / f"{name}.npz"
    if path.is_file():
        saved = np.load(path)
        if saved["heading"].shape[0] == len(examples):
            return Logits(examples, saved["heading"], saved["text"])
    logits = Logits.of(classifier, examples)
    np.savez(path, heading=logits.heading, text=logits.text)
    return logits


def score(model: RiskClassifier, sets: dict[str, Logits], nm_items: dict[str, list[Any]],
          seeds: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Every figure of one model on the cached logits."""
    out: dict[str, Any] = {}
    for mode, use in (("heading", True), ("text", False)):
        for split in ("dev", "test"):
            rows = sets[split]
            predicted = decide(model, rows, use)
            hot = np.array([[1.0 if label in p else 0.0 for label in model.labels] for p in predicted])
            m = multilabel_metrics(targets_of(rows.examples), hot)
            out[f"{split}_micro_{mode}"] = round(m["micro_f1"], 4)
            out[f"{split}_macro_{mode}"] = round(m["macro_f1"], 4)
            if split == "test":
                out[f"filing_f1_{mode}"] = filing_level(rows.examples, predicted)["f1"]
        for part in ("train", "eval"):
            report = summarize(nm_items[part], {mode: decide(model, sets[f"nm_{part}"], use)})["modes"][mode]
            els = report["entity_list_sanctions"]
            out[f"nm_{part}_els_p_{mode}"], out[f"nm_{part}_els_r_{mode}"] = els["precision"], els["recall"]
            out[f"nm_{part}_noleaf_{mode}"] = report["no_leaf_share"]
            out[f"nm_{part}_exact_{mode}"] = round(sum(g["exact"] for g in report["groups"].values())
                                                  / len(nm_items[part]), 4)
    probs = model.predict_proba([{"text": t, "heading": h} for h, t, _ in seeds])
    out["seed_min_p"] = round(min(float(probs[i, model.labels.index(leaf)]) for i, (_, _, leaf) in enumerate(seeds)), 4)
    return out


def selection_score(row: dict[str, Any]) -> float:
    """Near-miss TRAIN part only: mean of sanctions F1 and the no-leaf share, both modes."""
    parts = []
    for mode in ("heading", "text"):
        p, r = row[f"nm_train_els_p_{mode}"] or 0.0, row[f"nm_train_els_r_{mode}"] or 0.0
        parts += [2 * p * r / (p + r) if p + r else 0.0, row[f"nm_train_noleaf_{mode}"] or 0.0]
    return float(np.mean(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path("model/default"))
    parser.add_argument("--data", type=Path, required=True, help="DatasetDict of `risklens labels build`")
    parser.add_argument("--corpus", type=Path, default=Path("../shared"))
    parser.add_argument("--near-miss", type=Path, default=Path("labels/data") / NEAR_MISS_FILE)
    parser.add_argument("--out", type=Path, required=True, help="folder for the cache and results.json")
    parser.add_argument("--save-dir", type=Path, default=None, help="save the selected variant here")
    parser.add_argument("--save", default=None, help="save this variant instead of the selected one")
    parser.add_argument("--variants", nargs="+", default=None, metavar="NAME",
                        help="try only these variants (default: all of VARIANTS)")
    parser.add_argument("--select", choices=("near-miss-train", "dev-cross-fitted"), default="near-miss-train",
                        help="near-miss-train: the near-miss train part among dev-eligible variants (the first "
                             "rule); dev-cross-fitted: the highest cross-fitted fused dev score (when the "
                             "near-miss train part is inside the model's training data)")
    parser.add_argument("--max-dev-drop", type=float, default=0.005,
                        help="a variant may lose at most this much dev score (mean micro/macro, both modes)")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    classifier = RiskClassifier.from_pretrained(args.model)
    config = TrainConfig.from_dict({**json.loads((args.model / "training_config.json").read_text("utf-8")),
                                    "data": str(args.data), "base_model": "-", "out": "-"})
    splits = load_dataset_dir(args.data)
    test = [e for e in splits.test if e.kind == "gold"]
    items = {part: load_near_miss(args.near_miss, args.corpus, part) for part in ("train", "eval")}
    hard = near_miss_examples(items["train"])
    sets = {name: cached_logits(classifier, name, rows, args.out)
            for name, rows in (("dev", list(splits.dev)), ("test", test), ("nm_train", hard),
                               ("nm_eval", near_miss_examples(items["eval"])))}
    shipped_tfidf = saved_baseline(classifier)
    assert shipped_tfidf is not None
    hard_train = [make_example(id=e.id, text=e.text, heading=e.heading, labels=e.labels, kind="gold", doc=e.doc)
                  for e in hard]
    print(f"fitting TF-IDF on {len(splits.train)} train rows + {len(hard_train)} hard rows", file=sys.stderr)
    hard_tfidf, selection = fit_tfidf(config, list(splits.train) + hard_train, list(splits.dev))
    seeds = seed_paragraphs(args.corpus)

    rows: dict[str, dict[str, Any]] = {"shipped": score(classifier, sets, items, seeds)}
    fitted = {}
    variants = [v for v in VARIANTS if args.variants is None or v.name in args.variants]
    for variant in variants:
        fit_rows = sets["dev"] + sets["nm_train"] if variant.hard_fusion else sets["dev"]
        result = refit(classifier, variant, config, hard_tfidf if variant.hard_tfidf else shipped_tfidf, fit_rows)
        fitted[variant.name] = result
        rows[variant.name] = {**score(result.classifier, sets, items, seeds),
                              "dev_check": result.dev_scores, "fused": result.classifier.fusion is not None,
                              "weights": result.classifier.fusion.describe() if result.classifier.fusion else {}}
        print(variant.name, json.dumps(rows[variant.name], ensure_ascii=False), file=sys.stderr)
    base = rows["shipped-recipe"] if "shipped-recipe" in rows else rows["shipped"]

    def dev_score(row: dict[str, Any]) -> float:
        return float(np.mean([row[f"dev_{k}_{m}"] for k in ("micro", "macro") for m in ("heading", "text")]))

    eligible = [v.name for v in variants if dev_score(rows[v.name]) >= dev_score(base) - args.max_dev_drop]
    if args.select == "dev-cross-fitted":
        eligible = [v.name for v in variants]
        chosen = args.save or max(eligible, key=lambda name: rows[name]["dev_check"].get("fused_cross_fitted", 0.0))
    else:
        chosen = args.save or max(eligible, key=lambda name: (selection_score(rows[name]), dev_score(rows[name])))
    summary = {"rows": rows, "eligible": eligible, "chosen": chosen, "tfidf_hard_selection": selection,
               "selection": {name: round(selection_score(rows[name]), 4) for name in rows if name != "shipped"},
               "dev_score": {name: round(dev_score(rows[name]), 4) for name in rows}}
    (args.out / "results.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"chosen: {chosen} (eligible on dev: {eligible})", file=sys.stderr)
    if args.save_dir is not None:
        model = fitted[chosen].classifier
        model.save_pretrained(args.save_dir, dtype=config.save_dtype)
        if model.fusion is not None:
            model.fusion.tfidf.save(args.save_dir)
        print(f"saved {chosen} to {args.save_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
