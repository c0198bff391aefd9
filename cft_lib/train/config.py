"""TrainConfig: every knob of one fine-tune (or the tiny model's pre-training), with its default.

Paper protocol (Section 3.1): full fine-tune, lr 5e-6, cosine, warm-up ratio 0.1, global batch
512, one epoch, bf16, cutoff 2048, best checkpoint on the validation set. The paper profile sets
those values; the defaults here are the tiny profile's.
"""

from __future__ import annotations

from dataclasses import dataclass

from cft_lib.errors import ConfigError

SCHEDULERS = ("cosine", "linear", "constant")
BATCHING_MODES = ("packed", "grouped", "padded")  # see train/batching.py
PRECISIONS = ("auto", "no", "bf16", "fp16")  # see train/precision.py


@dataclass(frozen=True)
class TrainConfig:
    learning_rate: float = 1e-4  # peak; the paper's 5e-6 is ~1/60 of a 7B model's pre-training peak
    lr_scheduler: str = "cosine"  # one of SCHEDULERS
    warmup_ratio: float = 0.1  # share of optimizer steps spent warming up
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    global_batch_size: int = 32  # examples per optimizer step (the paper: 512)
    micro_batch_size: int = 16  # examples (or packed rows) per forward pass; accumulation fills the rest
    epochs: float = 1.0  # passes over the data (fractions allowed)
    max_seq_len: int = 512  # longer records are skipped and counted (the paper: cutoff 2048)
    pack_len: int = 1024  # tokens per packed row
    # grouped | packed | padded (see train/batching.py). On CPU, grouped measured fastest for the
    # tiny model (benchmarks/train_throughput.py); on GPUs with varlen attention, packed is the norm.
    batching: str = "grouped"
    group_window: int = 8  # grouped: sort by length within this many global batches (1 = within one)
    # auto | no | bf16 | fp16 (autocast). auto: bf16 only where the CPU or GPU computes it natively and
    # faster (train/precision.py); without native bf16 a CPU runs bf16 ~60x slower than fp32.
    mixed_precision: str = "auto"
    seed: int = 0
    num_validations: int = 4  # validation points spread over training (0: none, keep the last)

    def check(self) -> None:
        """Fail early, naming the field and the allowed values."""
        problems = []
        if self.lr_scheduler not in SCHEDULERS:
            problems.append(f"lr_scheduler: {self.lr_scheduler!r} not one of {SCHEDULERS}")
        if self.batching not in BATCHING_MODES:
            problems.append(f"batching: {self.batching!r} not one of {BATCHING_MODES}")
        if self.mixed_precision not in PRECISIONS:
            problems.append(f"mixed_precision: {self.mixed_precision!r} not one of {PRECISIONS}")
        if not 0 <= self.warmup_ratio < 1:
            problems.append(f"warmup_ratio: {self.warmup_ratio} must be in [0, 1)")
        if self.global_batch_size < 1 or self.micro_batch_size < 1:
            problems.append("global_batch_size and micro_batch_size must be >= 1")
        if self.pack_len < self.max_seq_len and self.batching == "packed":
            problems.append(f"pack_len ({self.pack_len}) must be >= max_seq_len ({self.max_seq_len})")
        if self.learning_rate <= 0:
            problems.append(f"learning_rate: {self.learning_rate} must be > 0")
        if problems:
            raise ConfigError("invalid train config:\n  " + "\n  ".join(problems))
