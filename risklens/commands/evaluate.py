"""``risklens evaluate``: score a model on labelled JSONL beside the TF-IDF and rule baselines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from risklens.model.meta import PRECISIONS, Precision

if TYPE_CHECKING:
    from risklens.model.classifier import RiskClassifier

HELP = "evaluate a model on labelled JSONL with and without headings, beside both baselines"
DESCRIPTION = """Evaluate a classifier on labelled paragraphs (TAXONOMY.md JSONL with "labels").

Reports micro/macro/samples F1, exact match, per-leaf P/R/F1, group F1 and expected
calibration error, with headings and text only, for the shipped pipeline, the encoder
alone, TF-IDF + logistic regression and the silver rule table. Writes OUT.json and OUT.md
and prints the Markdown. Every figure gets a 95% bootstrap interval over paragraphs, and
the pipeline a paired comparison with each other system (--bootstrap 0 turns this off).
--compare-model DIR adds another model as a system, e.g. to judge a new run against the
shipped model on the same resamples.

Filing level: when the records name their document ("source", as `labels build` writes
them), the report adds precision/recall/F1 of the set of leaves each filing discloses (a
leaf is disclosed when at least one of its paragraphs has it), summed over filings.
--near-miss adds the per-group confusion on the near-miss set (labels/data/near_miss/,
resolved against --corpus): entity_list_sanctions precision/recall, the share of negated
and non-risk paragraphs that get no leaf, and every boundary group's leaves. The same
option scores labels/data/near_miss/mined_check.jsonl: non-risk paragraphs held out by
document from the mined training negatives (its no-leaf share).

  risklens evaluate --data test.jsonl --out reports/test
  risklens evaluate --data runs/data/test.jsonl --near-miss labels/data/near_miss/near_miss.jsonl
  risklens evaluate --data runs/data/test.jsonl --near-miss labels/data/near_miss/mined_check.jsonl
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, metavar="FILE.jsonl", help="labelled paragraphs")
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: $RISKLENS_MODEL, the registry default, or the shipped model)")
    parser.add_argument("--out", type=Path, default=Path("reports/evaluation"),
                        help="report path without extension (default reports/evaluation)")
    parser.add_argument("--baseline-train", type=Path, default=None, metavar="DATASET_DIR",
                        help="fit the TF-IDF baseline on this DatasetDict (train; C and thresholds "
                             "tuned on dev) instead of using the one saved with the model")
    parser.add_argument("--batch-size", type=int, default=32, help="encoder windows per batch")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="how the encoder runs (default: bf16 where the CPU supports it, else fp32)")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help="bootstrap resamples for the 95%% intervals (default 1000; 0 = none)")
    parser.add_argument("--compare-model", type=Path, action="append", default=[], metavar="DIR",
                        help="another model directory to score beside it, with a paired bootstrap "
                             "(repeatable; e.g. the shipped model when judging a new run)")
    parser.add_argument("--near-miss", type=Path, default=None, metavar="FILE.jsonl",
                        help="also report per-group confusion on this stand-off near-miss file "
                             "(labels/data/near_miss/near_miss.jsonl)")
    parser.add_argument("--near-miss-part", choices=("eval", "unseen", "train", "all"), default="eval",
                        help="which part of the near-miss set (default eval: the held-out part; unseen: the "
                             "eval paragraphs whose text no training row has)")
    parser.add_argument("--corpus", type=Path, default=Path("../shared"),
                        help="corpus root the near-miss records point into (default ../shared)")
    parser.add_argument("--quiet", action="store_true", help="do not print the Markdown report")


def run(args: argparse.Namespace) -> int:
    from risklens.commands.model_choice import load_chosen_model
    from risklens.labels.annotations import AnnotationError
    from risklens.labels.nearmiss import load_near_miss
    from risklens.training.data import DataError, read_jsonl
    from risklens.training.evaluate import evaluate_examples, to_markdown, write_report

    try:
        examples = read_jsonl(args.data)
        classifier = load_chosen_model("evaluate", args.model, precision=args.precision)
        tfidf = _baseline(args.baseline_train) if args.baseline_train else None
        compare = _compare_models(args.compare_model, args.precision)
        part = {"all": None, "unseen": "eval"}.get(args.near_miss_part, args.near_miss_part)
        near_miss = load_near_miss(args.near_miss, args.corpus, part) if args.near_miss else None
        if near_miss is not None and args.near_miss_part == "unseen":
            near_miss = [item for item in near_miss if item.annotation.extra.get("seen_in_train") is False]
        report = evaluate_examples(classifier, examples, batch_size=args.batch_size, tfidf=tfidf,
                                   data_name=str(args.data), resamples=args.bootstrap, compare=compare,
                                   near_miss=near_miss)
        if "near_miss" in report:
            report["near_miss"]["file"] = str(args.near_miss)
    except (DataError, AnnotationError, FileNotFoundError, ValueError) as exc:
        print(f"risklens evaluate: {exc}", file=sys.stderr)
        return 2
    json_path, md_path = write_report(report, args.out)
    if not args.quiet:
        print(to_markdown(report))
    print(f"risklens evaluate: wrote {json_path} and {md_path}", file=sys.stderr)
    return 0


def _compare_models(dirs: list[Path], precision: Precision) -> dict[str, RiskClassifier]:
    """Other models by a short unique name: the directory name (run/model-best for run folders), primed when names repeat."""
    from risklens.model.classifier import RiskClassifier

    out: dict[str, RiskClassifier] = {}
    for directory in dirs:
        if not directory.is_dir():
            raise FileNotFoundError(f"--compare-model {directory}: not a model directory; pass a folder "
                                    "written by risklens train (model-best/) or save_pretrained.")
        name = directory.name if directory.name not in ("model-best", "model-last") else \
            f"{directory.parent.name}/{directory.name}"
        while name in out:
            name += "'"
        out[name] = RiskClassifier.from_pretrained(directory, precision=precision)
    return out


def _baseline(dataset_dir: Path):  # type: ignore[no-untyped-def]
    from risklens.training.baselines import fit_tfidf_baseline
    from risklens.training.data import load_dataset_dir

    splits = load_dataset_dir(dataset_dir)
    return fit_tfidf_baseline(splits.train, splits.dev)[0]
