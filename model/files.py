"""JSONL in / JSONL out prediction for the CLI: read paragraphs, write predictions.

Which model to load is ``model.registry.resolve_model`` (one rule for every command).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from risklens.labels.jsonl import iter_json_lines
from risklens.model.inputs import Paragraph, as_paragraph

if TYPE_CHECKING:
    from risklens.model.classifier import Progress, RiskClassifier


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` for every non-blank line of a TAXONOMY.md JSONL file.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming file and line
    for a line that is not a JSON object with a string ``text`` field.
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"{file}: file not found; expected JSON Lines with a 'text' field per line.")
    for number, record in iter_json_lines(file, hint="; expected one object per line"):
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise ValueError(f"{file}:{number}: expected an object with a string 'text' field.")
        yield number, record


def read_paragraphs(path: str | Path) -> list[Paragraph]:
    """Read TAXONOMY.md JSONL input ("text" required; "heading" and "id" optional)."""
    out: list[Paragraph] = []
    for number, record in iter_jsonl(path):
        try:
            out.append(as_paragraph(record, number))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
    return out


def iter_prediction_lines(
    classifier: RiskClassifier,
    paragraphs: list[Paragraph],
    *,
    batch_size: int = 32,
    use_headings: bool = True,
    progress: Progress | None = None,
) -> Iterator[str]:
    """JSON lines (``id``, ``labels``, ``scores`` for all 30 leaves) in input order."""
    for prediction in classifier.predict(paragraphs, batch_size, progress, use_headings=use_headings):
        yield json.dumps(prediction.to_dict(), ensure_ascii=False)


def write_predictions(
    classifier: RiskClassifier,
    paragraphs: list[Paragraph],
    handle: IO[str],
    *,
    batch_size: int = 32,
    use_headings: bool = True,
    progress: Progress | None = None,
) -> int:
    """Write predictions as JSONL to ``handle``; returns how many were written."""
    count = 0
    for line in iter_prediction_lines(
        classifier, paragraphs, batch_size=batch_size, use_headings=use_headings, progress=progress
    ):
        handle.write(line + "\n")
        count += 1
    return count
