"""What ``risklens score`` and ``risklens compare`` do, as plain importable functions.

Score each file with one loaded classifier (reporting progress through callbacks the
caller supplies: the command line draws them as bars), collect one-line errors for files
that cannot be read instead of stopping, and render the result in the requested format.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from risklens.scoring.compare import Comparison
from risklens.scoring.profile import DocumentInfo, FilingProfile
from risklens.scoring.score import ClassifierLike, Progress, ScoredFiling, score_document

PROFILE_FORMATS = ("table", "json", "html", "md")
COMPARE_FORMATS = ("table", "json", "html", "md")


@dataclass
class BatchResult:
    """Scored filings and the one-line errors of those that failed."""

    scored: list[ScoredFiling] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def profiles(self) -> list[FilingProfile]:
        return [s.profile for s in self.scored]


FileProgress = Callable[[str], AbstractContextManager[Progress]]
"""Given a file's name, a context manager that yields its ``progress(done, total)`` callback
(``risklens.commands.progress.ProgressBar`` is one: a bar per file, closed when it ends)."""


def score_files(
    paths: Sequence[Path],
    classifier: ClassifierLike,
    *,
    batch_size: int = 32,
    progress: FileProgress | None = None,
    describe: Callable[[DocumentInfo, str], DocumentInfo] | None = None,
) -> BatchResult:
    """Score every file; a file that cannot be read adds an error line and is skipped.

    ``progress``, when given, is called with each file's name and reports that file's
    encoder windows done out of its total. ``describe(info, text)``, when given, fills in
    the profile's document facts from the filing's text (``corpus.baseline.describe_document``).
    """
    from risklens.filings import load_document
    from risklens.filings.errors import FilingError

    result = BatchResult()
    for path in paths:
        with progress(Path(path).name) if progress else nullcontext(None) as update:
            try:
                doc = load_document(Path(path), name=str(path))
                scored = score_document(doc, classifier, batch_size=batch_size, progress=update)
            except FilingError as exc:
                result.errors.append(str(exc))
                continue
        if describe is not None:
            scored.profile.document = describe(scored.profile.document, doc.text)
        result.scored.append(scored)
    return result


def render_profiles(profiles: Sequence[FilingProfile], fmt: str, top: int = 10) -> str:
    """Profiles as table, json (an object, or an array for several files), html or md."""
    if fmt == "json":
        import json

        data: Any = profiles[0].to_dict() if len(profiles) == 1 else [p.to_dict() for p in profiles]
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if fmt == "html":
        from risklens.scoring.report_html import profile_html

        return profile_html(profiles)
    if fmt == "md":
        from risklens.scoring.report_text import profiles_markdown

        return profiles_markdown(profiles, top)
    if fmt == "table":
        from risklens.scoring.report_text import profiles_table

        return profiles_table(profiles, top)
    raise ValueError(f"format must be one of {', '.join(PROFILE_FORMATS)}; got {fmt!r}.")


def render_comparison(comparison: Comparison, fmt: str) -> str:
    """A comparison as table, json, html or md."""
    if fmt == "json":
        import json

        return json.dumps(comparison.to_dict(), ensure_ascii=False, indent=1) + "\n"
    if fmt == "html":
        from risklens.scoring.report_html import comparison_html

        return comparison_html(comparison)
    if fmt == "md":
        from risklens.scoring.report_text import comparison_markdown

        return comparison_markdown(comparison)
    if fmt == "table":
        from risklens.scoring.report_text import comparison_table

        return comparison_table(comparison)
    raise ValueError(f"format must be one of {', '.join(COMPARE_FORMATS)}; got {fmt!r}.")


def write_output(text: str, out: Path | None) -> None:
    """Write to ``out`` (parents created) or to stdout."""
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
