"""``risklens distill``: the two steps that come before training a student or self-training.

Only parses arguments and prints; the work is :mod:`training.transfer` and
:mod:`training.student`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from risklens.labels.annotations import text_hash

if TYPE_CHECKING:
    from risklens.training.data import Example

HELP = "a teacher's soft labels over the unlabelled corpus, and a smaller student cut from it"
DESCRIPTION = """\
Distillation (a smaller, faster student) and self-training both learn from the corpus's
unlabelled risk paragraphs with a teacher model's probabilities as targets.

  risklens distill transfer --data runs/data/dataset --corpus ../shared --out runs/transfer \\
      --scope corpus --spans 2
  risklens distill student --layers 6 --out runs/student-base
  risklens train --data runs/transfer --base-model runs/student-base --out runs/student \\
      --silver-weight 1 --silver-per-epoch -1 --train-precision bf16

`transfer` copies the dataset and adds to its train split the risk paragraphs nobody
labelled as silver rows whose labels are the teacher's calibrated probabilities, with the
heading and (column text_labels) without it. `--scope train` (self-training) reads only the
train documents; `--scope corpus` (distillation) every filing outside dev, test and the
near-miss eval part. `--spans N` adds up to N runs of whole sentences cut from every such
paragraph and every gold train paragraph, scored the same way.
`student` writes a model folder that keeps the teacher's embeddings, head and N of its
layers, spread evenly and ending at the top one; `train --base-model` warm-starts from it.
The teacher is the model the one rule picks (`--teacher` overrides).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    transfer = sub.add_parser("transfer", help="the dataset plus the teacher's soft labels on unlabelled paragraphs",
                              description="the dataset plus the teacher's soft labels on unlabelled paragraphs")
    transfer.add_argument("--data", type=Path, required=True, help="DatasetDict from `risklens labels build`")
    transfer.add_argument("--corpus", type=Path, default=Path("../shared"), help="corpus root (default ../shared)")
    transfer.add_argument("--out", type=Path, required=True, help="where to save the extended DatasetDict")
    transfer.add_argument("--teacher", type=Path, default=None, help="teacher model folder (default: the one rule)")
    transfer.add_argument("--near-miss", type=Path, default=Path("labels/data/near_miss/near_miss.jsonl"),
                          help="near-miss file whose eval-part documents stay out (default: the repository's)")
    transfer.add_argument("--hard-examples", action="store_true",
                          help="also add the near-miss set's train part as gold train rows (issue #22's hard negatives)")
    transfer.add_argument("--no-teacher", action="store_true",
                          help="add no soft-labelled rows (with --hard-examples: only the hard examples)")
    transfer.add_argument("--scope", choices=("train", "corpus"), default="train",
                          help="filings to read: the train documents (self-training, default) or every "
                               "filing outside evaluation (distillation)")
    transfer.add_argument("--spans", type=int, default=0,
                          help="sentence spans per paragraph to add as more transfer rows (default 0)")
    transfer.add_argument("--batch-size", type=int, default=32)
    student = sub.add_parser("student", help="cut a smaller student from the teacher",
                             description="cut a smaller student from the teacher")
    student.add_argument("--layers", type=int, required=True, help="layers to keep, spread evenly (e.g. 6 or 4)")
    student.add_argument("--out", type=Path, required=True, help="model folder to write")
    student.add_argument("--teacher", type=Path, default=None, help="teacher model folder (default: the one rule)")


def eval_docs(path: Path, command: str = "distill") -> set[str]:
    """Documents of the near-miss file's eval part, which no training input may read."""
    from risklens.labels.nearmiss import read_near_miss

    if not path.is_file():
        print(f"risklens {command}: no near-miss file at {path}; no document is held out for it", file=sys.stderr)
        return set()
    return {record.doc for record in read_near_miss(path) if record.extra.get("part") == "eval"}


def _hard_examples(args: argparse.Namespace, labelled: set[str]) -> list[Example]:
    from risklens.labels.nearmiss import load_near_miss
    from risklens.training.near_miss import near_miss_examples

    rows = near_miss_examples(load_near_miss(args.near_miss, args.corpus, "train"))
    return [row for row in rows if text_hash(row.text) not in labelled]


def _transfer(args: argparse.Namespace) -> int:
    from risklens.commands.model_choice import load_chosen_model
    from risklens.commands.progress import ProgressBar
    from risklens.training.data import load_dataset_dir
    from risklens.training.transfer import (
        SKIP_REASONS,
        TransferSet,
        transfer_examples,
        with_transfer,
    )

    if args.out.exists():
        print(f"risklens distill transfer: {args.out} exists; pass a new folder for the extended dataset",
              file=sys.stderr)
        return 2
    splits = load_dataset_dir(args.data)
    found, teacher_name = TransferSet([], 0, dict.fromkeys(SKIP_REASONS, 0), {}), ""
    if not args.no_teacher:
        teacher = load_chosen_model("distill", args.teacher)
        teacher_name = f"{teacher.meta.name} {teacher.meta.version}"
        with ProgressBar("teacher", "para") as bar:
            found = transfer_examples(teacher, args.corpus, splits, exclude_docs=eval_docs(args.near_miss),
                                      batch_size=args.batch_size, progress=bar, scope=args.scope,
                                      spans=args.spans)
    labelled = {text_hash(e.text) for e in splits.train + splits.dev + splits.test}
    hard = _hard_examples(args, labelled) if args.hard_examples else []
    counts = with_transfer(args.data, found.examples + hard, args.out)
    summary = {"transfer_rows": len(found.examples), "scope": args.scope, "spans": args.spans,
               "hard_examples": len(hard), "files": found.files,
               "unreadable_files": found.skipped["unreadable"],
               "files_without_risk_section": found.skipped["no_risk_section"],
               "left_out": found.left_out, "rows": counts, "teacher": teacher_name}
    (args.out / "transfer.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def _student(args: argparse.Namespace) -> int:
    from risklens.commands.model_choice import choose_model
    from risklens.training.student import StudentError, cut_student, spread_layers

    teacher = choose_model("distill", args.teacher).path
    try:
        total = int(json.loads((teacher / "config.json").read_text(encoding="utf-8"))["num_hidden_layers"])
        kept = cut_student(teacher, args.out, spread_layers(total, args.layers))
    except (StudentError, OSError, KeyError, ValueError) as exc:
        print(f"risklens distill student: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(kept))
    return 0


def run(args: argparse.Namespace) -> int:
    return _transfer(args) if args.action == "transfer" else _student(args)
