"""The shipped encoder's forward pass in plain torch, so ``predict`` never imports transformers.

A saved classifier is a Hugging Face ``BertForSequenceClassification`` directory, and
``transformers`` can load it; but importing ``transformers.modeling_utils`` pulls in
torch.distributed, dynamo and scipy and costs 2–3 s of every CLI call, more than loading the
weights. Inference needs none of that: BERT is embeddings, twelve identical layers, a pooler
and a linear head. :class:`BertClassifier` is that network with the same module names (so
the safetensors state dict loads as it is) and the same operations in the same order as
transformers 5's SDPA path (boolean key-padding mask, or none when the batch has no padding),
which makes its logits bit-identical to ``AutoModelForSequenceClassification``'s in fp32 and
under bf16 autocast; ``tests/model/test_load_encoder.py`` holds it to that.

:func:`load_encoder` reads ``config.json`` and the weights. Weights saved as fp16 are upcast
to fp32 except, when the encoder will run under bf16 autocast, the linear layers: autocast
would cast them to bf16 on every call anyway, so they are cast once, straight from fp16,
which gives the same bf16 values and skips an fp32 copy of two thirds of the weights.
Directories this module does not know (another architecture, another activation) are
refused with :class:`UnsupportedEncoder`, and the caller falls back to transformers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


def _linear(d_in: int, d_out: int) -> nn.Linear:
    """An ``nn.Linear`` with uninitialised weights (they are loaded next; random init would cost
    time, and building on the meta device imports torch's compiler stack, seconds more)."""
    module = nn.Linear.__new__(nn.Linear)
    nn.Module.__init__(module)
    module.in_features, module.out_features = d_in, d_out
    module.weight = nn.Parameter(torch.empty(d_out, d_in))
    module.bias = nn.Parameter(torch.empty(d_out))
    return module


def _embedding(rows: int, dim: int, padding_idx: int | None = None) -> nn.Embedding:
    """An ``nn.Embedding`` with uninitialised weights (see ``_linear``)."""
    return nn.Embedding(rows, dim, padding_idx=padding_idx, _weight=torch.empty(rows, dim))


def _layer_norm(dim: int, eps: float) -> nn.LayerNorm:
    """An ``nn.LayerNorm`` (its init is two fills of a few hundred numbers, nothing to skip)."""
    return nn.LayerNorm(dim, eps=eps)


class UnsupportedEncoder(ValueError):
    """The directory holds a model this plain-torch path does not implement."""


@dataclass(frozen=True)
class BertShape:
    """The parts of ``config.json`` the forward pass needs."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    num_labels: int
    pad_token_id: int

    @classmethod
    def from_config(cls, config: dict[str, Any], where: Path) -> BertShape:
        """Check that ``config`` is a plain BERT sequence classifier this module reproduces exactly."""
        wanted = {"architectures": ["BertForSequenceClassification"], "hidden_act": "gelu",
                  "position_embedding_type": "absolute", "is_decoder": False, "add_cross_attention": False}
        for key, value in wanted.items():
            if key in config and config[key] != value and not (key == "architectures" and config[key] == ["BertModel"]):
                raise UnsupportedEncoder(f"{where}: {key} is {config[key]!r}, the plain-torch encoder needs {value!r}.")
        if config.get("model_type", "bert") != "bert" or config.get("chunk_size_feed_forward", 0):
            raise UnsupportedEncoder(f"{where}: model_type {config.get('model_type')!r} is not a plain BERT.")
        try:
            return cls(
                vocab_size=int(config["vocab_size"]), hidden_size=int(config["hidden_size"]),
                num_hidden_layers=int(config["num_hidden_layers"]),
                num_attention_heads=int(config["num_attention_heads"]),
                intermediate_size=int(config["intermediate_size"]),
                max_position_embeddings=int(config["max_position_embeddings"]),
                type_vocab_size=int(config.get("type_vocab_size", 2)),
                layer_norm_eps=float(config.get("layer_norm_eps", 1e-12)),
                num_labels=len(config["id2label"]), pad_token_id=int(config.get("pad_token_id") or 0),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UnsupportedEncoder(f"{where}: config.json lacks or garbles {exc}.") from None


class _Embeddings(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.word_embeddings = _embedding(s.vocab_size, s.hidden_size, padding_idx=s.pad_token_id)
        self.position_embeddings = _embedding(s.max_position_embeddings, s.hidden_size)
        self.token_type_embeddings = _embedding(s.type_vocab_size, s.hidden_size)
        self.LayerNorm = _layer_norm(s.hidden_size, eps=s.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        embeddings = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(positions)
        return self.LayerNorm(embeddings)


class _SelfAttention(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.head_size = s.hidden_size // s.num_attention_heads
        self.query = _linear(s.hidden_size, s.hidden_size)
        self.key = _linear(s.hidden_size, s.hidden_size)
        self.value = _linear(s.hidden_size, s.hidden_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        shape = (*hidden.shape[:-1], -1, self.head_size)
        q = self.query(hidden).view(*shape).transpose(1, 2)
        k = self.key(hidden).view(*shape).transpose(1, 2)
        v = self.value(hidden).view(*shape).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.0,
                                             scale=self.head_size**-0.5, is_causal=False)
        out = out.reshape(out.shape[0], -1, q.shape[2], v.shape[-1]).transpose(1, 2).contiguous()
        return out.reshape(*hidden.shape[:-1], -1).contiguous()


class _DenseNorm(nn.Module):
    """``LayerNorm(dense(x) + residual)``: BERT's attention output and FFN output blocks."""

    def __init__(self, d_in: int, d_out: int, eps: float) -> None:
        super().__init__()
        self.dense = _linear(d_in, d_out)
        self.LayerNorm = _layer_norm(d_out, eps=eps)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(hidden) + residual)


