"""What decides the tiny base model: its architecture and pre-training recipe (no torch here).

The recipe's fingerprint names the built model under $CFT_HOME/models/, so planning a run and
writing a report can tell whether it is built without importing the ML stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cft_lib.data.microworld import WORLD_VERSION
from cft_lib.fingerprint import fingerprint
from cft_lib.models.architecture import TinyArchitecture
from cft_lib.paths import artifact_dir
from cft_lib.train.config import TrainConfig

TINY = "tiny"  # the base-model name of the locally built tiny model; anything else is a path or hub id


@dataclass(frozen=True)
class TinyBaseRecipe:
    """Everything that decides the tiny base model; its fingerprint names the cache entry."""

    problems: int = 24000  # worked problems (1-6 steps, distractors, every phrasing)
    fact_exposures: int = 200  # times each fact of the table is practised in fact documents
    copy_documents: int = 0  # copy practice: equations, mostly false, written again exactly ('... again : ...')
    critique_share: float = 0.2  # share of problem documents that are critiques (CFT layout) instead
    # critique documents discuss careless responses: each step wrong with this probability (0: one
    # error in half of them, like the CFT data); several errors make copying the response, not
    # re-solving the problem, the only way to restate it
    critique_response_noise: float = 0.0
    solution_noise: float = 0.2  # share of worked solutions with one propagated error
    critique_error_rate: float = 0.1  # the "web" discussions are not always right either
    loss_on_questions: bool = False  # False: problem documents carry loss on the solution (or critique) only
    seed: int = 0
    world: str = WORLD_VERSION
    architecture: TinyArchitecture = field(default_factory=TinyArchitecture)
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(
            learning_rate=3e-3,
            warmup_ratio=0.05,
            global_batch_size=8,
            micro_batch_size=8,
            max_seq_len=512,
            batching="grouped",
            num_validations=0,
            mixed_precision="auto",
        )
    )

    @property
    def fingerprint(self) -> str:
        return fingerprint("tiny-base", self)


def tiny_base_dir(recipe: TinyBaseRecipe) -> Path:
    """Where the model built from `recipe` lives (complete once marked done)."""
    return artifact_dir("models", f"tiny-base-{recipe.fingerprint}")
