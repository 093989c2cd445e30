"""Choose the part of e5's 250k-piece vocabulary that Chinese filings actually need.

multilingual-e5-small spends 96M of its 118M parameters on word embeddings for 100
languages. RiskLens reads Chinese filings, so we keep:

* every piece the full tokenizer produces on a corpus of filings (so corpus text is
  segmented exactly as before: the best path of the full lattice survives in the smaller
  lattice, which only loses paths);
* the single-character pieces (and their '▁'-prefixed forms) of every character seen in
  the corpus, of all of GB2312 (6,763 common hanzi plus its symbols), of printable ASCII
  and of CJK/general punctuation, so unseen text in the same script rarely hits ``<unk>``;
* the special tokens and the pieces of e5's ``"passage: "`` / ``"query: "`` prefixes.

Piece scores are kept, so the pruned Unigram model ranks segmentations as the full one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from risklens.model.e5s1 import E5S1Vocab

if TYPE_CHECKING:
    from tokenizers import Tokenizer

CORPUS_SUFFIXES = (".txt", ".md", ".jsonl", ".tsv")  # PDFs are skipped
ALWAYS_TOKENISED = ("passage: ", "query: ")
_BATCH_CHARS = 2_000_000  # characters per encode_batch call (bounded memory)


@dataclass(frozen=True)
class VocabSelection:
    """Source token ids to keep (sorted) and what the corpus scan saw."""

    keep_ids: list[int]
    files: int  # corpus files read
    chars: int  # characters tokenised
    used: int  # distinct ids the corpus text needed


def gb2312_chars() -> list[str]:
    """Every character of GB2312 (symbols rows 0xA1-0xA9 and hanzi rows 0xB0-0xF7)."""
    chars: list[str] = []
    for hi in list(range(0xA1, 0xAA)) + list(range(0xB0, 0xF8)):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def safety_chars() -> set[str]:
    """Characters whose single pieces are always kept: GB2312, ASCII, punctuation."""
    chars = set(gb2312_chars())
    chars.update(chr(c) for c in range(0x20, 0x7F))  # printable ASCII
    chars.update(chr(c) for c in range(0x2010, 0x2028))  # dashes, quotes, ellipsis
    chars.update(chr(c) for c in range(0x3000, 0x3040))  # CJK symbols and punctuation
    chars.update(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width forms
    return chars


def _strings(value: Any) -> Iterator[str]:
    """All string leaves of a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _file_texts(path: Path) -> Iterator[str]:
    """Text units of one corpus file.

    Page-lines JSON (``{"page": .., "inside": ..}`` per line) is re-joined per page, the
    way paragraphs are re-joined downstream; other JSON lines yield their string values;
    any other line is yielded as it is.
    """
    page_key: object = None
    page: list[str] = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            line = line.rstrip("\n")
            record: Any = None
            if line.startswith("{"):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    record = None
            if isinstance(record, dict) and "inside" in record:
                if record.get("page") != page_key and page:
                    yield "".join(page)
                    page = []
                page_key = record.get("page")
                page.append(str(record["inside"]))
                continue
            if page:
                yield "".join(page)
                page, page_key = [], None
            if record is not None:
                yield from (s for s in _strings(record) if s.strip())
            elif line.strip():
                yield line
    if page:
        yield "".join(page)


def corpus_files(corpus: Path) -> list[Path]:
    """Readable text files under ``corpus`` (sorted; hidden folders skipped)."""
    return sorted(
        p
        for p in corpus.rglob("*")
        if p.is_file()
        and p.suffix.lower() in CORPUS_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(corpus).parts)
    )


def corpus_texts(corpus: Path) -> Iterator[str]:
    """Every text unit of every corpus file (see :func:`_file_texts`)."""
    for path in corpus_files(corpus):
        yield from _file_texts(path)


def _batches(texts: Iterable[str], max_chars: int) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for text in texts:
        batch.append(text)
        size += len(text)
        if size >= max_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def single_char_ids(tokenizer: Tokenizer, chars: Iterable[str]) -> set[int]:
    """Ids of the pieces ``c`` and ``'▁' + c`` (after normalisation) for each char."""
    vocab = tokenizer.get_vocab()
    normalizer = tokenizer.normalizer
    ids: set[int] = set()
    for char in chars:
        norm = normalizer.normalize_str(char) if normalizer is not None else char
        for piece in (norm, "▁" + norm):
            if piece in vocab:
                ids.add(vocab[piece])
    return ids


def select_vocabulary(
    tokenizer: Tokenizer,
    vocab: E5S1Vocab,
    corpus: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> VocabSelection:
    """Scan ``corpus`` with the full ``tokenizer`` and return the ids to keep."""
    files = corpus_files(corpus)
    if not files:
        raise FileNotFoundError(f"no {'/'.join(CORPUS_SUFFIXES)} files under {corpus}")
    used: set[int] = set()
    seen_chars: set[str] = set()
    n_chars = 0
    for batch in _batches(corpus_texts(corpus), _BATCH_CHARS):
        for enc in tokenizer.encode_batch(batch, add_special_tokens=False):
            used.update(enc.ids)
        for text in batch:
            seen_chars.update(text)
        n_chars += sum(len(t) for t in batch)
        progress(f"tokenised {n_chars / 1e6:.1f}M chars, {len(used)} distinct tokens")
    n_used = len(used)
    for enc in tokenizer.encode_batch(list(ALWAYS_TOKENISED), add_special_tokens=False):
        used.update(enc.ids)
    specials = {vocab.bos_id, vocab.eos_id, vocab.pad_id, vocab.unk_id}
    specials.update(i for i, p in enumerate(vocab.pieces) if p == "<mask>")
    keep = used | specials | single_char_ids(tokenizer, seen_chars | safety_chars())
    return VocabSelection(sorted(keep), len(files), n_chars, n_used)