class _Attention(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.self = _SelfAttention(s)
        self.output = _DenseNorm(s.hidden_size, s.hidden_size, s.layer_norm_eps)


class _Intermediate(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.dense = _linear(s.hidden_size, s.intermediate_size)


class _Layer(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.attention = _Attention(s)
        self.intermediate = _Intermediate(s)
        self.output = _DenseNorm(s.intermediate_size, s.hidden_size, s.layer_norm_eps)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        attended = self.attention.output(self.attention.self(hidden, mask), hidden)
        return self.output(F.gelu(self.intermediate.dense(attended)), attended)


class _Encoder(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.layer = nn.ModuleList([_Layer(s) for _ in range(s.num_hidden_layers)])


class _Pooler(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.dense = _linear(s.hidden_size, s.hidden_size)


class _Bert(nn.Module):
    def __init__(self, s: BertShape) -> None:
        super().__init__()
        self.embeddings = _Embeddings(s)
        self.encoder = _Encoder(s)
        self.pooler = _Pooler(s)


class BertClassifier(nn.Module):
    """``BertForSequenceClassification``'s inference forward; ``model(**batch).logits`` as in transformers."""

    def __init__(self, shape: BertShape, config: dict[str, Any]) -> None:
        super().__init__()
        self.shape = shape
        self.config = SimpleNamespace(**config)  # what callers read: id2label, num_labels, type_vocab_size
        self.config.id2label = {int(i): label for i, label in config["id2label"].items()}
        self.config.num_labels = shape.num_labels
        self.bert = _Bert(shape)
        self.classifier = _linear(shape.hidden_size, shape.num_labels)
        self.source: Path | None = None  # the safetensors file the weights came from

    def restore_fp32(self) -> None:
        """Reload linear weights cast to bf16 at load (see :func:`load_encoder`) from the file, as fp32.

        Under bf16 autocast the results are the same; fp32 inference, int8 quantisation and
        saving need the file's precision back, which a bf16 copy has lost.
        """
        bf16 = [name for name, tensor in self.state_dict().items() if tensor.dtype == torch.bfloat16]
        if not bf16:
            return
        if self.source is None:
            raise ValueError("this encoder holds bf16 weights and no file to restore them from; load it again.")
        from safetensors import safe_open

        with safe_open(str(self.source), framework="pt") as weights:
            restored = {name: weights.get_tensor(name).to(torch.float32) for name in bf16}
        self.load_state_dict(restored, strict=False, assign=True)

    def save_config(self, directory: Path, labels: tuple[str, ...]) -> None:
        """Write ``config.json`` as transformers would: the loaded config, multi-label, ``labels`` in order."""
        config = {key: value for key, value in vars(self.config).items() if key != "num_labels"}
        config.update(problem_type="multi_label_classification", id2label={str(i): label for i, label in enumerate(labels)},
                      label2id={label: i for i, label in enumerate(labels)})
        (Path(directory) / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", "utf-8")

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> SimpleNamespace:
        types = token_type_ids if token_type_ids is not None else torch.zeros_like(input_ids)
        hidden = self.bert.embeddings(input_ids, types)
        mask = None
        if not bool(attention_mask.all()):  # transformers drops an all-ones mask too (and SDPA then differs)
            n, width = attention_mask.shape
            mask = attention_mask.bool()[:, None, None, :].expand(n, 1, width, width).contiguous()
        for layer in self.bert.encoder.layer:
            hidden = layer(hidden, mask)
        pooled = torch.tanh(self.bert.pooler.dense(hidden[:, 0]))
        return SimpleNamespace(logits=self.classifier(pooled))


def load_encoder(directory: Path, *, bf16_linear: bool = False) -> BertClassifier:
    """The classifier in ``directory`` (config.json + model.safetensors), in eval mode.

    ``bf16_linear`` stores the linear layers' weights as bf16 (for bf16 autocast, see the
    module docstring); everything else is fp32. Raises :class:`UnsupportedEncoder` when the
    directory is not a plain BERT classifier (use transformers for it).
    """
    from safetensors.torch import load_file

    config = json.loads((directory / "config.json").read_text("utf-8"))
    shape = BertShape.from_config(config, directory)
    model = BertClassifier(shape, config)
    state = load_file(str(directory / "model.safetensors"))
    linear = {f"{name}.{part}" for name, module in model.named_modules() if isinstance(module, nn.Linear)
              for part in ("weight", "bias")}
    expected = set(model.state_dict())
    missing, unexpected = expected - set(state), set(state) - expected - {"bert.embeddings.position_ids"}
    if missing or unexpected:
        raise UnsupportedEncoder(f"{directory}: weights do not match a plain BERT classifier "
                                 f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]}).")
    for name in expected:
        dtype = torch.bfloat16 if bf16_linear and name in linear else torch.float32
        state[name] = state[name].to(dtype)
    model.load_state_dict({name: state[name] for name in expected}, assign=True)
    model.source = directory / "model.safetensors"
    return model.eval()
