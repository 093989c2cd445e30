"""The small public Python API, for notebooks and scripts.

    from risklens import load_model, score_filing, compare_filings

    model = load_model()                              # the same model `risklens score` uses
    profile = score_filing("prospectus.pdf", model)   # a FilingProfile
    profile.disclosed()[:5]                           # the five highest-scoring risks
    profile.leaf("entity_list_sanctions").evidence    # where the filing says it
    profile.to_dict()                                 # the JSON of `risklens score --format json`
    change = compare_filings("2023.pdf", "2024.pdf", model)

Everything here is a thin wrapper over ``risklens.model`` and ``risklens.scoring``, so a
notebook needs no internal module. Errors a user can cause are
``risklens.filings.FilingError`` (unreadable file, no risk section, …) and
``FileNotFoundError`` / ``ValueError`` for a missing or malformed model directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from risklens.model.classifier import Precision, RiskClassifier
    from risklens.scoring.compare import Comparison
    from risklens.scoring.profile import FilingProfile
    from risklens.scoring.score import ScoredFiling

Source = str | Path | bytes
"""A filing: a path (PDF, text, Markdown, page-lines JSON) or the bytes of one."""

__all__ = ["compare_filings", "load_model", "score_filing"]


def load_model(path: str | Path | None = None, *, precision: Precision = "auto") -> RiskClassifier:
    """Load the classifier from ``path``, or the one the command line would use.

    Without ``path`` the rule of every command applies: ``$RISKLENS_MODEL``, else the
    model promoted in the registry, else the shipped ``model/default``. Load it once and
    pass it to ``score_filing``; loading takes seconds, scoring a filing much less.
    """
    from risklens.model.classifier import RiskClassifier
    from risklens.model.registry import resolve_model_path

    resolved = resolve_model_path(Path(path) if path is not None else None)
    return RiskClassifier.from_pretrained(resolved, precision=precision)


def _scored(source: Source, model: RiskClassifier | None, name: str | None) -> ScoredFiling:
    from risklens.scoring.score import score_source

    classifier = model if model is not None else load_model()
    if isinstance(source, bytes):
        if not name:
            raise ValueError(
                "a filing given as bytes needs name= (e.g. 'prospectus.pdf') to tell its type; "
                "pass score_filing(data, name=...) or give compare_filings paths."
            )
        return score_source(source, classifier, name=name)
    path = Path(source)
    return score_source(path, classifier, name=name or str(path))


def score_filing(source: Source, model: RiskClassifier | None = None, *, name: str | None = None) -> FilingProfile:
    """The risk profile of one filing: every leaf's score, disclosure and evidence.

    ``model`` defaults to ``load_model()`` (loaded on each call: pass one for many files).
    ``name`` is required for bytes, so the reader can tell a PDF from text.
    """
    return _scored(source, model, name).profile


def compare_filings(old: Source, new: Source, model: RiskClassifier | None = None) -> Comparison:
    """Risks added, removed and changed from ``old`` to ``new`` (as ``risklens compare``)."""
    from risklens.scoring.compare import compare_filings as compare

    classifier = model if model is not None else load_model()
    return compare(_scored(old, classifier, None), _scored(new, classifier, None))
