"""What is unusual about a filing: its risks measured against filings of the same kind.

A **peer baseline** holds, for every cell (filing kind × CSRC industry × year) of a corpus,
the number of filings, their ids and per leaf how many disclose it plus two histograms of
the leaf's score (``risk-profile.v1``, 1-point bins): over all filings of the cell and over
those that disclose it. Numbers and ids only, no text; histograms add up, so any union of
cells is a peer group, and the baseline stays small at market scale. It comes from the
shipped model directory (``peer_baseline.json``) or from a corpus database
(``risklens.corpus.baseline``); this module needs no database.

**Peer group.** The filings of the same kind within the ``years`` up to the filing's year,
narrowed to its CSRC industry when it states one and at least ``min_peers`` share it. When
the group is smaller than ``min_peers`` it widens, in this order: all years of the kind, then
the kind's family (a refinancing 募集说明书 and an IPO 招股说明书 are both prospectuses). A
filing without a year is compared with all years. The filing itself is left out when the
baseline holds it. A group that stays below ``min_peers`` is *too small to judge*: its
numbers are reported, flags are not raised.

**Per leaf**: ``peer_prevalence`` = share of peers disclosing it; ``peer_median`` = median
score of the peers that disclose it; ``relative`` = this filing's percentile among all peers
= ``100 · F(score)`` with ``F`` the peers' score distribution, linear within a bin. ``F`` is
non-decreasing and ``score`` is monotone in the paragraph probabilities, so ``relative`` is
monotone in them too, and it lies in [0, 100]. A risk every peer discloses at the same
strength lands near 50; a risk few peers disclose lands near 100 once disclosed; a risk not
disclosed stays low. **Flags**: ``unusual`` (disclosed, prevalence < ``unusual_below``),
``expected_absent`` (not disclosed, prevalence ≥ ``expected_from``), ``emphasised``
(disclosed, not unusual, and at or above the ``1 − emphasised_top`` quantile of the scores
of the — at least ``MIN_DISCLOSING`` — peers that disclose it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from risklens.labels.taxonomy import LABELS, TAXONOMY_VERSION
from risklens.scoring.peer_group import PeerGroup
from risklens.scoring.profile import PROFILE_VERSION, FilingProfile, RiskScore

BASELINE_FORMAT = "risklens-peer-baseline.v1"
BASELINE_FILE = "peer_baseline.json"
"""The baseline's file name in a model directory."""
BINS = 100
"""Score histogram bins of 1 point: bin b holds scores in [b, b+1); 100 falls in bin 99."""
MIN_DISCLOSING = 10
"""Disclosing peers needed before "emphasised" (top decile of them) means anything."""

FAMILIES: dict[str, tuple[str, ...]] = {
    "prospectus": ("prospectus", "refinancing_prospectus"),
    "refinancing_prospectus": ("refinancing_prospectus", "prospectus"),
}
"""Kinds a group may widen to when the filing's own kind has too few peers."""

UNUSUAL = "unusual"
EXPECTED_ABSENT = "expected_absent"
EMPHASISED = "emphasised"
FLAG_TEXT = {
    UNUSUAL: "unusual for its peers",
    EXPECTED_ABSENT: "peers usually disclose, missing here",
    EMPHASISED: "emphasised more than its peers",
}

Histogram = dict[int, int]


class BaselineError(ValueError):
    """A peer baseline file is missing, unreadable or of another format or taxonomy."""


@dataclass(frozen=True)
class PeerOptions:
    """How peers are chosen and when a leaf is flagged (the command line's peer options)."""

    years: int = 5
    """Window: the filing's year and the ``years − 1`` before it."""
    min_peers: int = 20
    """Fewer peers than this: the group widens, or is reported as too small to judge."""
    unusual_below: float = 0.15
    expected_from: float = 0.60
    emphasised_top: float = 0.10

    def __post_init__(self) -> None:
        if self.years < 1 or self.min_peers < 1:
            raise ValueError(f"peer years and min_peers must be at least 1; got {self.years} and {self.min_peers}.")
        for name in ("unusual_below", "expected_from", "emphasised_top"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValueError(f"peer threshold {name} must be a share between 0 and 1 (exclusive); got {value}.")


@dataclass
class LeafCounts:
    """One leaf in one cell: filings disclosing it and the score histograms."""

    disclosing: int = 0
    scores: Histogram = field(default_factory=dict)
    """Scores of all filings of the cell (bin → filings)."""
    disclosed_scores: Histogram = field(default_factory=dict)
    """Scores of the filings that disclose the leaf."""

    def add(self, other: LeafCounts, sign: int = 1) -> None:
        self.disclosing += sign * other.disclosing
        for mine, theirs in ((self.scores, other.scores), (self.disclosed_scores, other.disclosed_scores)):
            for b, count in theirs.items():
                mine[b] = mine.get(b, 0) + sign * count


@dataclass
class PeerCell:
    """The filings of one kind, industry and year."""

    kind: str | None
    industry: str | None
    year: int | None
    members: list[str] = field(default_factory=list)
    leaves: dict[str, LeafCounts] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.members)


