"""Issue #22, label round 6: mine non-risk paragraphs as hard negatives, and hold some out.

The near-miss set's ``[]`` groups fail on text the gold data barely held: environmental and
safety records, R&D and patent achievements, reported results, post-audit status updates,
negations as the whole point, section intros. Filings hold plenty of it outside their risk
sections. This script finds it there, in every filing no evaluation reads (no dev, test or
near-miss eval document), by one pattern per kind, and keeps the text out of the repository:

    python experiments/mine_negatives.py mine --corpus ../shared --out /tmp/round6
        # candidates.jsonl (with text), check_docs.json, batch0.jsonl … batch3.jsonl
    # annotators write labels0.jsonl … labels3.jsonl: {"cid", "labels", "mixed", "why"} per line
    python experiments/mine_negatives.py merge --out /tmp/round6 --drop c0154 c0371 c0442 c0522
        # gold_add.jsonl (append to labels/data/gold.jsonl) and mined_check.jsonl

``mine`` samples at most three candidates per filing and kind, and picks the held-out check
documents (a fifth of the candidates' filings, among those no gold record comes from) before
any label is read. ``merge`` puts the check documents' ``[]`` paragraphs in the check file
(near-miss format, part ``eval``) and drops their labelled ones, so no check document feeds
training; everything else becomes ``train`` gold.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from risklens.labels.annotations import Annotation, read_annotations, text_hash, write_annotations
from risklens.labels.nearmiss import read_near_miss
from risklens.labels.sources import file_hash
from risklens.labels.taxonomy import LABELS

GLOBS = ("corpus/mdna-docx/*.docx", "corpus/annual-reports-pdf/*.pdf", "corpus/annual-reports-md/*.md",
         "corpus/ipo-2007-2021/*.txt", "corpus/ipo-2024-2025/*.md", "corpus/annual-reports/*.pdf")
KINDS = {
    "env_csr": re.compile(r"环境保护|环保|达标排放|清洁生产|节能减排|安全生产|社会责任|质量管理体系|职业健康"),
    "rd_achieve": re.compile(r"技术创新|研发投入|成功开发|成功研发|获得.*专利|申请.*专利|新产品.*(开发|投产)|技术中心"),
    "results": re.compile(r"(营业收入|营业总收入|净利润|毛利|销售收入|产量|销量).{0,30}(同比|较上年|较上年同期|比上年)(增长|增加|上升)"),
    "forecast": re.compile(r"预计.{0,40}(营业收入|净利润|业绩).{0,40}(增长|增加)"),
    "status": re.compile(r"(未发生|均未发生|没有发生|无重大)(重大)?变化|经营状况良好|经营情况良好|生产经营正常"),
    "negation": re.compile(r"不存在.{0,40}(风险|重大不利|情形)|未发生.{0,30}(重大|事故|纠纷)|不会对.{0,30}产生重大(不利)?影响"),
    "intro": re.compile(r"(下述|下列|以下|如下)(的)?(主要)?(风险|不确定)[^。]{0,20}[：:]$"),
}
"""One pattern per kind of non-risk text; a paragraph may match several."""

RISK_WORDS = re.compile(r"风险|可能|不利|若|如果|一旦|不确定|存在.*隐患|挑战|压力|下滑|下降|减少|亏损")
"""Achievements, records and results that use these words may be arguing a risk: skipped."""

NEGATED_KINDS = ("negation", "status", "intro")
"""Kinds that use risk words by nature; kept whatever their wording."""

QUOTA = {"intro": 10, "forecast": 10, "results": 70, "status": 70, "negation": 110, "rd_achieve": 170, "env_csr": 200}
"""Candidates per kind (the rare kinds first, so a paragraph goes to its rarest kind)."""


def kinds_of(text: str) -> list[str]:
    """The kinds a paragraph matches, or ``[]`` when it is a candidate of none."""
    kinds = [kind for kind, pattern in KINDS.items() if pattern.search(text)]
    if not kinds or (RISK_WORDS.search(text) and not set(kinds) & set(NEGATED_KINDS)):
        return []
    return kinds


def _mine_file(job: tuple[Path, str, frozenset[str]]) -> list[dict[str, Any]]:
    """Candidates of one filing's non-risk paragraphs (25–700 characters, not yet labelled)."""
    from risklens.filings import ingest

    root, doc, known = job
    _, paragraphs = ingest(root / doc, sections="all")
    digest = file_hash(root / doc)
    out = []
    for p in paragraphs:
        kinds = kinds_of(p.text) if 25 <= len(p.text) <= 700 else []
        if kinds and text_hash(p.text) not in known:
            out.append({"doc": doc, "doc_hash": digest, "start": p.start, "end": p.end, "text_hash": text_hash(p.text),
                        "section": p.section, "heading": p.heading, "page": p.page, "cats": kinds, "text": p.text})
    return out


def sample(candidates: Iterable[dict[str, Any]], seed: int = 22, per_filing: int = 3) -> list[dict[str, Any]]:
    """Up to ``QUOTA`` per kind, at most ``per_filing`` per filing and kind, each text once."""
    rng = random.Random(seed)
    pool = list(candidates)
    taken: list[dict[str, Any]] = []
    used: set[str] = set()
    per: Counter[tuple[str, str]] = Counter()
    for kind, quota in sorted(QUOTA.items(), key=lambda kv: kv[1]):
        choices = [c for c in pool if kind in c["cats"] and c["text_hash"] not in used]
        rng.shuffle(choices)
        count = 0
        for c in choices:
            if count >= quota:
                break
            if per[(c["doc"], kind)] < per_filing:
                per[(c["doc"], kind)] += 1
                used.add(c["text_hash"])
                taken.append({**c, "cat": kind})
                count += 1
    rng.shuffle(taken)
    return [{**c, "cid": f"c{i:04d}"} for i, c in enumerate(taken)]


