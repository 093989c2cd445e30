"""The peer options of ``risklens score`` (and what they turn into): ``--db``, thresholds, ``--no-peers``."""

from __future__ import annotations

import argparse
from pathlib import Path

from risklens.scoring.peers import PeerBaseline, PeerOptions


def add_peer_arguments(parser: argparse.ArgumentParser) -> None:
    """``--db`` and the peer-group options and flag thresholds."""
    defaults = PeerOptions()
    group = parser.add_argument_group(
        "peers", "each leaf is measured against filings of the same kind (serving/README.md, 'Peers')")
    group.add_argument("--db", type=Path, default=None, metavar="FILE",
                       help="take the peers from this corpus database (default: the model's shipped peer_baseline.json)")
    group.add_argument("--no-peers", action="store_true", help="no peer columns or flags")
    group.add_argument("--peer-years", type=int, default=defaults.years, metavar="N",
                       help=f"peers from the N years up to the filing's year (default {defaults.years})")
    group.add_argument("--min-peers", type=int, default=defaults.min_peers, metavar="N",
                       help=f"fewer peers widen the group, or make it too small to judge (default {defaults.min_peers})")
    group.add_argument("--unusual-below", type=float, default=defaults.unusual_below, metavar="SHARE",
                       help=f"'unusual': disclosed here, by fewer peers than this share (default {defaults.unusual_below})")
    group.add_argument("--expected-from", type=float, default=defaults.expected_from, metavar="SHARE",
                       help=f"'expected but absent': disclosed by at least this share of peers (default {defaults.expected_from})")
    group.add_argument("--emphasised-top", type=float, default=defaults.emphasised_top, metavar="SHARE",
                       help=f"'emphasised': score in this top share of disclosing peers (default {defaults.emphasised_top})")


def peer_options(args: argparse.Namespace) -> PeerOptions:
    """The options as ``PeerOptions`` (``ValueError`` naming the bad one)."""
    return PeerOptions(years=args.peer_years, min_peers=args.min_peers, unusual_below=args.unusual_below,
                       expected_from=args.expected_from, emphasised_top=args.emphasised_top)


def chosen_baseline(args: argparse.Namespace, model_dir: Path) -> PeerBaseline | None:
    """The database's peers (``--db``), the model's shipped baseline, or None (``--no-peers``)."""
    if args.no_peers:
        return None
    from risklens.corpus.baseline import peer_baseline

    return peer_baseline(args.db, model_dir)
