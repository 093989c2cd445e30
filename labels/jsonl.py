"""Reading JSON Lines with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def iter_json_lines(
    path: Path, error: type[Exception] = ValueError, *, hint: str = ""
) -> Iterator[tuple[int, Any]]:
    """Yield ``(line number, parsed value)`` for every non-blank line of ``path``.

    A line that is not JSON raises ``error`` with "FILE:LINE: not valid JSON (why)" plus
    ``hint``, so each caller keeps its own exception type and advice.
    """
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise error(f"{path}:{number}: not valid JSON ({exc.msg}){hint}.") from None
            except RecursionError:
                raise error(f"{path}:{number}: JSON nested too deeply to read{hint}.") from None
