"""Resumable training: the whole training state every few minutes, so a crash costs minutes, not a run.

A checkpoint is accelerate's `save_state` (model, optimizer, scheduler and RNG states) in
`<out>/checkpoints/step-NNNNNN/`, a copy of the best validated model so far (`best-model/`), and
`progress.json`, written last and atomically: a checkpoint without it was cut off mid-write and
is ignored. Only the newest complete checkpoint is kept; the caller removes it (`clear`) once it
has recorded the finished training, so a crash between the last step and that record still
resumes. Global batches are a pure function of the seed, so a resumed run skips the steps already
taken and continues exactly as the uninterrupted run would have.

A checkpoint belongs to one training (`training_key`: base model, config, examples, and the launch:
distributed type, process count, ZeRO stage); one of another training is discarded, never resumed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from accelerate import Accelerator

from cft_lib.train.config import TrainConfig
from cft_lib.train.tokenize import TokenizedExample

CHECKPOINTS = "checkpoints"
PROGRESS = "progress.json"
BEST_MODEL = "best-model"
DEFAULT_INTERVAL_S = 600.0  # CFT_CHECKPOINT_INTERVAL_S overrides; 0 saves after every step


def checkpoint_interval_s() -> float:
    return float(os.environ.get("CFT_CHECKPOINT_INTERVAL_S", DEFAULT_INTERVAL_S))


def training_key(
    model_path: str | os.PathLike, config: TrainConfig, examples: list[TokenizedExample], launch: str
) -> str:
    """What a checkpoint must match to be resumed from (not a result fingerprint)."""
    digest = hashlib.sha256(json.dumps([str(model_path), repr(config), launch]).encode())
    for example in examples:  # every token: a resumed training must see exactly the same data
        digest.update(array("q", [len(example.input_ids), example.n_prompt, *example.input_ids]).tobytes())
        if example.target_mask is not None:
            digest.update(bytes(example.target_mask))
    return digest.hexdigest()[:16]


@dataclass
class Progress:
    """Everything the training loop accumulates besides the model and optimizer."""

    key: str
    step: int = 0
    examples: int = 0
    target_tokens: int = 0
    real_tokens: int = 0
    train_time: float = 0.0
    final_loss: float = float("nan")
    best_step: int | None = None
    best_score: float | None = None
    validation: list[tuple[int, float]] = field(default_factory=list)
    metrics: list[tuple[int, dict[str, float]]] = field(default_factory=list)  # re-logged on resume


def save(accelerator: Accelerator, out_dir: Path, progress: Progress, best_model: Path) -> None:
    """Write a checkpoint of the state after `progress.step`, then drop the older ones."""
    root = out_dir / CHECKPOINTS
    path = root / f"step-{progress.step:06d}"
    accelerator.save_state(str(path))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        if best_model.is_dir():  # the best model is rewritten in place later: keep this one
            shutil.copytree(best_model, path / BEST_MODEL, dirs_exist_ok=True)
        partial = path / f"{PROGRESS}.partial"
        partial.write_text(json.dumps(progress.__dict__))
        os.replace(partial, path / PROGRESS)
        for older in root.iterdir():
            if older != path:
                shutil.rmtree(older, ignore_errors=True)
    accelerator.wait_for_everyone()


def latest(out_dir: Path, key: str) -> tuple[Path, Progress] | None:
    """The newest complete checkpoint of this training, if any; those of another training are removed."""
    root = out_dir / CHECKPOINTS
    complete = (
        sorted((p for p in root.glob("step-*") if (p / PROGRESS).exists()), reverse=True) if root.is_dir() else []
    )
    for path in complete:
        try:
            data = json.loads((path / PROGRESS).read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if data.get("key") != key:
            break
        data["validation"] = [tuple(v) for v in data["validation"]]
        data["metrics"] = [tuple(m) for m in data["metrics"]]
        return path, Progress(**data)
    clear(out_dir)
    return None


def restore_best_model(checkpoint: Path, model_dir: Path) -> None:
    """Put back the best model as it was at the checkpoint (a crashed attempt may have replaced it)."""
    shutil.rmtree(model_dir, ignore_errors=True)
    if (checkpoint / BEST_MODEL).is_dir():
        shutil.copytree(checkpoint / BEST_MODEL, model_dir)


def clear(out_dir: Path) -> None:
    shutil.rmtree(out_dir / CHECKPOINTS, ignore_errors=True)
