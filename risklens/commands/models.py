"""``risklens models``: list the registered model versions and promote one to default."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "list registered model versions (scores, data hash, default) and promote one"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="table comparing the registered versions")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    promote = sub.add_parser(
        "promote",
        help="make VERSION the default model (refused if its test macro-F1 is >0.5 point worse)",
    )
    promote.add_argument("version", help="a registered version, e.g. v3")
    promote.add_argument("--force", action="store_true", help="promote even if it scores worse")
    for child in (listing, promote):
        child.add_argument(
            "--registry", type=Path, default=None,
            help="registry folder (default: $RISKLENS_MODELS, else models/ in $RISKLENS_HOME or the user data dir)",
        )


def run(args: argparse.Namespace) -> int:
    from risklens.model.registry import Registry, RegistryError, format_table

    registry = Registry(args.registry)
    _note_old_registry(registry.root)
    try:
        if args.models_command == "list":
            if args.format == "json":
                print(json.dumps(registry.overview(), ensure_ascii=False, indent=1))
            else:
                print(format_table(registry))
            return 0
        promotion = registry.promote(args.version, force=args.force)
    except RegistryError as exc:
        print(f"risklens models {args.models_command}: {exc}", file=sys.stderr)
        return 1
    print(promotion.summary())
    return 0


def _note_old_registry(root: Path) -> None:
    """Say so when ./models holds a registry of the old rule (the current folder) that is not used."""
    old = Path("models")
    if (old / "DEFAULT.json").is_file() and old.resolve() != root.resolve():
        print(
            f"risklens models: ./models holds a registry that is no longer used (the registry is {root}); "
            "move its versions there, or set RISKLENS_MODELS to keep using it.",
            file=sys.stderr,
        )
