"""Weight interpolation between a model and its own continuation (WiSE-FT).

A second fine-tuning of a shipped model on new labels learns what the labels teach (the mined
non-risk paragraphs of round 6) and also drifts on everything else: every such run scored
lower on held-out dev than the model it started from. Interpolating the weights,
``(1 - alpha) * start + alpha * tuned``, keeps both ends in one network of the same size and
speed; ``alpha`` is chosen on dev like any other hyper-parameter (Wortsman et al., "Robust
fine-tuning of zero-shot models", 2022). Both models must share an architecture and every
tensor name, which a warm-started continuation does by construction.

``interpolate_run`` writes a run directory (``model-best/``, ``training_config.json``) that
``risklens recalibrate`` then calibrates like any finished run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from risklens.model.classifier import WEIGHTS_FILE
from risklens.model.meta import ModelMeta


def interpolate_state(
    start: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor], alpha: float,
) -> dict[str, torch.Tensor]:
    """``(1 - alpha) * start + alpha * tuned`` per tensor, computed in fp32, stored in ``tuned``'s dtype.

    Integer tensors (position ids) must be equal in both and are copied.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}.")
    if start.keys() != tuned.keys():
        missing = sorted(start.keys() ^ tuned.keys())[:5]
        raise ValueError(
            f"the two models do not have the same tensors (e.g. {missing}); interpolation needs a "
            "model and a run warm-started from it."
        )
    out: dict[str, torch.Tensor] = {}
    for name, b in tuned.items():
        a = start[name]
        if a.shape != b.shape:
            raise ValueError(f"tensor {name!r} has shape {tuple(a.shape)} in one model and {tuple(b.shape)} in the other.")
        if not b.is_floating_point():
            if not torch.equal(a, b):
                raise ValueError(f"integer tensor {name!r} differs between the two models; they cannot be interpolated.")
            out[name] = b.clone()
            continue
        mixed = (1.0 - alpha) * a.float() + alpha * b.float()
        out[name] = mixed.to(b.dtype).contiguous()
    return out


def interpolate_model(start_dir: Path, tuned_dir: Path, alpha: float, out_dir: Path) -> Path:
    """Write ``tuned_dir`` with interpolated weights to ``out_dir``; its ``risklens.json`` records how."""
    start_dir, tuned_dir, out_dir = Path(start_dir), Path(tuned_dir), Path(out_dir)
    for directory in (start_dir, tuned_dir):
        if not (directory / WEIGHTS_FILE).is_file():
            raise FileNotFoundError(f"{directory}: no {WEIGHTS_FILE}; expected a saved RiskLens model directory.")
    state = interpolate_state(load_file(start_dir / WEIGHTS_FILE), load_file(tuned_dir / WEIGHTS_FILE), alpha)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    shutil.copytree(tuned_dir, out_dir, ignore=shutil.ignore_patterns(WEIGHTS_FILE))
    save_file(state, out_dir / WEIGHTS_FILE, metadata={"format": "pt"})
    meta = ModelMeta.load(out_dir)
    meta.metrics["interpolated"] = {"start": str(start_dir), "tuned": str(tuned_dir), "alpha": alpha}
    meta.save(out_dir)
    return out_dir


def interpolate_run(start_dir: Path, tuned_run: Path, alpha: float, out_run: Path) -> Path:
    """A run directory whose ``model-best`` interpolates ``start_dir`` and ``tuned_run/model-best``.

    ``training_config.json`` is the tuned run's (same dataset, same calibration options), so
    ``risklens recalibrate out_run`` fits temperature and thresholds on dev as for any run. Its
    held-out score then uses the tuned run's seed for the folds; to compare it with the start
    model's on equal folds, use ``experiments/selection_noise.py``. What was mixed is recorded in
    ``model-best/risklens.json`` (``metrics.interpolated``), which recalibration keeps.
    """
    tuned_run, out_run = Path(tuned_run), Path(out_run)
    config = tuned_run / "training_config.json"
    if not config.is_file():
        raise FileNotFoundError(f"{tuned_run}: no training_config.json; expected a run directory written by `risklens train`.")
    out_run.mkdir(parents=True, exist_ok=True)
    interpolate_model(start_dir, tuned_run / "model-best", alpha, out_run / "model-best")
    shutil.copy2(config, out_run / "training_config.json")
    return out_run
