"""Domain-adaptive masked-LM pretraining of a base encoder on the corpus's risk paragraphs.

Issue #22 asks whether the encoder reads filings better after it has practised on them
before fine-tuning (Gururangan et al. 2020, "Don't stop pretraining": continued masked-LM
training on in-domain, task-like text). ``adaptation_paragraphs`` collects the risk
paragraphs of every filing in the corpus that no evaluation reads: dev and test documents
and the near-miss eval documents stay out, and so does any paragraph whose text is
labelled in dev or test (重大事项提示 repeats 风险因素, and filings of one issuer repeat each
other). ``adapt_encoder`` continues masked-LM training of a base model on them, in the
classifier's own input form (heading, text pair, 256-token windows), and writes a new base
model directory that ``risklens train --base-model`` fine-tunes like any other.

The masked-LM head is new (e5 ships none): its transform starts random and its decoder is
tied to the word embeddings, so the first steps train the head more than the encoder.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from risklens.labels.annotations import text_hash
from risklens.model.inputs import Paragraph, Window, make_windows
from risklens.training.data import Splits
from risklens.training.transfer import filings_outside_evaluation, harvest_files

Progress = Callable[[int, int], None]

ADAPT_META = "risklens_adapt.json"
COPIED = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "sentencepiece.bpe.model",
          "vocab.txt", "risklens_base.json")


class AdaptError(ValueError):
    """Adaptation cannot start: the base model, the output folder or the text is wrong."""


@dataclass(frozen=True)
class AdaptationText:
    """The paragraphs masked-LM training reads and what was left out, for the run log."""

    paragraphs: list[Paragraph]
    files: int
    skipped: dict[str, int]  # filings not used, by reason (``transfer.harvest_files``)
    left_out: dict[str, int]


def adaptation_paragraphs(
    corpus_root: Path, splits: Splits, exclude_docs: Iterable[str] = (), progress: Progress | None = None,
) -> AdaptationText:
    """Risk paragraphs of the corpus's filings outside evaluation, plus the train split's own texts."""
    paths, held_out = filings_outside_evaluation(corpus_root, splits, exclude_docs)
    evaluated = {text_hash(e.text) for e in splits.dev + splits.test}
    left_out = {"held_out_documents": held_out, "evaluated_text": 0, "duplicate": 0}
    kept: list[Paragraph] = []
    seen: set[str] = set()

    def add(text: str, heading: str) -> None:
        digest = text_hash(text)
        reason = "evaluated_text" if digest in evaluated else "duplicate" if digest in seen else ""
        if reason:
            left_out[reason] += 1
            return
        seen.add(digest)
        kept.append(Paragraph(text=text, heading=heading))

    for example in splits.train:
        add(example.text, example.heading)
    found, skipped = harvest_files(paths, corpus_root, "adapt", progress)
    for paragraph in found:
        add(paragraph.text, paragraph.heading)
    return AdaptationText(kept, len(paths), skipped, left_out)


def mask_tokens(
    ids: np.ndarray, maskable: np.ndarray, rng: np.random.Generator, *, mask_id: int, vocab_size: int,
    rate: float = 0.15,
) -> tuple[np.ndarray, np.ndarray]:
    """BERT's masking: ``rate`` of the maskable positions become targets; of those 80 % turn
    into ``mask_id``, 10 % into a random token, 10 % stay. Returns (inputs, labels; -100 = no target)."""
    chosen = (rng.random(ids.shape) < rate) & maskable
    if maskable.any() and not chosen.any():  # every batch teaches something
        rows, cols = np.nonzero(maskable)
        pick = rng.integers(len(rows))
        chosen[rows[pick], cols[pick]] = True
    labels = np.where(chosen, ids, -100)
    inputs = ids.copy()
    roll = rng.random(ids.shape)
    inputs[chosen & (roll < 0.8)] = mask_id
    randomised = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[randomised] = rng.integers(0, vocab_size, size=int(randomised.sum()))
    return inputs, labels


@dataclass(frozen=True)
class AdaptConfig:
    """How long and how hard masked-LM adaptation trains."""

    minutes: float = 30.0  # wall-clock budget, checked after every step
    max_steps: int = 0  # 0 = until the budget or ``epochs`` ends
    epochs: float = 3.0  # passes over the windows (the schedule's length)
    batch_size: int = 16
    learning_rate: float = 5e-5
    warmup: float = 0.06  # share of the planned steps spent warming up
    mask_rate: float = 0.15
    max_length: int = 256
    stride: int = 64
    max_heading_chars: int = 64
    precision: str = "bf16"  # "bf16" autocast or "fp32"
    seed: int = 13


@dataclass
class AdaptReport:
    """What adaptation did: steps, windows, losses at the start and the end, time."""

    paragraphs: int
    windows: int
    steps: int
    planned_steps: int
    stopped_by: str
    first_loss: float
    last_loss: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _batch(rows: Sequence[Window], pad_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input ids, token types, attention mask) of ``rows``, right-padded to the longest."""
    width = max(len(r.input_ids) for r in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    types = np.zeros((len(rows), width), dtype=np.int64)
    attention = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row.input_ids)] = row.input_ids
        types[i, : len(row.token_type_ids)] = row.token_type_ids
        attention[i, : len(row.input_ids)] = 1
    return ids, types, attention


