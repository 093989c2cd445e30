"""A tiny base model and a tiny labelled dataset, written by the tests themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from risklens.labels.taxonomy import to_multi_hot
from risklens.model.testing import make_tiny_classifier
from tests.corpus.filings import ANNUAL_REPORT, PROSPECTUS
from tests.examples import ROWS


def _record(i: int, split: str, kind: str, row: tuple[str, str, list[str]]) -> dict[str, object]:
    heading, text, labels = row
    return {"id": f"{split}-{i}", "doc": f"doc-{split}-{i % 3}", "text": text, "heading": heading,
            "labels": to_multi_hot(labels), "label_ids": labels, "kind": kind}


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_classifier(tmp_path_factory.mktemp("base") / "tiny-base", max_length=64)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import datasets

    train = [_record(i, "train", "gold", row) for i, row in enumerate(ROWS)]
    train += [_record(i + 100, "train", "silver", row) for i, row in enumerate(ROWS[:6])]
    dev = [_record(i, "dev", "gold", row) for i, row in enumerate(ROWS)]
    test = [_record(i, "test", "gold", row) for i, row in enumerate(ROWS[::-1])]
    out = tmp_path_factory.mktemp("data") / "dataset"
    datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(train), "dev": datasets.Dataset.from_list(dev),
         "test": datasets.Dataset.from_list(test)}
    ).save_to_disk(str(out))
    return out


@pytest.fixture(scope="session")
def tiny_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("jsonl") / "test.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        for i, (heading, text, labels) in enumerate(ROWS):
            handle.write(json.dumps({"id": f"t{i}", "text": text, "heading": heading, "labels": labels},
                                    ensure_ascii=False) + "\n")
    return out


@pytest.fixture()
def tiny_corpus(tmp_path: Path) -> Path:
    """A corpus root with a train prospectus, a dev annual report and an unlabelled filing."""
    root = tmp_path / "shared"
    (root / "corpus/ipo").mkdir(parents=True)
    (root / "corpus/annual").mkdir(parents=True)
    (root / "corpus/ipo/train_doc.txt").write_text(PROSPECTUS, encoding="utf-8")
    (root / "corpus/annual/dev_doc.txt").write_text(ANNUAL_REPORT, encoding="utf-8")
    (root / "corpus/annual/unlabelled.txt").write_text(ANNUAL_REPORT.replace("晨光", "晨曦"), encoding="utf-8")
    return root
