"""Shared fixtures: where ../shared lives, and the rule for tests that need it.

Tests that read the corpus or seeds use the ``shared_dir`` fixture. When ``../shared`` is
missing they skip on a developer machine but *fail* in CI (``CI`` or
``RISKLENS_REQUIRE_CORPUS`` set), so a CI run can never go green by skipping them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_root() -> Path:
    return Path(os.environ.get("RISKLENS_SHARED", REPO_ROOT.parent / "shared")).resolve()


def corpus_required() -> bool:
    """True when missing shared data must fail the test instead of skipping it."""
    return bool(os.environ.get("RISKLENS_REQUIRE_CORPUS") or os.environ.get("CI"))


SHARED_HINT = "put the shared folder beside the checkout or set RISKLENS_SHARED."


def need_path(path: Path, what: str, hint: str = SHARED_HINT) -> Path:
    """Return ``path`` if it exists; otherwise fail (CI) or skip (developer machine)."""
    if path.exists():
        return path
    message = f"{what} not found at {path}; {hint}"
    if corpus_required():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``../shared`` folder (seeds, corpus, TAXONOMY.md)."""
    return need_path(_shared_root(), "../shared")


@pytest.fixture(scope="session")
def seeds_dir(shared_dir: Path) -> Path:
    return need_path(shared_dir / "seeds", "shared/seeds")


@pytest.fixture(scope="session")
def corpus_dir(shared_dir: Path) -> Path:
    return need_path(shared_dir / "corpus", "shared/corpus")


@pytest.fixture(autouse=True, scope="session")
def private_risklens_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point ``$RISKLENS_HOME`` at an empty temporary folder for the whole run.

    The model registry and the label store default to the user's data directory; no test
    may read a model someone promoted there or write into their store.
    """
    home = tmp_path_factory.mktemp("risklens-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RISKLENS_HOME", str(home))
        yield home
