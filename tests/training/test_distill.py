"""Distillation and self-training inputs: soft targets, the transfer set, a student cut from a teacher."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from risklens.cli import main
from risklens.labels.annotations import text_hash
from risklens.labels.taxonomy import LABELS, to_multi_hot
from risklens.model import RiskClassifier
from risklens.model.testing import make_tiny_classifier
from risklens.training.data import DataError, Example, Splits, load_dataset_dir
from risklens.training.student import StudentError, cut_student, spread_layers
from risklens.training.transfer import transfer_examples, unlabelled_paragraphs, with_transfer


def _save(rows: dict[str, list[dict[str, object]]], out: Path) -> Path:
    import datasets

    features = datasets.Features({
        "id": datasets.Value("string"), "doc": datasets.Value("string"), "text": datasets.Value("string"),
        "heading": datasets.Value("string"), "kind": datasets.Value("string"),
        "labels": datasets.Sequence(datasets.Value("float32"), length=len(LABELS)),
        "label_ids": datasets.Sequence(datasets.Value("string"))})
    datasets.DatasetDict({split: datasets.Dataset.from_list(items, features=features)
                          for split, items in rows.items()}).save_to_disk(str(out))
    return out


def _row(i: int, kind: str, labels: list[float], doc: str = "d", text: str = "") -> dict[str, object]:
    return {"id": f"r{i}", "doc": doc, "text": text or f"段落{i}", "heading": "", "kind": kind, "labels": labels,
            "label_ids": [label for label, v in zip(LABELS, labels, strict=True) if v >= 0.5]}


def test_silver_rows_keep_soft_targets_and_gold_rows_stay_hard(tmp_path: Path) -> None:
    soft = [0.0] * len(LABELS)
    soft[3], soft[7] = 0.75, 0.25
    path = _save({"train": [_row(0, "silver", soft), _row(1, "gold", soft)], "dev": [_row(2, "gold", soft)],
                  "test": [_row(3, "gold", soft)]}, tmp_path / "d")
    splits = load_dataset_dir(path)
    silver, gold = splits.train
    assert silver.targets[3] == pytest.approx(0.75) and silver.targets[7] == pytest.approx(0.25)
    assert silver.labels == (LABELS[3],)
    assert gold.targets[3] == 1.0 and gold.targets[7] == 0.0


def test_silver_targets_outside_zero_one_are_refused(tmp_path: Path) -> None:
    bad = [0.0] * len(LABELS)
    bad[0] = 1.5
    path = _save({"train": [_row(0, "silver", bad)], "dev": [_row(1, "gold", [0.0] * len(LABELS))],
                  "test": [_row(2, "gold", [0.0] * len(LABELS))]},
                 tmp_path / "d")
    with pytest.raises(DataError, match=r"silver 'labels' must be 30 values in \[0, 1\]"):
        load_dataset_dir(path)


def test_spread_layers_ends_at_the_top_layer() -> None:
    assert spread_layers(12, 6) == [1, 3, 5, 7, 9, 11]
    assert spread_layers(12, 4) == [2, 5, 8, 11]
    assert spread_layers(2, 2) == [0, 1]
    with pytest.raises(StudentError, match="between 1 and 12"):
        spread_layers(12, 13)


def _logits(model_dir: Path, text: str) -> np.ndarray:
    return RiskClassifier.from_pretrained(model_dir).encoder_logits([text])


def test_a_student_with_every_layer_is_the_teacher_and_fewer_layers_differ(tmp_path: Path) -> None:
    teacher = make_tiny_classifier(tmp_path / "teacher", max_length=64)
    cut_student(teacher, tmp_path / "all", [0, 1])
    kept = cut_student(teacher, tmp_path / "top", [1])
    assert kept["kept"] == [1] and kept["parameters"] < kept["teacher_parameters"]  # type: ignore[operator]
    text = "公司被列入实体清单，采购受限。"
    np.testing.assert_array_equal(_logits(tmp_path / "all", text), _logits(teacher, text))
    top = RiskClassifier.from_pretrained(tmp_path / "top")
    assert top.model.config.num_hidden_layers == 1
    from safetensors.torch import load_file

    student, original = load_file(str(tmp_path / "top/model.safetensors")), load_file(str(teacher / "model.safetensors"))
    key = "bert.encoder.layer.{}.attention.self.query.weight"
    assert torch.equal(student[key.format(0)], original[key.format(1)])  # the teacher's top layer is layer 0 now
    assert key.format(1) not in student
    assert not np.allclose(top.encoder_logits([text]), _logits(teacher, text))


def test_cut_student_names_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(StudentError, match=r"config\.json"):
        cut_student(tmp_path, tmp_path / "out", [0])
    teacher = make_tiny_classifier(tmp_path / "teacher", max_length=64)
    with pytest.raises(StudentError, match=r"layers 0\.\.1"):
        cut_student(teacher, tmp_path / "out", [2])


def _example(doc: str, text: str, split_labels: list[str]) -> Example:
    return Example(id=f"{doc}:{text[:4]}", text=text, heading="", labels=tuple(split_labels), doc=doc,
                   targets=np.asarray(to_multi_hot(split_labels), dtype=np.float64))


def test_transfer_reads_only_train_documents_and_skips_labelled_text(tiny_corpus: Path, tmp_path: Path) -> None:
    from risklens.labels.harvest import harvest_file

    train_paragraphs = harvest_file(tiny_corpus / "corpus/ipo/train_doc.txt", tiny_corpus)
    assert len(train_paragraphs) >= 3
    labelled = train_paragraphs[0]
    splits = Splits(train=[_example("corpus/ipo/train_doc.txt", labelled.text, ["entity_list_sanctions"])],
                    dev=[_example("corpus/annual/dev_doc.txt", "别的段落", [])], test=[])
    found, files, skipped, left_out = unlabelled_paragraphs(tiny_corpus, splits)
    assert (files, skipped) == (1, {"unreadable": 0, "no_risk_section": 0})  # neither the dev document nor the unlabelled filing is read
    assert left_out["labelled"] == 1
    assert {p.doc for p in found} == {"corpus/ipo/train_doc.txt"}
    assert text_hash(labelled.text) not in {p.text_hash for p in found}
    assert len(found) == len(train_paragraphs) - 1
    # near-miss eval documents are left out too
    assert unlabelled_paragraphs(tiny_corpus, splits, exclude_docs={"corpus/ipo/train_doc.txt"})[1] == 0


def test_transfer_rows_carry_the_teachers_probabilities_into_a_saved_dataset(
    tiny_corpus: Path, tmp_path: Path, tiny_dataset: Path
) -> None:
    teacher = RiskClassifier.from_pretrained(make_tiny_classifier(tmp_path / "teacher", max_length=64))
    splits = Splits(train=[_example("corpus/ipo/train_doc.txt", "不在语料中的段落", [])], dev=[], test=[])
    found = transfer_examples(teacher, tiny_corpus, splits)
    assert found.examples and all(e.kind == "silver" for e in found.examples)
    expected = teacher.predict_proba([e.paragraph() for e in found.examples])
    np.testing.assert_allclose(np.vstack([e.targets for e in found.examples]), expected)
    counts = with_transfer(tiny_dataset, found.examples, tmp_path / "extended")
    original = load_dataset_dir(tiny_dataset)
    extended = load_dataset_dir(tmp_path / "extended")
    assert counts["train"] == len(original.train) + len(found.examples)
    added = {e.id: e for e in extended.train if e.id.startswith("transfer:")}
    for example in found.examples:
        np.testing.assert_allclose(added[example.id].targets, example.targets, atol=1e-6)  # stored as float32
    assert [e.id for e in extended.dev] == [e.id for e in original.dev]


def test_distill_student_command_writes_a_loadable_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    teacher = make_tiny_classifier(tmp_path / "teacher", max_length=64)
    assert main(["distill", "student", "--teacher", str(teacher), "--layers", "1", "--out", str(tmp_path / "s")]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["kept"] == [1]
    assert RiskClassifier.from_pretrained(tmp_path / "s").model.config.num_hidden_layers == 1
    assert main(["distill", "student", "--teacher", str(teacher), "--layers", "3", "--out", str(tmp_path / "t")]) == 2
    assert "between 1 and 2" in capsys.readouterr().err


def test_sentence_spans_are_shorter_runs_of_whole_sentences() -> None:
    import random

    from risklens.training.transfer import sentence_spans

    text = "公司客户集中度较高。前五大客户收入占比超过六成；若主要客户需求下降，公司业绩将受到影响。公司将拓展新客户。"
    sentences = ["公司客户集中度较高。", "前五大客户收入占比超过六成；", "若主要客户需求下降，公司业绩将受到影响。", "公司将拓展新客户。"]
    spans = sentence_spans(text, 3, random.Random(1), min_chars=8)
    assert len(spans) == 3 and len(set(spans)) == 3
    for span in spans:
        assert span != text and span in text
        assert any(span.startswith(s) for s in sentences) and any(span.endswith(s) for s in sentences)
    assert spans == sentence_spans(text, 3, random.Random(1), min_chars=8)  # seeded: a rebuild is the same
    assert sentence_spans("只有一句话而已，没有第二句。", 2, random.Random(1), min_chars=1) == []
    assert all(len(s) >= 25 for s in sentence_spans(text, 10, random.Random(1), min_chars=25))
    assert sentence_spans(text, 0, random.Random(1)) == []


def test_corpus_scope_reads_every_filing_outside_evaluation(tiny_corpus: Path) -> None:
    splits = Splits(train=[_example("corpus/ipo/train_doc.txt", "不在语料中的段落", [])],
                    dev=[_example("corpus/annual/dev_doc.txt", "别的段落", [])], test=[])
    found, files, _, _ = unlabelled_paragraphs(tiny_corpus, splits, scope="corpus")
    assert files == 2 and {p.doc for p in found} == {"corpus/ipo/train_doc.txt", "corpus/annual/unlabelled.txt"}
    found, files, _, _ = unlabelled_paragraphs(tiny_corpus, splits, scope="corpus",
                                               exclude_docs={"corpus/annual/unlabelled.txt"})
    assert files == 1 and {p.doc for p in found} == {"corpus/ipo/train_doc.txt"}
    with pytest.raises(ValueError, match="scope must be one of"):
        unlabelled_paragraphs(tiny_corpus, splits, scope="everything")


def test_transfer_spans_carry_both_input_modes_targets_through_a_saved_dataset(
    tiny_corpus: Path, tmp_path: Path, tiny_dataset: Path
) -> None:
    teacher = RiskClassifier.from_pretrained(make_tiny_classifier(tmp_path / "teacher", max_length=64))
    gold = _example("corpus/ipo/train_doc.txt", "公司被列入实体清单。关键设备采购受限。研发进度可能放缓。", ["entity_list_sanctions"])
    splits = Splits(train=[gold], dev=[], test=[])
    found = transfer_examples(teacher, tiny_corpus, splits, scope="corpus", spans=2)
    spans = [e for e in found.examples if e.id.startswith("span:")]
    assert [e.text for e in spans if e.id.startswith(f"span:{gold.id}:")] == [
        "公司被列入实体清单。关键设备采购受限。", "关键设备采购受限。研发进度可能放缓。"]
    assert text_hash(gold.text) not in {text_hash(e.text) for e in found.examples}
    inputs = [e.paragraph() for e in found.examples]
    np.testing.assert_allclose(np.vstack([e.targets for e in found.examples]), teacher.predict_proba(inputs))
    np.testing.assert_allclose(np.vstack([e.text_targets for e in found.examples]),  # type: ignore[misc]
                               teacher.predict_proba(inputs, use_headings=False))
    with_transfer(tiny_dataset, found.examples, tmp_path / "extended")
    extended = {e.id: e for e in load_dataset_dir(tmp_path / "extended").train}
    for example in found.examples:
        np.testing.assert_allclose(extended[example.id].text_targets, example.text_targets, atol=1e-6)  # type: ignore[arg-type]
    assert all(e.text_targets is None for e in extended.values() if not e.id.startswith(("span:", "transfer:")))


def test_distill_transfer_command_with_corpus_scope_and_spans(
    tiny_corpus: Path, tiny_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    teacher = make_tiny_classifier(tmp_path / "teacher", max_length=64)
    out = tmp_path / "transfer"
    args = ["distill", "transfer", "--data", str(tiny_dataset), "--corpus", str(tiny_corpus), "--out", str(out),
            "--teacher", str(teacher), "--near-miss", str(tmp_path / "none.jsonl"), "--scope", "corpus", "--spans", "1"]
    assert main(args) == 0
    summary = json.loads((out / "transfer.json").read_text(encoding="utf-8"))
    assert summary["scope"] == "corpus" and summary["spans"] == 1 and summary["files"] == 3
    added = [e for e in load_dataset_dir(out).train if e.kind == "silver" and e.id.startswith(("transfer:", "span:"))]
    assert added and len(added) == summary["transfer_rows"]  # (the tiny filings' paragraphs are single sentences)
    assert all(e.text_targets is not None for e in added)
    assert main(args) == 2  # the output folder exists now
    assert "exists" in capsys.readouterr().err


def test_filings_without_a_risk_section_are_not_counted_as_unreadable(tiny_corpus: Path) -> None:
    from risklens.training.transfer import harvest_files

    (tiny_corpus / "corpus/annual/no_risks.txt").write_text("第一节 释义\n本报告中，公司指本公司。\n" * 3, encoding="utf-8")
    (tiny_corpus / "corpus/annual/empty.txt").write_text("", encoding="utf-8")
    paths = [tiny_corpus / "corpus/ipo/train_doc.txt", tiny_corpus / "corpus/annual/no_risks.txt",
             tiny_corpus / "corpus/annual/empty.txt"]
    found, skipped = harvest_files(paths, tiny_corpus, "test")
    assert skipped == {"unreadable": 1, "no_risk_section": 1}
    assert found and {p.doc for p in found} == {"corpus/ipo/train_doc.txt"}
