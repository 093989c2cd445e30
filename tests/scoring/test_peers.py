"""Peer groups, prevalence, the relative score and flags (made-up baselines, no database)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from risklens.labels.taxonomy import LABELS
from risklens.scoring.peers import (
    BASELINE_FILE,
    EMPHASISED,
    EXPECTED_ABSENT,
    UNUSUAL,
    PeerBaseline,
    PeerOptions,
    apply_peers,
    choose_peers,
    load_baseline,
    relative_ranking,
)
from risklens.scoring.profile import DocumentInfo, build_profile
from tests.scoring.fakes import paras

REPO = Path(__file__).resolve().parents[2]


def _leaves(disclosed: set[str], score: float = 80.0) -> dict[str, tuple[float, bool]]:
    return {leaf: (score if leaf in disclosed else 1.0, leaf in disclosed) for leaf in LABELS}


def made_baseline(n: int = 40, kind: str = "prospectus", industry: str | None = None, year: int = 2022) -> PeerBaseline:
    """``n`` filings: all disclose customer_concentration, 80% receivables_credit, 5% trial_goods."""
    baseline = PeerBaseline(source="shipped")
    for i in range(n):
        disclosed = {"customer_concentration"}
        if i % 5:
            disclosed.add("receivables_credit")
        if i % 20 == 0:
            disclosed.add("trial_goods")
        leaves = _leaves(disclosed, score=50.0 + i)
        baseline.add_filing(f"{i:016x}", kind, industry, year, leaves)
    return baseline


def profile_of(probs: np.ndarray, doc: DocumentInfo):  # type: ignore[no-untyped-def]
    paragraphs = paras(*(("risk_factors", f"自拟段落{i}") for i in range(probs.shape[0])))
    return build_profile(paragraphs, probs, dict.fromkeys(LABELS, 0.5), document=doc)


DOC = DocumentInfo(name="x.md", doc_id="ffffffffffffffff", kind="prospectus", year=2023)


def test_flags_unusual_expected_absent_and_the_group_stated() -> None:
    probs = np.full((3, len(LABELS)), 0.01)
    probs[0, LABELS.index("trial_goods")] = 0.95
    probs[1, LABELS.index("customer_concentration")] = 0.9
    profile = apply_peers(profile_of(probs, DOC), made_baseline())
    assert profile.peers is not None and profile.peers.n == 40 and profile.peers.kinds == ["prospectus"]
    assert (profile.peers.since, profile.peers.until) == (2019, 2023) and not profile.peers.too_small
    assert profile.leaf("trial_goods").flags == [UNUSUAL]
    assert profile.leaf("trial_goods").peer_prevalence == pytest.approx(0.05)
    assert profile.leaf("receivables_credit").flags == [EXPECTED_ABSENT]
    assert profile.leaf("customer_concentration").flags in ([], [EMPHASISED])
    assert profile.leaf("customer_concentration").peer_prevalence == 1.0
    data = profile.to_dict()
    assert data["peers"]["n"] == 40 and "flags" in data["leaves"][0]
    # rare and disclosed outranks common and disclosed once measured against the peers
    assert relative_ranking(profile)[0].id == "trial_goods"


def test_a_small_group_widens_to_the_kind_family_then_says_it_is_too_small() -> None:
    baseline = made_baseline(n=25, kind="prospectus")
    for i in range(3):
        baseline.add_filing(f"r{i:015x}", "refinancing_prospectus", None, None, _leaves({"trial_goods"}))
    refi = DocumentInfo(name="r.md", doc_id="r000000000000000", kind="refinancing_prospectus")
    stats = choose_peers(baseline, refi.kind, None, None, refi.doc_id)
    assert stats.group.kinds == ["refinancing_prospectus", "prospectus"] and stats.group.n == 27  # itself left out
    small = choose_peers(baseline, "annual_report", None, 2022)
    assert small.group.too_small and small.group.n == 0
    probs = np.full((1, len(LABELS)), 0.9)
    profile = apply_peers(profile_of(probs, DocumentInfo(name="a", kind="annual_report", year=2022)), baseline)
    assert profile.peers is not None and profile.peers.too_small and all(not r.flags for r in profile.leaves)


def test_industry_narrows_only_with_enough_peers() -> None:
    baseline = made_baseline(n=30, industry="C39")
    for cell in made_baseline(n=30, industry="C26").cells.values():
        baseline.cells[(cell.kind, cell.industry, cell.year)] = cell
    assert choose_peers(baseline, "prospectus", "C39", 2023).group.industry == "C39"
    assert choose_peers(baseline, "prospectus", "C39", 2023, options=PeerOptions(min_peers=31)).group.industry is None


@pytest.mark.parametrize("member", [False, True])
def test_relative_score_is_monotone_in_the_filings_own_probabilities_and_bounded(member: bool) -> None:
    rng = np.random.default_rng(7)
    baseline = PeerBaseline()
    for i in range(60):
        leaves = {leaf: (float(rng.uniform(0, 100)), bool(rng.random() < 0.5)) for leaf in LABELS}
        baseline.add_filing("ffffffffffffffff" if member and i == 0 else f"{i:016x}", "prospectus", None, 2023, leaves)
    for _trial in range(25):
        probs = rng.uniform(0, 1, size=(6, len(LABELS)))
        before = apply_peers(profile_of(probs, DOC), baseline)
        row, col = rng.integers(6), rng.integers(len(LABELS))
        raised = probs.copy()
        raised[row, col] = min(1.0, probs[row, col] + rng.uniform(0, 0.5))
        after = apply_peers(profile_of(raised, DOC), baseline)
        for leaf in LABELS:
            a, b = before.leaf(leaf).relative, after.leaf(leaf).relative
            assert a is not None and b is not None and 0.0 <= a <= 100.0 and 0.0 <= b <= 100.0
            assert b >= a - 1e-9, (leaf, a, b)


def test_baseline_round_trips_and_rejects_another_format(tmp_path: Path) -> None:
    baseline = made_baseline()
    path = tmp_path / BASELINE_FILE
    path.write_text(json.dumps(baseline.to_dict()), encoding="utf-8")
    again = load_baseline(path)
    assert again.to_dict() == baseline.to_dict()
    path.write_text(json.dumps({**baseline.to_dict(), "format": "other"}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"(?i)recompute it"):
        load_baseline(path)
    with pytest.raises(ValueError, match="must be a share"):
        PeerOptions(unusual_below=1.5)


ID = re.compile(r"^([a-z_]+|[0-9a-f]{16}|[A-S]\d{2}|risklens-[a-z0-9-]+|[0-9T.]+|risklens-peer-baseline\.v1|risk-[a-z]+\.v1)$")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [*value.keys(), *(s for v in value.values() for s in _strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    assert value is None or isinstance(value, int | float | bool), value
    return []


def test_the_shipped_baseline_holds_only_numbers_and_ids() -> None:
    path = REPO / "model" / "default" / BASELINE_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    strings = _strings(data)
    assert strings and all(ID.match(s) for s in strings), [s for s in strings if not ID.match(s)][:5]
    assert not any(re.search(r"[\u4e00-\u9fff]", s) for s in strings)
    baseline = load_baseline(path)
    assert baseline.filings == data["filings"] >= 100
