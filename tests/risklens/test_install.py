"""A built wheel works outside the checkout, beside a user's own ``model.py`` and ``labels.py``.

The folders filings/ labels/ model/ … install as ``risklens.filings`` …, so a notebook's
``model.py`` can no longer shadow them. This builds the real wheel (offline: no build
isolation), installs it into a temporary folder with the environment's dependencies, and
scores the bundled example from a folder whose ``model.py`` and ``labels.py`` raise on import.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "risklens" / "examples" / "example_prospectus.md"


# Left out of the copy the wheel is built from: a stale build/ would put deleted modules back.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", "runs", "reports")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "risklens"
    shutil.copytree(REPO, source, symlinks=True, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True, capture_output=True, text=True,
    )
    (built,) = out.glob("risklens-*.whl")
    return built


def test_the_wheel_holds_the_namespaced_packages_and_the_model(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.startswith("risklens-")}
    assert tops == {"risklens"}, f"only risklens/ may be installed at the top, got {sorted(tops)}"
    for package in ("filings", "labels", "model", "scoring", "serving", "training"):
        assert f"risklens/{package}/__init__.py" in names
    assert "risklens/model/default/model.safetensors" in names
    assert "risklens/labels/data/gold.jsonl" in names


@pytest.mark.shipped_model
def test_the_installed_wheel_scores_beside_user_modules(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True, text=True,
    )
    user = tmp_path / "notebook"
    user.mkdir()
    for name in ("model", "labels", "filings", "serving"):
        (user / f"{name}.py").write_text(f"raise RuntimeError('the user\\'s {name}.py was imported')\n")
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("RISKLENS_MODEL", None)
    where = subprocess.run(
        [sys.executable, "-c", "import risklens.model; print(risklens.model.__file__)"],
        cwd=user, env=env, capture_output=True, text=True, check=True,
    )
    assert where.stdout.strip().startswith(str(target))
    result = subprocess.run(
        [sys.executable, "-m", "risklens", "score", str(EXAMPLE), "--format", "json", "--no-progress"],
        cwd=user, env={**env, "RISKLENS_HOME": str(tmp_path / "home")}, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    profile = json.loads(result.stdout)
    assert profile["document"]["name"].endswith("example_prospectus.md")
    disclosed = {leaf["id"] for leaf in profile["leaves"] if leaf["disclosed"]}
    assert "entity_list_sanctions" in disclosed
