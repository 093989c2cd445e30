"""Fixtures of the serving tests: a tiny random model, fake classifiers, made-up filings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.serving.fakes import FILING_MD, LATER_FILING_MD, KeywordClassifier


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight model directory (scores are noise: check formats only)."""
    from risklens.model.testing import make_tiny_classifier

    return make_tiny_classifier(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture()
def filing_file(tmp_path: Path) -> Path:
    path = tmp_path / "xinghe-prospectus.md"
    path.write_text(FILING_MD, encoding="utf-8")
    return path


@pytest.fixture()
def later_filing_file(tmp_path: Path) -> Path:
    path = tmp_path / "xinghe-offering.md"
    path.write_text(LATER_FILING_MD, encoding="utf-8")
    return path


@pytest.fixture()
def fake_loader() -> Callable[[Path], KeywordClassifier]:
    """A loader that hands out keyword classifiers with versions 1, 2, 3, …"""
    counter = {"n": 0}

    def load(path: Path) -> KeywordClassifier:
        counter["n"] += 1
        return KeywordClassifier(version=str(counter["n"]))

    return load