def _save_encoder(mlm: Any, base_dir: Path, out_dir: Path) -> None:
    """Save the adapted encoder as a plain ``BertModel``, with the base model's pooler: the
    masked-LM model has none, and a sequence-classification head starts from it."""
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(str(base_dir), local_files_only=True)
    missing, _ = encoder.load_state_dict(mlm.bert.state_dict(), strict=False)
    if any(not name.startswith("pooler.") for name in missing):
        raise AdaptError(f"{base_dir}: the adapted encoder lacks {missing}; is this a BERT-family checkpoint?")
    encoder.save_pretrained(str(out_dir))


def adapt_encoder(
    base_dir: Path, paragraphs: Sequence[Paragraph], out_dir: Path, config: AdaptConfig = AdaptConfig(), *,
    on_step: Callable[[int, int, float], None] | None = None,
) -> AdaptReport:
    """Continue masked-LM training of the BERT-family model at ``base_dir`` on ``paragraphs`` and save
    the encoder (no MLM head) with its tokenizer to ``out_dir``, a base model for ``risklens train``."""
    import torch
    from transformers import AutoTokenizer, BertForMaskedLM

    if not (base_dir / "config.json").is_file():
        raise AdaptError(f"--base-model {base_dir}: no config.json; give a base-model folder "
                         "(`risklens base-model build --out DIR`) or a Hugging Face BERT checkpoint.")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise AdaptError(f"--out {out_dir} is not empty; choose a new folder.")
    if not paragraphs:
        raise AdaptError("no paragraphs to adapt on; check --corpus and --data.")
    started = time.monotonic()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir), local_files_only=True)
    model = BertForMaskedLM.from_pretrained(str(base_dir), local_files_only=True)
    model.train()
    windows = make_windows(tokenizer, paragraphs, max_length=config.max_length, stride=config.stride,
                           max_heading_chars=config.max_heading_chars)
    special = set(tokenizer.all_special_ids)
    per_epoch = math.ceil(len(windows) / config.batch_size)
    planned = max(1, config.max_steps or math.ceil(per_epoch * config.epochs))
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate,
                                  weight_decay=0.01)
    warmup = max(1, int(planned * config.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (planned - step) / max(1, planned - warmup))))
    deadline = started + config.minutes * 60
    losses: list[float] = []
    step, stopped_by = 0, ""
    order = np.arange(len(windows))
    while not stopped_by:
        rng.shuffle(order)
        for start in range(0, len(order), config.batch_size):
            ids, types, attention = _batch([windows[i] for i in order[start:start + config.batch_size]],
                                           tokenizer.pad_token_id)
            maskable = (attention == 1) & ~np.isin(ids, list(special))
            inputs, labels = mask_tokens(ids, maskable, rng, mask_id=tokenizer.mask_token_id,
                                         vocab_size=len(tokenizer), rate=config.mask_rate)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.precision == "bf16"):
                out = model(input_ids=torch.from_numpy(inputs), token_type_ids=torch.from_numpy(types),
                            attention_mask=torch.from_numpy(attention), labels=torch.from_numpy(labels))
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad(set_to_none=True)
            step += 1
            losses.append(float(out.loss.detach()))
            if on_step is not None:
                on_step(step, planned, losses[-1])
            stopped_by = ("steps" if step >= planned else "time_budget" if time.monotonic() >= deadline else "")
            if stopped_by:
                break
    out_dir.mkdir(parents=True, exist_ok=True)
    _save_encoder(model, base_dir, out_dir)
    tokenizer.save_pretrained(str(out_dir))
    for name in COPIED:
        if (base_dir / name).is_file() and not (out_dir / name).is_file():
            shutil.copy2(base_dir / name, out_dir / name)
    window = min(50, len(losses))
    report = AdaptReport(len(paragraphs), len(windows), step, planned, stopped_by,
                         float(np.mean(losses[:window])), float(np.mean(losses[-window:])),
                         round(time.monotonic() - started, 1))
    meta = {"adapted_from": str(base_dir), "config": asdict(config), "report": report.to_dict()}
    (out_dir / ADAPT_META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return report
