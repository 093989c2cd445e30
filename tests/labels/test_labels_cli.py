"""``risklens labels …``: the command prints what ``labels.workflow`` returns (no corpus needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from risklens.cli import main
from risklens.commands.labels import DEFAULT_DATA
from risklens.labels import workflow
from risklens.labels.annotations import Annotation, read_annotations, text_hash, write_annotations
from risklens.labels.harvest import Harvested
from risklens.labels.taxonomy import LABELS


def _synthetic(rid: str, labels: tuple[str, ...], split: str, text: str) -> Annotation:
    return Annotation(id=rid, doc=f"synthetic/{rid}", labels=labels, split=split, kind="synthetic",
                      annotator="t", heading="风险因素", text=text)


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    write_annotations(data / "synthetic.jsonl", [
        _synthetic("s1", ("receivables_credit",), "train", "公司应收账款余额较大，存在坏账风险。"),
        _synthetic("s2", (), "train", "本次发行前滚存利润由新老股东共享。"),
        _synthetic("s3", ("stock_price",), "dev", "股票价格可能大幅波动。"),
    ])
    return data


def test_the_default_data_is_the_packaged_label_data() -> None:
    assert DEFAULT_DATA.is_dir() and (DEFAULT_DATA / "gold.jsonl").is_file()


def test_taxonomy_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["labels", "taxonomy"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "risk-taxonomy.v1: 30 leaves" and len(lines) == 31
    assert main(["labels", "taxonomy", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [leaf["id"] for leaf in data["leaves"]] == list(LABELS)


def test_stats_and_build(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["labels", "stats", "--data", str(data_dir)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "records by kind: synthetic=3"
    row = next(line for line in out if line.startswith("receivables_credit "))
    assert row.split() == ["receivables_credit", "0", "0", "0", "0", "1", "0"]
    assert workflow.stats(data_dir).by_kind == {"synthetic": 3}

    built = tmp_path / "built"
    assert main(["labels", "build", "--data", str(data_dir), "--corpus", str(tmp_path), "--out", str(built)]) == 0
    assert capsys.readouterr().out == (
        f"wrote {built}/dataset (train=2, dev=1, test=0) and {built}/{{train,dev,test}}.jsonl\n"
    )
    assert len((built / "train.jsonl").read_text("utf-8").splitlines()) == 2


def test_a_user_error_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["labels", "validate", "--data", str(tmp_path / "none"), "--corpus", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == f"risklens labels validate: annotation folder {tmp_path / 'none'} not found; pass --data pointing at labels/data.\n"
    with pytest.raises(workflow.UserError, match="not found"):
        workflow.validate(tmp_path / "none", tmp_path)


def test_validate_counts_kinds(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["labels", "validate", "--data", str(data_dir), "--corpus", str(tmp_path)]) == 0
    assert capsys.readouterr().out == (
        f"ok: 3 records (3 synthetic) resolve against {tmp_path}; splits are by document.\n"
    )


def _harvested(heading: str, section: str, start: int) -> Harvested:
    text = f"{heading}的具体说明。"
    return Harvested(doc="corpus/x.md", doc_hash="0" * 16, start=start, end=start + len(text),
                     text_hash=text_hash(text), section=section, heading=heading, page=1, text=text)


def test_silver_labels_risk_paragraphs_by_heading_and_reports_failures(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fake_harvest(corpus_root: Path, *, on_error: Any = None, **_: Any) -> Iterator[Harvested]:
        yield _harvested("第四节 风险因素 / 应收账款回收的风险", "risk_factors", 0)
        yield _harvested("第四节 风险因素 / 其他", "risk_factors", 100)
        yield _harvested("重大事项提示 / 应收账款回收的风险", "major_matters", 200)  # not a risk section
        on_error(tmp_path / "broken.pdf", ValueError("no text layer"))

    monkeypatch.setattr("risklens.labels.harvest.harvest", fake_harvest)
    out, report = tmp_path / "silver.jsonl", tmp_path / "reports" / "silver.md"
    args = ["labels", "silver", "--data", str(data_dir), "--corpus", str(tmp_path), "--out", str(out)]
    assert main([*args, "--report", str(report)]) == 0

    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == (
        f"silver: 2 risk-factor paragraphs harvested, 1 (50.0%) got at least one leaf from the heading "
        f"rules; written to {out}"
    )
    assert printed[1 + LABELS.index("receivables_credit")].split() == ["receivables_credit", "1"]
    assert printed[-2:] == ["1 filings could not be read: broken.pdf: no text layer", f"report: {report}"]
    assert [r.labels for r in read_annotations(out)] == [("receivables_credit",)]
    assert report.read_text("utf-8").startswith("# Silver labels: coverage and quality against gold")


def test_label_studio_export_then_import(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tasks = tmp_path / "ls" / "tasks.json"
    args = ["labels", "export-ls", "--data", str(data_dir), "--corpus", str(tmp_path), "--out", str(tasks)]
    assert main([*args, "--kind", "synthetic", "--split", "train"]) == 0
    assert capsys.readouterr().out == (
        f"wrote 2 Label Studio tasks to {tasks} (config: {tasks.with_name('tasks.config.xml')})\n"
    )
    assert len(json.loads(tasks.read_text("utf-8"))) == 2
