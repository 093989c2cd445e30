"""Every selectable runtime gives the torch path's labels on ≥ 97% of the test split.

The rule of issue #23: a runtime is offered by ``--runtime`` (``model.runtimes.RUNTIMES``)
only if, with the shipped model, it labels the gold test paragraphs as the default torch
path does on at least 97% of them, with headings and without. The paragraphs are resolved
from ../shared at test time (stand-off annotations in labels/data); half of the split,
every other paragraph, keeps the test under a minute on two cores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.labels.annotations import load_all
from risklens.labels.dataset import build_rows
from risklens.model.classifier import RiskClassifier
from risklens.model.registry import SHIPPED_MODEL
from risklens.model.runtimes import RUNTIMES
from tests.model.test_runtime_onnx import need_onnxruntime
from tests.model.test_runtime_openvino import need_openvino

pytestmark = [pytest.mark.shipped_model, pytest.mark.corpus]

REPO = Path(__file__).resolve().parents[2]
AGREEMENT = 0.97


@pytest.fixture(scope="module")
def test_split(shared_dir: Path) -> list[dict[str, str]]:
    records = [r for r in load_all(REPO / "labels" / "data") if r.kind != "silver" and r.split == "test"]
    rows = build_rows(records, shared_dir, include_silver=False)
    assert len(rows) >= 200, f"expected the ~256-paragraph gold test split, resolved {len(rows)}"
    return [{"text": row.text, "heading": row.heading} for row in rows[::2]]


@pytest.fixture(scope="module")
def torch_labels(test_split: list[dict[str, str]]) -> dict[bool, list[list[str]]]:
    clf = RiskClassifier.from_pretrained(SHIPPED_MODEL)
    return {headings: [p.labels for p in clf.predict(test_split, use_headings=headings)] for headings in (True, False)}


@pytest.mark.parametrize("runtime", [name for name in RUNTIMES if name != "torch"])
def test_runtime_agrees_with_torch_on_the_test_split(runtime: str, test_split: list[dict[str, str]],
                                                     torch_labels: dict[bool, list[list[str]]]) -> None:
    need_openvino() if runtime == "openvino" else need_onnxruntime()
    clf = RiskClassifier.from_pretrained(SHIPPED_MODEL, runtime=runtime)
    for headings in (True, False):
        labels = [p.labels for p in clf.predict(test_split, use_headings=headings)]
        same = sum(a == b for a, b in zip(labels, torch_labels[headings], strict=True)) / len(labels)
        assert same >= AGREEMENT, f"{runtime}, headings={headings}: same labels on {same:.1%} of {len(labels)}"
