"""The ``risklens`` command line: a thin shell over plain functions in the packages.

Every subcommand lives in its own module under ``risklens/commands/`` with three names:
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. This module only
wires them into argparse; it never parses files, loads models or trains anything itself.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from risklens import __version__

# Subcommand name -> module under risklens.commands, in the order `--help` lists them.
COMMANDS: dict[str, str] = {
    "paragraphs": "paragraphs",
    "labels": "labels",
    "base-model": "base_model",
    "train": "train",
    "evaluate": "evaluate",
    "predict": "predict",
    "benchmark": "benchmark",
    "score": "score",
    "compare": "compare",
    "serve": "serve",
    "retrain": "retrain",
    "models": "models",
    "corpus": "corpus",
}


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="risklens",
        description="Find, tag and score the risk disclosures of Chinese A-share filings.",
    )
    parser.add_argument("--version", action="version", version=f"risklens {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"risklens.commands.{module_name}")
        command = sub.add_parser(
            name,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print("risklens: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
