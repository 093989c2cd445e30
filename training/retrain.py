"""``retrain(RetrainConfig)``: gold files + label store → fine-tuned model → new registry version.

The loop behind ``risklens retrain``:

1. build rows from the gold annotation files (``labels.dataset.build_rows``), or take them
   from a dataset saved by ``risklens labels build`` (``--dataset``) — their train / dev /
   test split is fixed by document, so every version is scored on the same test paragraphs;
2. add the label store's latest annotation per paragraph as **train** rows. Store labels
   never enter dev or test, and a store paragraph is left out when its text already is a
   gold row (the curated label wins; for dev/test rows this also prevents leakage) or when
   it points into a filing of the dev or test split;
3. fine-tune with ``training.train`` — warm-started from the current default model (its
   training recipe is reused) or from a base encoder (``--from-base``);
4. evaluate the best checkpoint on the fixed test split (``train`` does this) and register
   it in the model registry with its metrics, training config, a hash of the training data
   and its parent. Promotion is a separate, deliberate step (``risklens models promote``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from risklens.labels.annotations import SPLITS, Annotation, AnnotationError, load_all, text_hash
from risklens.labels.dataset import Row, build_rows, to_dataset_dict
from risklens.labels.resolve import resolve_one
from risklens.labels.store import LabelStore, StoredAnnotation
from risklens.labels.taxonomy import from_multi_hot, validate_labels
from risklens.model.registry import SHIPPED_MODEL, Registry, resolve_model_path
from risklens.training.data import DataError, open_dataset_dict

# TrainConfig fields a warm start takes from the parent's recipe (the rest are per run).
_RUN_FIELDS = ("data", "base_model", "out", "version", "epochs", "time_budget_minutes")


class RetrainError(ValueError):
    """Something the user can fix (missing data, no model to start from); one line."""


@dataclass
class RetrainConfig:
    """Inputs of one retraining run (the ``risklens retrain`` options)."""

    store: Path  # the label store
    data: Path  # gold annotation folder (labels/data)
    corpus: Path  # corpus root the stand-off records point into (../shared)
    registry: Path  # model registry root (models/)
    from_base: Path | None = None  # start from this base encoder instead of the current model
    warm_start_from: Path | None = None  # start from this model (default: the current default)
    epochs: int = 3  # passes over the training rows
    include_silver: bool = True  # silver rows of the gold folder (weighted below gold)
    work_dir: Path | None = None  # dataset + run folder; default: a temporary folder, removed after
    dataset: Path | None = None  # a DatasetDict from `risklens labels build`, used instead of resolving `data`
    progress: Callable[[int, int], None] | None = None  # progress(step, total_steps) after each training step
    overrides: dict[str, Any] = field(default_factory=dict)  # other TrainConfig options

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise RetrainError(f"epochs must be >= 1, got {self.epochs}.")
        if self.from_base is not None and self.warm_start_from is not None:
            raise RetrainError("choose one starting point: a warm start from a model, or --from-base DIR.")


@dataclass(frozen=True)
class StoreMerge:
    """What became of the store's annotations."""

    added: int = 0  # became train rows
    in_gold: int = 0  # text already a gold row: skipped, the gold label wins
    eval_documents: int = 0  # stand-off into a dev/test filing: skipped to keep the test clean
    unresolved: tuple[str, ...] = ()  # stand-off references that no longer match the corpus

    def summary(self) -> str:
        parts = [f"{self.added} store annotations added to train"]
        if self.in_gold:
            parts.append(f"{self.in_gold} skipped (already gold rows)")
        if self.eval_documents:
            parts.append(f"{self.eval_documents} skipped (filings of the dev/test split)")
        if self.unresolved:
            parts.append(f"{len(self.unresolved)} unresolved (corpus changed; first: {self.unresolved[0]})")
        return "; ".join(parts)


@dataclass(frozen=True)
class RetrainResult:
    """The registered version and how it was made."""

    version: str
    path: Path
    metrics: dict[str, Any]
    data_hash: str
    parent: str
    rows: dict[str, int]
    store: StoreMerge

    def summary(self) -> str:
        def pct(value: float | None) -> str:
            return "n/a" if value is None else f"{100 * value:.1f}"

        test = self.metrics.get("test", {})
        return (
            f"registered {self.version} ({self.path}) from {self.parent}: test micro-F1 "
            f"{pct(test.get('micro_f1'))}, macro-F1 {pct(test.get('macro_f1'))} on "
            f"{test.get('n', 0)} paragraphs; train {self.rows.get('train', 0)} rows "
            f"({self.store.summary()}); data hash {self.data_hash}. "
            f"Promote it with `risklens models promote {self.version}`."
        )


