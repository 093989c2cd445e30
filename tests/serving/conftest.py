"""Fixtures of the serving tests: a tiny random model, fake classifiers, made-up filings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.scoring.conftest import filing_file, later_filing_file
from tests.scoring.fakes import KeywordClassifier

__all__ = ["fake_loader", "filing_file", "later_filing_file", "tiny_model"]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight model directory (scores are noise: check formats only)."""
    from risklens.model.testing import make_tiny_classifier

    return make_tiny_classifier(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture()
def fake_loader() -> Callable[[Path], KeywordClassifier]:
    """A loader that hands out keyword classifiers with versions 1, 2, 3, …"""
    counter = {"n": 0}

    def load(path: Path) -> KeywordClassifier:
        counter["n"] += 1
        return KeywordClassifier(version=str(counter["n"]))

    return load
