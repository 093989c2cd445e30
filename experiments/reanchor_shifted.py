"""Move stand-off records whose text an ingestion change shifted, without changing the text.

    python experiments/reanchor_shifted.py --data labels/data --corpus ../shared [--write]

An ingestion change that puts a line break where a converted file had lost one (a risk-block
title glued to the text after it, ``filings.readers.docx.split_risk_title``) inserts characters
into the normalised text, so every record after it in that document points a few characters
too early. For each record whose text no longer matches its hash, this looks for a span of the
same length, within ``--max-shift`` characters of the old start, whose text has the record's
hash: the very paragraph the annotators read, moved. Only ``start``/``end`` change; records it
cannot place are listed (their text itself changed) and left for a person to settle. Without
``--write`` it only reports.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from risklens.labels.annotations import text_hash
from risklens.labels.sources import resolve_source


def new_start(text: str, start: int, end: int, digest: str, max_shift: int) -> int | None:
    """The start nearest to ``start`` of a span of length ``end - start`` hashing to ``digest``."""
    length = end - start
    for shift in sorted(range(-max_shift, max_shift + 1), key=abs):
        at = start + shift
        if at >= 0 and at + length <= len(text) and text_hash(text[at : at + length]) == digest:
            return at
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("labels/data"), help="the label folder (every *.jsonl below it)")
    parser.add_argument("--corpus", type=Path, default=Path("../shared"))
    parser.add_argument("--max-shift", type=int, default=200)
    parser.add_argument("--write", action="store_true", help="rewrite the files (otherwise only report)")
    args = parser.parse_args()

    stuck = 0
    for path in sorted(args.data.rglob("*.jsonl")):
        lines = path.read_text("utf-8").splitlines()
        changed = 0
        for i, line in enumerate(lines):
            record = json.loads(line)
            if not record.get("doc") or "start" not in record or "text" in record:  # inline text: nothing to move
                continue
            text = resolve_source(args.corpus, record["doc"]).text
            if text_hash(text[record["start"] : record["end"]]) == record["text_hash"]:
                continue
            at = new_start(text, record["start"], record["end"], record["text_hash"], args.max_shift)
            if at is None:
                stuck += 1
                print(f"{path}: {record['id']} ({record['doc']}[{record['start']}:{record['end']}]): not found nearby")
                continue
            print(f"{path}: {record['id']} {record['start']} -> {at}")
            length = record["end"] - record["start"]
            # only the two numbers change: the rest of the line stays byte for byte
            lines[i] = line.replace(f'"end": {record["end"]}', f'"end": {at + length}', 1).replace(
                f'"start": {record["start"]}', f'"start": {at}', 1)
            assert json.loads(lines[i]) == {**record, "start": at, "end": at + length}, record["id"]
            changed += 1
        if changed and args.write:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{stuck} record(s) could not be placed" if stuck else "every record resolves")


if __name__ == "__main__":
    main()
