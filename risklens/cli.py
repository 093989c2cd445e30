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
    "distill": "distill",
    "evaluate": "evaluate",
    "predict": "predict",
    "benchmark": "benchmark",
    "score": "score",
    "compare": "compare",
    "serve": "serve",
    "retrain": "retrain",
    "recalibrate": "recalibrate",
    "models": "models",
    "corpus": "corpus",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand.

    ``only`` (the command on the command line) imports just that command's module: the
    others get a bare placeholder, which saves a few hundred milliseconds of imports on
    every call. Without it (``risklens --help``, an unknown command) all are imported.
    """
    parser = argparse.ArgumentParser(
        prog="risklens",
        description="Find, tag and score the risk disclosures of Chinese A-share filings.",
    )
    parser.add_argument("--version", action="version", version=f"risklens {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name)
            continue
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
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words[0] if words and words[0] in COMMANDS else None)
    args = parser.parse_args(words)
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
