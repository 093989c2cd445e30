"""Label Studio import and export, so annotators can work in a real tool.

Export writes a JSON list of tasks (``data.text``, ``data.heading`` and ``data.ref`` — the
stand-off reference the label will be stored against) plus the labelling config: a
multiple-choice field named ``labels`` with the 30 leaves. Import reads Label Studio's JSON
export (tasks with ``annotations``) and returns one ``LabelledTask`` per completed,
non-cancelled annotation; unknown leaf ids are refused with a suggestion.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from risklens.labels.taxonomy import LEAVES, UnknownLabelError, validate_labels

FROM_NAME = "labels"
TO_NAME = "text"


class LabelStudioError(ValueError):
    """A Label Studio file that is not in the expected shape."""


def labelling_config() -> str:
    """The Label Studio labelling config (XML) for taxonomy v1."""
    choices = "\n".join(
        f'    <Choice value="{leaf.id}" hint="{escape(leaf.zh)} — {escape(leaf.en)}"/>' for leaf in LEAVES
    )
    return (
        "<View>\n"
        '  <Header value="$heading"/>\n'
        f'  <Text name="{TO_NAME}" value="$text"/>\n'
        f'  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="multiple" showInLine="false">\n'
        f"{choices}\n"
        "  </Choices>\n"
        "</View>\n"
    )


@dataclass(frozen=True)
class Task:
    """A paragraph to label: its text, heading and where it came from."""

    text: str
    heading: str = ""
    ref: dict[str, Any] = field(default_factory=dict)
    predicted: tuple[str, ...] = ()
    score: float | None = None


@dataclass(frozen=True)
class LabelledTask:
    """A completed Label Studio annotation."""

    task_id: int | str
    text: str
    heading: str
    ref: dict[str, Any]
    labels: tuple[str, ...]
    annotator: str


def export_tasks(tasks: Sequence[Task], path: Path, *, model_version: str = "") -> int:
    """Write tasks as a Label Studio import file (with pre-annotations when predicted)."""
    out: list[dict[str, Any]] = []
    for number, task in enumerate(tasks, start=1):
        item: dict[str, Any] = {
            "id": number,
            "data": {"text": task.text, "heading": task.heading, "ref": task.ref},
        }
        if task.predicted or task.score is not None:
            item["predictions"] = [
                {
                    "model_version": model_version,
                    "score": task.score if task.score is not None else 0.0,
                    "result": [
                        {
                            "from_name": FROM_NAME,
                            "to_name": TO_NAME,
                            "type": "choices",
                            "value": {"choices": list(task.predicted)},
                        }
                    ],
                }
            ]
        out.append(item)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    config = path.with_name(path.stem + ".config.xml")
    config.write_text(labelling_config(), encoding="utf-8")
    return len(out)


def _annotator(annotation: dict[str, Any]) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id") or "labelstudio")
    if who is None:
        return "labelstudio"
    return str(who)


def _choices(result: Iterable[Any], where: str) -> list[str]:
    chosen: list[str] = []
    for item in result:
        if not isinstance(item, dict) or item.get("type") != "choices":
            continue
        if item.get("from_name", FROM_NAME) != FROM_NAME:
            continue
        values = item.get("value", {}).get("choices", [])
        if not isinstance(values, list):
            raise LabelStudioError(f"{where}: value.choices must be a list, got {type(values).__name__}.")
        chosen.extend(values)
    try:
        return validate_labels(chosen, where=where)
    except UnknownLabelError as exc:
        raise LabelStudioError(str(exc)) from None


def _task_where(path: Path, index: int, task: object) -> str:
    """How errors name a task: its file, position and (when it has one) Label Studio id."""
    task_id = task.get("id") if isinstance(task, dict) else None
    return f"{path} task #{index + 1}" + (f" (id {task_id})" if task_id is not None else "")


def import_tasks(path: Path) -> list[LabelledTask]:
    """Read a Label Studio JSON export; one result per completed annotation.

    Every problem, an unknown leaf id included, is a ``LabelStudioError`` naming the file,
    the task and the offending value.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LabelStudioError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}).") from None
    except OSError as exc:
        raise LabelStudioError(f"{path}: cannot read ({exc.strerror}).") from None
    if not isinstance(raw, list):
        raise LabelStudioError(f"{path}: expected a JSON list of tasks (Label Studio's JSON export).")
    out: list[LabelledTask] = []
    for index, task in enumerate(raw):
        where = _task_where(path, index, task)
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise LabelStudioError(f"{where}: expected an object with a 'data' object.")
        data = task["data"]
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise LabelStudioError(f"{where}: data.text is missing or empty.")
        for annotation in task.get("annotations") or []:
            if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
                continue
            labels = _choices(annotation.get("result") or [], where)
            out.append(
                LabelledTask(
                    task_id=task.get("id", index + 1),
                    text=text,
                    heading=str(data.get("heading") or ""),
                    ref=dict(data.get("ref") or {}),
                    labels=tuple(labels),
                    annotator=_annotator(annotation),
                )
            )
    return out