def mine(corpus: Path, labels_dir: Path, out: Path, batches: int) -> None:
    gold = read_annotations(labels_dir / "gold.jsonl")
    near_miss = read_near_miss(labels_dir / "near_miss" / "near_miss.jsonl")
    banned = {r.doc for r in gold if r.split in ("dev", "test")} | {r.doc for r in near_miss if r.extra["part"] == "eval"}
    known = frozenset({r.text_hash for r in gold} | {r.text_hash for r in near_miss})
    docs = [str(p.relative_to(corpus)) for g in GLOBS for p in sorted(corpus.glob(g))]
    docs = [d for d in docs if d not in banned]
    found: dict[str, dict[str, Any]] = {}
    with ProcessPoolExecutor(2) as pool:
        for i, rows in enumerate(pool.map(_mine_file, [(corpus, d, known) for d in docs], chunksize=4), start=1):
            for row in rows:
                found.setdefault(row["text_hash"], row)
            if i % 50 == 0:
                print(f"{i}/{len(docs)} filings, {len(found)} candidates", flush=True)
    chosen = sample(found.values())
    filings = sorted({c["doc"] for c in chosen})
    labelled = {r.doc for r in gold}
    free = [d for d in filings if d not in labelled]
    check = sorted(random.Random(2026).sample(free, round(0.2 * len(filings))))
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "candidates.jsonl", chosen)
    (out / "check_docs.json").write_text(json.dumps(check, ensure_ascii=False, indent=0), "utf-8")
    for b in range(batches):
        _write(out / f"batch{b}.jsonl", [{k: c[k] for k in ("cid", "heading", "text")} for c in chosen[b::batches]])
    print(f"{len(docs)} filings, {len(found)} candidates; sampled {len(chosen)} "
          f"({dict(Counter(c['cat'] for c in chosen))}) from {len(filings)} filings; {len(check)} held out")


def merge(out: Path, batches: int, drop: set[str]) -> None:
    chosen = {c["cid"]: c for c in map(json.loads, (out / "candidates.jsonl").open(encoding="utf-8"))}
    check_docs = set(json.loads((out / "check_docs.json").read_text("utf-8")))
    votes: dict[str, tuple[list[str], int]] = {}
    for b in range(batches):
        for line in (out / f"labels{b}.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            unknown = sorted(set(row["labels"]) - set(LABELS))
            if unknown or row["cid"] in votes:
                raise SystemExit(f"labels{b}.jsonl, {row['cid']}: unknown leaves {unknown} or labelled twice")
            votes[row["cid"]] = (sorted(row["labels"]), b)
    if set(chosen) - set(votes):
        raise SystemExit(f"unlabelled candidates: {sorted(set(chosen) - set(votes))[:5]} …")
    gold: list[Annotation] = []
    check: list[Annotation] = []
    counts = Counter[str]()
    for cid in sorted(chosen):
        c, (labels, b) = chosen[cid], votes[cid]
        if cid in drop:
            counts["dropped as ambiguous"] += 1
            continue
        record = {"annotator": f"hn-s9-{b}", "doc": c["doc"], "doc_hash": c["doc_hash"], "end": c["end"],
                  "heading": c["heading"], "kind": "gold", "labels": labels, "section": c["section"],
                  "split": "train", "start": c["start"], "text_hash": c["text_hash"]}
        if c["doc"] not in check_docs:
            gold.append(Annotation.from_json({**record, "id": f"g-hn-{cid[1:]}",
                                              "extra": {"page": c["page"], "mined": c["cat"]}}, where=cid))
            counts["train, labelled" if labels else "train, []"] += 1
        elif labels:
            counts["check document, labelled: dropped"] += 1
        else:
            group = "negated_risk" if c["cat"] == "negation" else "non_risk_statement"
            check.append(Annotation.from_json({**record, "id": f"nm-hn-{cid[1:]}", "extra": {
                "group": group, "part": "eval", "seen_in_train": False, "mined": c["cat"]}}, where=cid))
            counts[f"check, {group}"] += 1
    write_annotations(out / "gold_add.jsonl", gold)  # validated, labels in taxonomy order
    write_annotations(out / "mined_check.jsonl", check)
    print(dict(counts))


def _write(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    m = sub.add_parser("mine", help="candidates, held-out documents and annotator batches")
    m.add_argument("--corpus", type=Path, default=Path("../shared"))
    m.add_argument("--labels", type=Path, default=Path("labels/data"))
    g = sub.add_parser("merge", help="annotators' labels -> gold_add.jsonl and mined_check.jsonl")
    g.add_argument("--drop", nargs="*", default=[], help="candidate ids left out as ambiguous")
    for p in (m, g):
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--batches", type=int, default=4)
    args = parser.parse_args()
    if args.step == "mine":
        mine(args.corpus.resolve(), args.labels, args.out, args.batches)
    else:
        merge(args.out, args.batches, set(args.drop))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