# ------------------------------------------------------------------------ data
def store_rows(
    annotations: Sequence[StoredAnnotation],
    gold_rows: Sequence[Row],
    corpus_root: Path,
) -> tuple[list[Row], StoreMerge]:
    """Turn the store's latest annotations into train rows (see the module docstring)."""
    gold_hashes = {text_hash(row.text) for row in gold_rows if row.kind != "silver"}
    eval_docs = {_doc_key(row.doc) for row in gold_rows if row.split in ("dev", "test")}
    rows: list[Row] = []
    in_gold = eval_documents = 0
    unresolved: list[str] = []
    for stored in annotations:
        row_id = f"store:{stored.origin}:{stored.paragraph_id}"
        if stored.is_stand_off and _doc_key(stored.document) in eval_docs:
            eval_documents += 1
            continue
        if stored.text_hash in gold_hashes:
            in_gold += 1
            continue
        text = stored.text
        if text is None:
            try:
                text = resolve_one(_as_annotation(stored, row_id), corpus_root).text
            except AnnotationError as exc:
                unresolved.append(str(exc))
                continue
        rows.append(
            Row(
                id=row_id,
                doc=stored.document or f"store:{stored.source or stored.origin}",
                text=text,
                heading=stored.heading,
                label_ids=stored.labels,
                kind="gold",  # human labels; provenance stays in the id
                split="train",  # store labels never enter dev or test
            )
        )
    return rows, StoreMerge(len(rows), in_gold, eval_documents, tuple(unresolved))


def _doc_key(doc: str) -> str:
    return doc.partition("#")[0]


def _as_annotation(stored: StoredAnnotation, row_id: str) -> Annotation:
    return Annotation(
        id=row_id,
        doc=stored.document,
        labels=stored.labels,
        split="train",
        kind="gold",
        annotator=stored.annotator,
        heading=stored.heading,
        section=stored.section,
        doc_hash=stored.doc_hash or "",
        start=stored.start if stored.start is not None else -1,
        end=stored.end if stored.end is not None else -1,
        text_hash=stored.text_hash,
    )


def data_hash(rows: Sequence[Row], split: str | None = None) -> str:
    """Hash of the rows' content (split, kind, heading, text, labels), order-independent."""
    keys = sorted(
        json.dumps([row.split, row.kind, row.heading, text_hash(row.text), list(row.label_ids)], ensure_ascii=False)
        for row in rows
        if split is None or row.split == split
    )
    digest = hashlib.sha256()
    for key in keys:
        digest.update(key.encode("utf-8") + b"\n")
    return digest.hexdigest()[:16]


def rows_from_dataset(path: Path) -> list[Row]:
    """The rows of a DatasetDict saved by ``risklens labels build`` (splits as saved)."""

    try:
        loaded = open_dataset_dict(Path(path))
    except DataError as exc:
        raise RetrainError(str(exc)) from None
    rows: list[Row] = []
    for split in SPLITS:
        for record in loaded.get(split, []):
            rows.append(
                Row(
                    id=str(record["id"]),
                    doc=str(record.get("doc") or ""),
                    text=str(record["text"]),
                    heading=str(record.get("heading") or ""),
                    label_ids=tuple(validate_labels(record.get("label_ids") or from_multi_hot(record["labels"]))),
                    kind=str(record.get("kind") or "gold"),
                    split=split,
                )
            )
    return rows


def gold_rows(config: RetrainConfig) -> list[Row]:
    """The curated rows: from ``config.dataset`` when given, else resolved from ``config.data``."""
    if config.dataset is not None:
        rows = rows_from_dataset(config.dataset)
        return rows if config.include_silver else [row for row in rows if row.kind != "silver"]
    if not config.data.is_dir():
        raise RetrainError(f"annotation folder {config.data} not found; pass --data pointing at labels/data.")
    try:
        return build_rows(load_all(config.data), config.corpus, include_silver=config.include_silver)
    except AnnotationError as exc:
        raise RetrainError(str(exc)) from None


def build_dataset_rows(config: RetrainConfig) -> tuple[list[Row], StoreMerge]:
    """Gold rows (with their fixed splits) plus the store's annotations as train rows."""
    gold = gold_rows(config)
    where = config.dataset or config.data
    if not any(row.split == "test" for row in gold):
        raise RetrainError(f"{where}: no test split; retraining needs the fixed gold test split to compare versions.")
    if not any(row.split == "dev" for row in gold):
        raise RetrainError(f"{where}: no dev split; checkpoints and thresholds are chosen on gold dev data.")
    if not config.store.exists():
        return gold, StoreMerge()
    with LabelStore(config.store) as store:
        extra, merge = store_rows(store.latest(), gold, config.corpus)
    return gold + extra, merge


# ----------------------------------------------------------------- start point
def starting_point(config: RetrainConfig) -> tuple[Path, str, dict[str, Any]]:
    """(model or base directory, parent name, inherited TrainConfig options)."""
    if config.from_base is not None:
        base = Path(config.from_base)
        if not (base / "config.json").is_file():
            raise RetrainError(f"{base}: not a model directory (no config.json); pass --from-base with a base encoder.")
        return base, f"base:{base}", {}
    try:
        parent_dir = resolve_model_path(config.warm_start_from, registry_root=config.registry)
    except FileNotFoundError as exc:
        raise RetrainError(f"{exc} (or pass --from-base DIR to start from a base encoder)") from None
    return parent_dir, parent_name(parent_dir, config.registry), inherited_options(parent_dir)


