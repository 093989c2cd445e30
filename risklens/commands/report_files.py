"""How a benchmark command leaves its report: OUT.json and OUT.md, the table on stdout."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def write_report(command: str, out: Path, report: dict[str, Any], markdown: str, *, indent: int = 2) -> None:
    """Write ``out``.json (the numbers) and ``out``.md (``markdown``), print the Markdown, and
    name both files on stderr as ``risklens benchmark COMMAND: wrote …``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    json_path = out.with_name(out.name + ".json")
    md_path = out.with_name(out.name + ".md")
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=indent) + "\n", encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"risklens benchmark {command}: wrote {json_path} and {md_path}", file=sys.stderr)
