"""``risklens paragraphs``: filings to paragraphs (JSONL or a table), or a corpus report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

HELP = "turn filings (PDF, text, page-lines JSON, Markdown) into risk-section paragraphs"
DESCRIPTION = """\
Turn filings into clean, addressable paragraphs.

One record per paragraph: doc (content-hash id), id, section (risk_factors, major_matters,
special_risks, annual_report_risks, inquiry_risk_prompt, risk_management, other), heading
(path, outermost first, joined with " / "), page (null when the filing does not say),
start/end (offsets into the normalised text), text.

--sections risk   every risk-disclosure section (default); a bank's 风险管理 section
                  (risk_management) only when the filing has no other risk section
--sections major  重大事项提示 and 特别风险提示 only
--sections all    every paragraph; section "other" outside risk sections

--report FILE_OR_DIR...  per document, the sections found and heading/paragraph counts.
Files that cannot be read get one line on stderr; the others are still processed."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="filings, or directories with --report")
    parser.add_argument("--sections", choices=("risk", "major", "all"), default="risk")
    parser.add_argument("--format", choices=("jsonl", "table"), default="jsonl", dest="fmt")
    parser.add_argument(
        "--report", action="store_true", help="print a per-document corpus report instead of paragraphs"
    )


def run(args: argparse.Namespace) -> int:
    if args.report:
        return _run_report(args.files, sys.stdout)
    return _run_paragraphs(args.files, args.sections, args.fmt, sys.stdout, sys.stderr)


def _run_report(paths: list[Path], out: TextIO) -> int:
    from risklens.filings.report import expand, format_report, report_file

    reports = [report_file(path) for path in expand(paths)]
    if not reports:
        print("risklens paragraphs --report: no .pdf, .txt or .md files found in the given paths", file=sys.stderr)
        return 2
    print(format_report(reports), file=out)
    return 0 if all(r.passed for r in reports) else 1


def _run_paragraphs(paths: list[Path], sections: str, fmt: str, out: TextIO, err: TextIO) -> int:
    from risklens.filings import FilingError, extract_paragraphs, load_document

    failed = 0
    for path in paths:
        try:
            doc = load_document(path)
            paragraphs = extract_paragraphs(doc, sections)
        except FilingError as exc:
            hint = "; --sections all lists every paragraph" if exc.code == "no_risk_section" else ""
            print(f"risklens paragraphs: {exc}{hint}", file=err)
            failed += 1
            continue
        for p in paragraphs:
            if fmt == "jsonl":
                out.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
            else:
                text = p.text if len(p.text) <= 60 else p.text[:59] + "…"
                out.write(f"{p.id}\t{p.section}\t{f'p.{p.page}' if p.page else 'page unknown'}\t{p.heading.split(' / ')[-1] if p.heading else '-'}\t{text}\n")
    return 1 if failed else 0
