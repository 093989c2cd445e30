"""``risklens labels add`` and ``risklens labels queue``: the label store and active learning.

``risklens/commands/labels.py`` calls ``register(sub)`` with its subparsers object; each
parser sets ``_labels_run``, which ``labels.run`` dispatches to. Heavy modules (torch, the
model) are imported inside the run functions so ``risklens --help`` stays fast.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from risklens.commands.progress import ProgressBar
from risklens.labels.jsonl import iter_json_lines
from risklens.labels.store import (
    ORIGINS,
    FeedbackError,
    LabelStore,
    StoreError,
    default_store_path,
    parse_item,
)

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "labels" / "data"  # risklens/labels/data


def _store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", type=Path, default=None,
        help="label store (SQLite; default: $RISKLENS_STORE, else labels.sqlite in $RISKLENS_HOME or the user data dir)",
    )


def register(sub: Any) -> None:
    """Add ``add`` and ``queue`` to the ``risklens labels`` subparsers."""
    add = sub.add_parser(
        "add",
        help="add labelled paragraphs (JSONL, or a Label Studio export) to the label store",
        description=(
            "Store labelled paragraphs. FILE is JSON Lines in the TAXONOMY.md format "
            '({"text", "labels", optional "heading", "id", "source"}), or with --label-studio a '
            "Label Studio JSON export of completed tasks (stored with origin 'import'). A Label Studio "
            "annotation already in the store (same paragraph, annotator and labels as that annotator's "
            "latest label of it) is skipped, so importing one export twice stores it once."
        ),
    )
    add.add_argument("file", type=Path, help="JSONL of labelled paragraphs, or a Label Studio export")
    _store_argument(add)
    add.add_argument("--annotator", default=None, help="who gave the labels (default: your user name)")
    add.add_argument("--label-studio", action="store_true", help="FILE is a Label Studio JSON export")
    add.add_argument(
        "--origin", choices=ORIGINS, default=None,
        help="origin recorded for JSONL items (default: feedback; Label Studio imports: import)",
    )
    add.add_argument("--batch-size", type=int, default=1000, help="items per transaction (default 1000)")
    add.set_defaults(_labels_run=run_add)

    queue = sub.add_parser(
        "queue",
        help="pick the paragraphs most worth labelling next and export them as Label Studio tasks",
        description=(
            "Score harvested risk paragraphs with a model and pick the ones it is least sure "
            "about or that contradict the heading rules, spread across filings."
        ),
    )
    queue.add_argument("--model", type=Path, default=None, help="model directory (default: the current default model)")
    queue.add_argument("--corpus", type=Path, default=Path("../shared"), help="corpus root (default: ../shared)")
    queue.add_argument("--n", type=int, default=50, help="paragraphs to pick (default 50)")
    queue.add_argument("--out", type=Path, default=Path("tasks.json"), help="Label Studio tasks JSON (default tasks.json)")
    queue.add_argument("--per-doc", type=int, default=5, help="at most this many picks per filing (default 5)")
    queue.add_argument("--max-pool", type=int, default=0, help="score a random sample of this many paragraphs (0 = all)")
    queue.add_argument("--data", type=Path, default=DEFAULT_DATA, help="gold annotations to skip (default labels/data)")
    queue.add_argument("--batch-size", type=int, default=32)
    _store_argument(queue)
    queue.set_defaults(_labels_run=run_queue)


# ------------------------------------------------------------------------- add
def _fail(action: str, message: str) -> int:
    print(f"risklens labels {action}: {message}", file=sys.stderr)
    return 1


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read and validate every line first, so a bad line stores nothing (errors name FILE:LINE)."""
    items: list[dict[str, Any]] = []
    for number, item in iter_json_lines(path, FeedbackError):
        parse_item(item, where=f"{path}:{number}")
        items.append(item)
    return items


def _label_studio_items(path: Path) -> Iterator[dict[str, Any]]:
    from risklens.labels.labelstudio import import_tasks

    for task in import_tasks(path):
        yield {
            "id": f"ls-{task.task_id}",
            "text": task.text,
            "heading": task.heading,
            "labels": list(task.labels),
            "ref": task.ref or None,
            "source": f"label-studio:{path.name}",
            "annotator": task.annotator,
        }


