"""A student encoder cut from a trained model: fewer layers, the teacher's weights.

Issue #23's distilled student starts from the teacher itself: the embeddings, the head and
every ``stride``-th transformer layer (by default the odd ones, so the top layer the head
was trained on stays). Such a start keeps most of what the teacher learnt, so distillation
(``training.transfer`` soft targets plus gold) needs a few epochs, not a pre-training run.
The result is an ordinary model directory: ``risklens train --base-model DIR`` warm-starts
from it (its ``risklens.json`` tells the run to keep the trained head), and any BERT-family
checkpoint works the same way.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from risklens.model.classifier import WEIGHTS_FILE
from risklens.model.meta import META_FILE

COPIED = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "sentencepiece.bpe.model", "vocab.txt")


class StudentError(ValueError):
    """A student cannot be cut: the teacher folder or the layer choice is wrong."""


def spread_layers(total: int, keep: int) -> list[int]:
    """``keep`` of ``total`` layers spread evenly and ending at the top one (12, 6 -> 1, 3, …, 11)."""
    if not 1 <= keep <= total:
        raise StudentError(f"a student keeps between 1 and {total} layers of this teacher; got {keep}.")
    return sorted({total - 1 - round(i * total / keep) for i in range(keep)})


def cut_student(teacher_dir: Path, out_dir: Path, layers: Sequence[int]) -> dict[str, object]:
    """Write to ``out_dir`` a copy of the model at ``teacher_dir`` that keeps only ``layers``
    (0-based, teacher order); returns what was kept, for the run log."""
    from safetensors.torch import load_file, save_file

    teacher, out = Path(teacher_dir), Path(out_dir)
    config_path = teacher / "config.json"
    if not config_path.is_file() or not (teacher / WEIGHTS_FILE).is_file():
        raise StudentError(f"{teacher}: expected a model folder with config.json and {WEIGHTS_FILE} "
                           "(a trained RiskLens model, e.g. model/default).")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    total = int(config.get("num_hidden_layers", 0))
    chosen = sorted(set(layers))
    if not chosen or chosen[0] < 0 or chosen[-1] >= total:
        raise StudentError(f"{teacher} has layers 0..{total - 1}; got {list(layers)}.")
    state = load_file(str(teacher / WEIGHTS_FILE))
    renamed = {}
    for key, tensor in state.items():
        parts = key.split(".")
        if "layer" in parts and parts[parts.index("layer") - 1] == "encoder":
            at = parts.index("layer") + 1
            old = int(parts[at])
            if old not in chosen:
                continue
            parts[at] = str(chosen.index(old))
        renamed[".".join(parts)] = tensor.contiguous()
    out.mkdir(parents=True, exist_ok=True)
    save_file(renamed, str(out / WEIGHTS_FILE), metadata={"format": "pt"})
    config["num_hidden_layers"] = len(chosen)
    config["student_of"] = {"teacher": str(teacher), "layers": chosen}
    (out / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    for name in (*COPIED, META_FILE):
        if (teacher / name).is_file():
            shutil.copy2(teacher / name, out / name)
    return {"teacher_layers": total, "kept": chosen,
            "parameters": int(sum(t.numel() for t in renamed.values())),
            "teacher_parameters": int(sum(t.numel() for t in state.values()))}