def parent_name(directory: Path, registry_root: Path) -> str:
    """``v3`` for a registry version, ``shipped`` for model/default, else the path."""
    resolved = directory.resolve()
    if resolved == SHIPPED_MODEL.resolve():
        return "shipped"
    if resolved.parent == registry_root.resolve() and (resolved / "registry.json").is_file():
        return resolved.name
    return str(directory)


def inherited_options(model_dir: Path) -> dict[str, Any]:
    """The parent's training recipe (from its risklens.json), minus per-run fields."""
    from risklens.training.config import TrainConfig

    try:
        meta = json.loads((model_dir / "risklens.json").read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    recipe = dict(meta.get("training_config") or {})
    known = set(TrainConfig.__dataclass_fields__)
    options = {k: v for k, v in recipe.items() if k in known and k not in _RUN_FIELDS}
    # the windowing the parent was saved with, even when it has no recorded recipe
    for key in ("max_length", "stride", "max_heading_chars", "window_pooling", "item_windows"):
        if key in meta:
            options[key] = meta[key]
    return options


# ------------------------------------------------------------------- the run
def headline(report: dict[str, Any], mode: str = "heading", system: str = "risklens") -> dict[str, Any]:
    """Headline numbers of one (mode, system) of an ``evaluate_examples`` report."""
    numbers = report.get("modes", {}).get(mode, {}).get(system, {})
    keys = ("n", "micro_f1", "macro_f1", "samples_f1", "exact_match", "group_micro_f1", "ece")
    return {k: numbers[k] for k in keys if k in numbers}


def retrain(config: RetrainConfig) -> RetrainResult:
    """Build the data, fine-tune, evaluate on the fixed test split, register a version."""
    import datasets

    from risklens.training.config import ConfigError, TrainConfig
    from risklens.training.run import train

    if config.dataset is None and not config.data.is_dir():
        raise RetrainError(f"annotation folder {config.data} not found; pass --data pointing at labels/data.")
    if config.dataset is not None and not config.dataset.is_dir():
        raise RetrainError(f"dataset {config.dataset} not found; build one with `risklens labels build --out DIR`.")
    start_dir, parent, options = starting_point(config)  # cheap checks before resolving the data
    rows, merge = build_dataset_rows(config)
    work = Path(config.work_dir) if config.work_dir else Path(tempfile.mkdtemp(prefix="risklens-retrain-"))
    try:
        work.mkdir(parents=True, exist_ok=True)
        dataset_dir = work / "dataset"
        dataset: datasets.DatasetDict = to_dataset_dict(rows)
        bars = datasets.is_progress_bar_enabled()
        datasets.disable_progress_bars()  # one bar per split and shard is noise here
        try:
            dataset.save_to_disk(str(dataset_dir))
        finally:
            if bars:
                datasets.enable_progress_bars()
        options.update(config.overrides)
        try:
            train_config = TrainConfig(
                data=str(dataset_dir), base_model=str(start_dir), out=str(work / "run"),
                epochs=config.epochs, **options,
            )
        except (ConfigError, TypeError) as exc:
            raise RetrainError(str(exc)) from None
        result = train(train_config, progress=config.progress)
        if not result.best_dir.is_dir():
            raise RetrainError(f"training wrote no best model under {work / 'run'}; see {work / 'run' / 'train.log'}.")
        counts = {split: sum(1 for r in rows if r.split == split) for split in ("train", "dev", "test")}
        metrics = {
            "test": headline(result.test_metrics),
            "test_text_only": headline(result.test_metrics, mode="text"),
            "test_hash": data_hash(rows, "test"),
            "best_epoch": result.best_epoch,
            "epochs_run": result.epochs_run,
            "seconds": round(result.seconds, 1),
            "dev_history": [{k: v for k, v in h.items() if k != "per_mode"} for h in result.dev_history],
            "rows": counts,
            "store": {"added": merge.added, "in_gold": merge.in_gold, "eval_documents": merge.eval_documents,
                      "unresolved": len(merge.unresolved)},
        }
        digest = data_hash(rows)
        run_config = {**train_config.to_dict(), "data": "<retrain dataset>", "out": "<registry>",
                      "warm_start": config.from_base is None, "start": parent,
                      "store": str(config.store), "gold_data": str(config.dataset or config.data),
                      "include_silver": config.include_silver}
        version = Registry(config.registry).register(
            result.best_dir, metrics=metrics, config=run_config, data_hash=digest, parent=parent, move=True
        )
    finally:
        if config.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    info = Registry(config.registry).get(version)
    return RetrainResult(version, info.path, metrics, digest, parent, counts, merge)