def score_bin(score: float) -> int:
    """The 1-point histogram bin of a 0–100 score."""
    return min(max(int(score), 0), BINS - 1)


@dataclass
class PeerBaseline:
    """Cells of a corpus with per-leaf counts; ``add_filing`` builds it, ``to_dict`` saves it."""

    cells: dict[tuple[str | None, str | None, int | None], PeerCell] = field(default_factory=dict)
    model: dict[str, str] = field(default_factory=dict)
    source: str = "corpus"
    """``shipped`` (the model directory's file) or ``database``."""

    def add_filing(
        self, filing_id: str, kind: str | None, industry: str | None, year: int | None,
        leaves: Mapping[str, tuple[float, bool]],
    ) -> None:
        """Count one filing: ``leaves`` maps every leaf to (score, disclosed)."""
        key = (kind, industry, year)
        cell = self.cells.setdefault(key, PeerCell(kind, industry, year))
        cell.members.append(filing_id)
        for leaf, (score, disclosed) in leaves.items():
            counts = cell.leaves.setdefault(leaf, LeafCounts())
            b = score_bin(score)
            counts.scores[b] = counts.scores.get(b, 0) + 1
            if disclosed:
                counts.disclosing += 1
                counts.disclosed_scores[b] = counts.disclosed_scores.get(b, 0) + 1

    @property
    def filings(self) -> int:
        return sum(cell.n for cell in self.cells.values())

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``peer_baseline.json``: numbers and ids only."""
        cells = []
        for cell in sorted(self.cells.values(), key=lambda c: (str(c.kind), str(c.industry), c.year or 0)):
            cells.append({
                "kind": cell.kind, "industry": cell.industry, "year": cell.year, "n": cell.n,
                "members": sorted(cell.members),
                "leaves": {
                    leaf: {"disclosing": c.disclosing, "scores": _pairs(c.scores), "disclosed_scores": _pairs(c.disclosed_scores)}
                    for leaf, c in sorted(cell.leaves.items())
                },
            })
        return {
            "format": BASELINE_FORMAT, "taxonomy_version": TAXONOMY_VERSION, "profile_version": PROFILE_VERSION,
            "model": dict(self.model), "bins": BINS, "filings": self.filings, "cells": cells,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "shipped") -> PeerBaseline:
        """Read ``to_dict``'s JSON; ``BaselineError`` for another format or taxonomy."""
        if data.get("format") != BASELINE_FORMAT or data.get("taxonomy_version") != TAXONOMY_VERSION:
            raise BaselineError(
                f"a peer baseline of format {data.get('format')!r} / {data.get('taxonomy_version')!r}; expected "
                f"{BASELINE_FORMAT} / {TAXONOMY_VERSION}. Recompute it with `risklens corpus baseline --db FILE --out PATH`."
            )
        out = cls(model={str(k): str(v) for k, v in dict(data.get("model") or {}).items()}, source=source)
        for raw in data.get("cells", []):
            cell = PeerCell(raw.get("kind"), raw.get("industry"), raw.get("year"), list(raw.get("members", [])))
            for leaf, c in dict(raw.get("leaves", {})).items():
                cell.leaves[leaf] = LeafCounts(int(c["disclosing"]), _unpairs(c["scores"]), _unpairs(c["disclosed_scores"]))
            out.cells[(cell.kind, cell.industry, cell.year)] = cell
        return out


def _pairs(hist: Histogram) -> list[list[int]]:
    return [[b, n] for b, n in sorted(hist.items()) if n]


def _unpairs(pairs: Iterable[Iterable[int]]) -> Histogram:
    return {int(b): int(n) for b, n in pairs}