def run_add(args: argparse.Namespace) -> int:
    from risklens.labels.labelstudio import LabelStudioError

    path: Path = args.file
    store_path: Path = args.store or default_store_path()
    if not path.is_file():
        return _fail("add", f"{path}: file not found; pass a JSONL file of labelled paragraphs.")
    try:
        if args.label_studio:
            items = list(_label_studio_items(path))
            origin = args.origin or "import"
            for index, item in enumerate(items):
                parse_item(item, where=f"{path} annotation #{index + 1}")
        else:
            items = _read_jsonl(path)
            origin = args.origin or "feedback"
        if args.annotator:  # an explicit --annotator wins over per-item names (Label Studio's completed_by)
            items = [{**item, "annotator": args.annotator} for item in items]
        if not items:
            return _fail("add", f"{path}: no labelled items found (completed annotations or JSONL lines).")
        with LabelStore(store_path) as store:
            report = store.import_records(
                items,
                annotator=args.annotator or getpass.getuser(),
                origin=origin,
                batch_size=args.batch_size,
                source=str(path),
                skip_known=args.label_studio,
            )
            counts = store.counts()
    except UnicodeDecodeError:  # before ValueError, of which it is a subclass
        return _fail("add", f"{path}: not UTF-8 text; save the file as UTF-8.")
    except (FeedbackError, LabelStudioError, StoreError, ValueError) as exc:
        return _fail("add", str(exc))
    print(
        f"stored {report.annotations} annotations (origin {origin}) in {store_path}{_skipped_note(report.skipped, len(items))}; "
        f"the store now holds {counts['annotations']} annotations of {counts['paragraphs']} paragraphs."
    )
    return 0


def _skipped_note(skipped: int, total: int) -> str:
    """What a Label Studio import left out because the store already had it."""
    if not skipped:
        return ""
    if skipped == total:
        return f" — nothing new: all {total} annotations are already in the store (same paragraph, annotator and labels)"
    return f", skipped {skipped} of {total} already in the store (same paragraph, annotator and labels)"


# ----------------------------------------------------------------------- queue
def run_queue(args: argparse.Namespace) -> int:
    from risklens.labels.annotations import AnnotationError
    from risklens.labels.harvest import harvest
    from risklens.labels.labelstudio import export_tasks
    from risklens.model import RiskClassifier
    from risklens.model.registry import ModelNotFoundError, resolve_model
    from risklens.training import active

    try:
        config = active.QueueConfig(n=args.n, per_document=args.per_doc)
    except ValueError as exc:
        return _fail("queue", str(exc))
    corpus: Path = args.corpus
    if not corpus.is_dir():
        return _fail("queue", f"corpus root {corpus} not found; pass --corpus pointing at the folder with corpus/ and seeds/.")
    try:
        model_choice = resolve_model(args.model)
        exclusions = active.gold_exclusions(args.data)
        store_path = args.store or default_store_path()
        if store_path.exists():
            with LabelStore(store_path) as store:
                hashes, spans = store.labelled_keys()
            exclusions = active.merge(exclusions, active.Exclusions(frozenset(hashes), frozenset(spans)))
    except (ModelNotFoundError, AnnotationError, StoreError) as exc:
        return _fail("queue", str(exc))

    skipped: list[str] = []
    harvested = harvest(corpus, on_error=lambda path, exc: skipped.append(f"{path.name}: {exc}"))
    pool = active.candidate_pool(harvested, config, exclude=exclusions, max_pool=args.max_pool)
    if not pool:
        return _fail("queue", f"no unlabelled risk paragraphs found under {corpus}.")
    print(f"risklens labels queue: {model_choice.describe()}", file=sys.stderr)
    print(f"scoring {len(pool)} paragraphs …", file=sys.stderr)
    model = RiskClassifier.from_pretrained(model_choice.path)
    with ProgressBar("queue", unit="win") as bar:
        chosen = active.rank_paragraphs(model, pool, config, batch_size=args.batch_size, progress=bar)
    written = export_tasks([c.to_task() for c in chosen], args.out, model_version=model.meta.version)
    for message in skipped:
        print(f"skipped {message}", file=sys.stderr)
    print(f"wrote {written} tasks to {args.out}: {active.summarise(chosen)}")
    return 0

