"""Resumable training: the whole training state every few minutes, so a crash costs minutes, not a run.

A checkpoint is accelerate's `save_state` (model, optimizer, scheduler and RNG states) in
`<out>/checkpoints/step-NNNNNN/`, plus `progress.json` written last: a checkpoint without it was
cut off mid-write and is ignored. Only the newest complete checkpoint is kept, and all of them go
once training finishes. Global batches are a pure function of the seed, so a resumed run skips
the steps already taken and continues exactly as the uninterrupted run would have.

A checkpoint belongs to one training (`training_key`: base model, config, examples); one of
another training in the same directory is discarded, never resumed from.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from accelerate import Accelerator

from cft_lib.train.config import TrainConfig
from cft_lib.train.tokenize import TokenizedExample

CHECKPOINTS = "checkpoints"
PROGRESS = "progress.json"
DEFAULT_INTERVAL_S = 600.0  # CFT_CHECKPOINT_INTERVAL_S overrides; 0 saves after every step


def checkpoint_interval_s() -> float:
    return float(os.environ.get("CFT_CHECKPOINT_INTERVAL_S", DEFAULT_INTERVAL_S))


def training_key(model_path: str | os.PathLike, config: TrainConfig, examples: list[TokenizedExample]) -> str:
    """What a checkpoint must match to be resumed from (not a result fingerprint)."""
    digest = hashlib.sha256(json.dumps([str(model_path), repr(config)]).encode())
    for example in examples:
        digest.update(f"{example.n_prompt}:{','.join(map(str, example.input_ids))};".encode())
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


def save(accelerator: Accelerator, out_dir: Path, progress: Progress) -> None:
    """Write a checkpoint of the state after `progress.step`, then drop the older ones."""
    root = out_dir / CHECKPOINTS
    path = root / f"step-{progress.step:06d}"
    accelerator.save_state(str(path))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (path / PROGRESS).write_text(json.dumps(progress.__dict__))
        for older in root.iterdir():
            if older != path:
                shutil.rmtree(older, ignore_errors=True)
    accelerator.wait_for_everyone()


def latest(out_dir: Path, key: str) -> tuple[Path, Progress] | None:
    """The newest complete checkpoint of this training, if any; others are removed."""
    root = out_dir / CHECKPOINTS
    complete = sorted(p for p in root.glob("step-*") if (p / PROGRESS).exists()) if root.is_dir() else []
    if complete:
        data = json.loads((complete[-1] / PROGRESS).read_text())
        if data.get("key") == key:
            data["validation"] = [tuple(v) for v in data["validation"]]
            data["metrics"] = [tuple(m) for m in data["metrics"]]
            return complete[-1], Progress(**data)
    clear(out_dir)
    return None


def clear(out_dir: Path) -> None:
    shutil.rmtree(out_dir / CHECKPOINTS, ignore_errors=True)

