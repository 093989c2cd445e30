"""Which files a ``corpus build`` reads: files, folders (recursively) and glob patterns."""

from __future__ import annotations

import glob
from collections.abc import Iterable
from pathlib import Path

_GLOB_CHARS = frozenset("*?[")


class SourceError(ValueError):
    """A PATH argument names nothing that exists."""


def expand_sources(patterns: Iterable[str | Path]) -> list[Path]:
    """Every file under ``patterns``, in a stable order, each once.

    A folder stands for all files below it (hidden files and folders skipped); a pattern
    with ``*``, ``?`` or ``[`` is a glob (``**`` recursive). Raises ``SourceError`` naming
    the first argument that matches nothing.
    """
    seen: set[Path] = set()
    out: list[Path] = []
    for pattern in patterns:
        text = str(pattern)
        if _GLOB_CHARS & set(text):
            matches = [Path(p) for p in sorted(glob.glob(text, recursive=True))]
        else:
            matches = [Path(text)]
        found = False
        for match in matches:
            for path in _files(match):
                found = True
                key = path.resolve()
                if key not in seen:
                    seen.add(key)
                    out.append(path)
        if not found:
            raise SourceError(f"{text}: no such file or folder (or no file matches); check the path.")
    return out


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(
            p for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    return []
