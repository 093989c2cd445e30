"""The near-miss set: real paragraphs on the taxonomy's hardest boundaries, stand-off, by group.

Issue #22 found the model's remaining errors where two leaves meet (sanctions vs generic
trade friction, trial goods vs inventory, R&D failure vs technology iteration, foreign
equipment shortages that are ``supply_chain``) and where a risk section says something that
is not a risk (a negated risk, a forecast, a status update, mitigation alone → ``[]``).
The set is labelled by reading each paragraph against TAXONOMY.md's boundary rules and is
stored like ``gold.jsonl``: document, offsets, text hash, labels — never the text.

Each record carries ``group`` (one of ``GROUPS``) and ``part``: ``eval`` records are a
held-out measurement, ``train`` records may be used as hard negatives (and positives) for
the TF-IDF model and fusion head. Parts are split by document, and no record comes from a
document of the dev or test split, so neither part leaks into selection or the test figure.
The file lives in a subfolder of ``labels/data`` so ``labels build`` does not pick it up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from risklens.labels.annotations import Annotation, AnnotationError, read_annotations
from risklens.labels.resolve import resolve_one

NEAR_MISS_FILE = Path("near_miss") / "near_miss.jsonl"
"""Where the set lies, relative to the annotation folder (``labels/data``)."""

MINED_CHECK_FILE = Path("near_miss") / "mined_check.jsonl"
"""Held-out non-risk paragraphs mined with the training negatives of ``gold.jsonl`` (annotators
``hn-s9-*``), from documents no gold record comes from; the same format, every record ``[]``
and ``eval``, so ``risklens evaluate --near-miss`` scores it."""

GROUPS: dict[str, tuple[str, ...]] = {
    "sanctions_vs_trade": ("entity_list_sanctions", "overseas_and_trade"),
    "trial_goods_vs_inventory": ("trial_goods", "inventory_impairment"),
    "rd_failure_vs_iteration": ("rd_failure", "technology_iteration"),
    "foreign_shortage": ("supply_chain", "entity_list_sanctions"),
    "negated_risk": (),
    "non_risk_statement": (),
}
"""Group -> the leaves whose confusion the group measures; ``()`` for groups whose gold is ``[]``."""

EMPTY_GROUPS = tuple(group for group, leaves in GROUPS.items() if not leaves)
PARTS = ("eval", "train")


@dataclass(frozen=True)
class NearMiss:
    """One near-miss paragraph with its text (read from the corpus at load time)."""

    annotation: Annotation
    text: str
    group: str
    part: str

    @property
    def labels(self) -> tuple[str, ...]:
        return self.annotation.labels


def read_near_miss(path: Path) -> list[Annotation]:
    """The records of a near-miss file, checked: known group and part, ``[]`` where the group
    demands it, and no document in both parts."""
    records = read_annotations(path)
    part_of: dict[str, str] = {}
    for record in records:
        where = f"{path}: record {record.id!r}"
        group, part = record.extra.get("group"), record.extra.get("part")
        if group not in GROUPS:
            raise AnnotationError(f"{where}: 'group' must be one of {sorted(GROUPS)}; got {group!r}.")
        if part not in PARTS:
            raise AnnotationError(f"{where}: 'part' must be one of {PARTS}; got {part!r}.")
        if group in EMPTY_GROUPS and record.labels:
            raise AnnotationError(f"{where}: group {group!r} holds paragraphs with no leaf, but it is labelled "
                                  f"{list(record.labels)}; move it to another group or label it [].")
        if record.split != "train":
            raise AnnotationError(f"{where}: near-miss records come from train-split documents only (their "
                                  f"split is 'train'); got {record.split!r}.")
        other = part_of.setdefault(record.doc, part)
        if other != part:
            raise AnnotationError(f"{where}: {record.doc} has records in both parts ({other!r} and {part!r}); "
                                  "the parts are split by document — move all of its records to one part.")
    return records


def check_disjoint(records: Sequence[Annotation], documents: dict[str, str]) -> None:
    """Refuse near-miss records from a document that ``documents`` (doc -> split of the gold
    data) puts in dev or test: they would leak into selection or the test figure."""
    for record in records:
        split = documents.get(record.doc)
        if split in ("dev", "test"):
            raise AnnotationError(f"near-miss record {record.id!r}: {record.doc} is a {split} document of the "
                                  "gold data; take near-miss paragraphs from train or unlabelled documents only.")


def load_near_miss(path: Path, corpus_root: Path, part: str | None = None) -> list[NearMiss]:
    """Resolve the near-miss records (all, or one ``part``) against the corpus."""
    if part is not None and part not in PARTS:
        raise ValueError(f"part must be one of {PARTS} or None; got {part!r}.")
    if not Path(path).is_file():
        raise FileNotFoundError(f"near-miss file {path} not found; it is labels/data/{NEAR_MISS_FILE} "
                                "in the repository.")
    out = []
    for record in read_near_miss(Path(path)):
        if part is None or record.extra["part"] == part:
            resolved = resolve_one(record, corpus_root)
            out.append(NearMiss(record, resolved.text, record.extra["group"], record.extra["part"]))
    return out
