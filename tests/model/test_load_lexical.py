"""``TfidfScorer`` (numpy) reproduces ``TfidfOvR.decision_function`` (scikit-learn) bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from risklens.model.lexical import TfidfScorer
from risklens.model.tfidf import TfidfOvR

TEXTS = [
    "公司主要原材料价格大幅上涨，可能导致毛利率下降。",
    "风险因素\n若核心技术人员离职，公司的研发进度将受到不利影响。" * 5,
    "Export  CONTROLS may restrict\t\taccess to EQUIPMENT.",
    "",
    "   ",
    "汇率波动风险",
]


def _check(directory: Path) -> None:
    expected = TfidfOvR.load(directory).decision_function(TEXTS)
    got = TfidfScorer.load(directory).decision_function(TEXTS)
    assert got.shape == expected.shape and np.array_equal(got, expected)


def test_tiny_model(tiny_fused_dir: Path) -> None:
    _check(tiny_fused_dir)


def test_shipped_model() -> None:
    shipped = Path(__file__).resolve().parents[2] / "model" / "default"
    if not (shipped / "tfidf.json").is_file():
        pytest.skip("no shipped model in this checkout")
    _check(shipped)


def test_save_writes_the_files_it_read(tiny_fused_dir: Path, tmp_path: Path) -> None:
    TfidfScorer.load(tiny_fused_dir).save(tmp_path)
    assert np.array_equal(TfidfOvR.load(tmp_path).decision_function(TEXTS),
                          TfidfOvR.load(tiny_fused_dir).decision_function(TEXTS))
    with pytest.raises(ValueError, match="wrap it in a list"):
        TfidfScorer.load(tiny_fused_dir).decision_function("公司")  # type: ignore[arg-type]