def load_baseline(path: Path, source: str = "shipped") -> PeerBaseline:
    """Read a ``peer_baseline.json`` (``BaselineError`` naming the file when it cannot)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BaselineError(f"{path}: cannot read the peer baseline ({exc}); "
                            "recompute it with `risklens corpus baseline --db FILE --out PATH`.") from None
    try:
        return PeerBaseline.from_dict(data, source=source)
    except BaselineError as exc:
        raise BaselineError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise BaselineError(f"{path}: malformed peer baseline ({exc!r}); recompute it with "
                            "`risklens corpus baseline`.") from None


class BaselineCache:
    """One peer baseline, kept while the file it came from keeps its path, mtime and size.

    The server asks for the peers on every upload; reading them costs ~10 ms for the shipped
    JSON and a full table scan for a database. Callers never change a baseline they get.
    """

    def __init__(self) -> None:
        self._key: tuple[str, float, int] | None = None
        self._baseline: PeerBaseline | None = None

    def get(self, path: Path, load: Callable[[], PeerBaseline]) -> PeerBaseline:
        """The cached baseline of ``path``, or ``load()`` when the file changed (or is new)."""
        stat = Path(path).stat()
        key = (str(Path(path).resolve()), stat.st_mtime, stat.st_size)
        if key != self._key or self._baseline is None:
            self._baseline, self._key = load(), key
        return self._baseline


_SHIPPED = BaselineCache()


def model_baseline(model_dir: Path | None) -> PeerBaseline | None:
    """The baseline shipped in a model directory (cached while unchanged), or None when it has none."""
    if model_dir is None or not (Path(model_dir) / BASELINE_FILE).is_file():
        return None
    path = Path(model_dir) / BASELINE_FILE
    return _SHIPPED.get(path, lambda: load_baseline(path))


# ---------------------------------------------------------------------- peer group
def _candidates(kind: str | None, industry: str | None, year: int | None, years: int) -> list[tuple[tuple[str, ...], str | None, int | None, int | None]]:
    kinds = (kind,) if kind else ()
    family = FAMILIES.get(kind or "", kinds)
    window = (year - years + 1, year) if year is not None else (None, None)
    out = []
    if year is not None:
        if industry and kinds:
            out.append((kinds, industry, *window))
        out.append((kinds, None, *window))
    out.append((kinds, None, None, None))
    if family != kinds:
        if year is not None:
            out.append((family, None, *window))
        out.append((family, None, None, None))
    return out


def _select(baseline: PeerBaseline, kinds: tuple[str, ...], industry: str | None, since: int | None, until: int | None) -> list[PeerCell]:
    cells = []
    for cell in baseline.cells.values():
        if kinds and cell.kind not in kinds:
            continue
        if industry is not None and cell.industry != industry:
            continue
        if since is not None and (cell.year is None or not since <= cell.year <= (until or cell.year)):
            continue
        cells.append(cell)
    return cells


@dataclass
class PeerStats:
    """A chosen group's merged counts, this filing already taken out."""

    group: PeerGroup
    leaves: dict[str, LeafCounts]
    self_bins: dict[str, int] = field(default_factory=dict)
    """Where this filing sat in the baseline's histograms (when it was a member)."""


def choose_peers(
    baseline: PeerBaseline, kind: str | None, industry: str | None, year: int | None,
    doc_id: str = "", options: PeerOptions | None = None,
) -> PeerStats:
    """The first candidate group with at least ``min_peers`` peers, else the largest one."""
    options = options or PeerOptions()
    best: tuple[int, list[PeerCell], tuple[Any, ...]] | None = None
    for candidate in _candidates(kind, industry, year, options.years):
        cells = _select(baseline, *candidate)
        n = sum(c.n for c in cells) - sum(1 for c in cells if doc_id and doc_id in c.members)
        if n >= options.min_peers:
            best = (n, cells, candidate)
            break
        if best is None or n > best[0]:
            best = (n, cells, candidate)
    assert best is not None  # there is always the kind's all-years candidate
    n, cells, (kinds, ind, since, until) = best
    merged: dict[str, LeafCounts] = {leaf: LeafCounts() for leaf in LABELS}
    member = False
    for cell in cells:
        member = member or bool(doc_id and doc_id in cell.members)
        for leaf, counts in cell.leaves.items():
            merged.setdefault(leaf, LeafCounts()).add(counts)
    group = PeerGroup(
        kinds=list(kinds), industry=ind, since=since, until=until, n=max(n, 0),
        too_small=n < options.min_peers, source=baseline.source,
        options={k: float(v) for k, v in asdict(options).items()},
    )
    return PeerStats(group=group, leaves=merged, self_bins={"member": 1} if member else {})


