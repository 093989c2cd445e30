"""What identifies a run's inputs without naming where they lay: ids and content hashes.

A model's ``training_config.json`` travels (registry, shipped model, someone else's
machine), so it records the data folder's name and the base model's id with a sha256 of
their files instead of absolute paths; the same hash on another machine means the same
inputs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def tree_sha256(root: Path) -> str | None:
    """sha256 over every file under ``root`` (relative path and content, in sorted order).

    None when ``root`` is not a directory (e.g. the base model of a finished run was moved).
    """
    root = Path(root)
    if not root.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def base_id(base: Path) -> str:
    """A readable id for the base model: its recorded name, else the directory name."""
    for name in ("risklens_base.json", "config.json"):
        path = Path(base) / name
        if path.is_file():
            try:
                data = json.loads(path.read_text("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            for key in ("name_or_path", "_name_or_path"):
                if isinstance(data.get(key), str) and data[key]:
                    name = data[key]  # transformers records the folder it loaded from: keep its name only
                    return f"{Path(name).name if Path(name).is_absolute() else name} [{Path(base).name}]"
    return Path(base).name


def provenance(data: str, base_model: str) -> dict[str, Any]:
    """``{"data": {name, sha256}, "base_model": {id, sha256}}`` for a run's inputs."""
    data_dir, base = Path(data), Path(base_model)
    return {"data": {"name": data_dir.name, "sha256": tree_sha256(data_dir)},
            "base_model": {"id": base_id(base), "sha256": tree_sha256(base)}}