# ---------------------------------------------------------------------- measures
def cdf(hist: Mapping[int, int], score: float, total: int) -> float:
    """Share of ``total`` peers scoring below ``score``, linear within the score's bin, in [0, 1]."""
    if total <= 0:
        return 0.0
    x = min(max(float(score), 0.0), float(BINS))
    b = int(x)
    below = sum(count for k, count in hist.items() if k < b)
    inside = hist.get(b, 0) if b < BINS else 0
    return min(max((below + (x - b) * max(inside, 0)) / total, 0.0), 1.0)


def median(hist: Mapping[int, int]) -> float | None:
    """Median of a histogram (linear within the bin), None when empty."""
    total = sum(hist.values())
    if total <= 0:
        return None
    half, seen = total / 2, 0
    for b in sorted(hist):
        if seen + hist[b] >= half and hist[b] > 0:
            return round(b + (half - seen) / hist[b], 1)
        seen += hist[b]
    return float(max(hist))


def relative_score(stats: PeerStats, leaf: str, score: float) -> float:
    """``100 · F(score)``: this filing's percentile among its peers for one leaf (0–100)."""
    counts = stats.leaves.get(leaf, LeafCounts())
    hist = dict(counts.scores)
    if stats.self_bins:  # take this filing out at its own bin; the clamp keeps F non-decreasing
        b = score_bin(score)
        hist[b] = max(hist.get(b, 0) - 1, 0)
    return round(100.0 * cdf(hist, score, stats.group.n), 1)


def _own_counts(stats: PeerStats, item: RiskScore) -> LeafCounts:
    counts = LeafCounts()
    counts.add(stats.leaves.get(item.id, LeafCounts()))
    if stats.self_bins:
        b = score_bin(item.score)
        if item.disclosed and counts.disclosing > 0:
            counts.disclosing -= 1
            counts.disclosed_scores[b] = max(counts.disclosed_scores.get(b, 0) - 1, 0)
    return counts


def leaf_flags(item: RiskScore, prevalence: float, counts: LeafCounts, options: PeerOptions) -> list[str]:
    """The flags of one leaf given its peers' prevalence and disclosed-score histogram."""
    if item.disclosed and prevalence < options.unusual_below:
        return [UNUSUAL]
    if not item.disclosed:
        return [EXPECTED_ABSENT] if prevalence >= options.expected_from else []
    if counts.disclosing >= MIN_DISCLOSING and cdf(counts.disclosed_scores, item.score, counts.disclosing) >= 1 - options.emphasised_top:
        return [EMPHASISED]
    return []


def apply_peers(profile: FilingProfile, baseline: PeerBaseline | None, options: PeerOptions | None = None) -> FilingProfile:
    """The profile with peer group, per-leaf prevalence, median, relative score and flags.

    Kind, industry and year come from ``profile.document``. Without a baseline the profile
    is returned unchanged (its ``peers`` stays None).
    """
    if baseline is None:
        return profile
    options = options or PeerOptions()
    doc = profile.document
    stats = choose_peers(baseline, doc.kind, doc.industry, doc.year, doc.doc_id, options)
    n = stats.group.n
    leaves = []
    for item in profile.leaves:
        counts = _own_counts(stats, item)
        prevalence = counts.disclosing / n if n > 0 else 0.0
        leaves.append(replace(
            item,
            peer_prevalence=round(prevalence, 4) if n > 0 else None,
            peer_median=median(counts.disclosed_scores),
            relative=relative_score(stats, item.id, item.score) if n > 0 else None,
            flags=[] if stats.group.too_small else leaf_flags(item, prevalence, counts, options),
        ))
    return replace(profile, leaves=leaves, peers=stats.group)


def relative_ranking(profile: FilingProfile) -> list[RiskScore]:
    """Disclosed leaves by relative score (then score): what stands out against the peers."""
    return sorted(profile.disclosed(), key=lambda r: (-(r.relative if r.relative is not None else -1.0), -r.score))


def flagged(profile: FilingProfile, flag: str) -> list[RiskScore]:
    """Leaves carrying ``flag``, best score first (prevalence first for expected-but-absent)."""
    items = [r for r in profile.leaves if flag in r.flags]
    if flag == EXPECTED_ABSENT:
        return sorted(items, key=lambda r: -(r.peer_prevalence or 0.0))
    return items
