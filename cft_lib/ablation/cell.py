"""The resolved cell: one typed config tree that is what runs, what is hashed and what is logged.

A spec's cell and a profile resolve (ablation/specs.py) into a `ResolvedCell`: the base model and
its tiny recipe, the training stage (data, teacher, optimisation, validation), the evaluation
(benchmarks, generation, inference mode) and the generation backend. `cft train`, `cft evaluate`
and `cft build-data` resolve a one-cell spec the same way, so the command line and the ablations
cannot drift. Nothing here imports torch: planning and reporting stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cft_lib.data.builders import DataConfig
from cft_lib.data.formats import COT_SYSTEM
from cft_lib.eval.benchmarks import MICRO_VALIDATION, benchmark_versions
from cft_lib.eval.evaluate import EvalConfig
from cft_lib.fingerprint import OMIT_IF_DEFAULT, canonical, fingerprint
from cft_lib.llm.base import BackendConfig, GenerationConfig
from cft_lib.paths import artifact_dir, is_done
from cft_lib.train.config import TrainConfig
from cft_lib.train.launch import LaunchConfig
from cft_lib.train.recipe import TINY, TinyBaseRecipe

# How the base model writes its own responses for Table 7 (response_source: self): sampled, in the
# evaluation prompt. Part of the data fingerprint of every such dataset. The paper does not say; 256
# new tokens suit the tiny world, and the paper profile raises it (data.self_response_max_new_tokens).
SELF_RESPONSE_SAMPLING = GenerationConfig(max_new_tokens=256, temperature=0.7, top_p=0.95, seed=0)


@dataclass(frozen=True)
class EvalProtocol:
    """How evaluations during and after training generate and grade, as the cell's own evaluation does:
    stop strings and ids, the grader, and a base model's own prompt (the profile's eval settings)."""

    stop: tuple[str, ...] = ()
    stop_token_ids: tuple[int, ...] = ()
    grader: str = "math-verify"
    prompt_overrides: tuple[tuple[str, str], ...] = ()

    def eval_config(
        self, benchmarks: tuple[str, ...], limit: int | None, max_new_tokens: int, batch_size: int
    ) -> EvalConfig:
        generation = GenerationConfig(
            max_new_tokens=max_new_tokens, stop=self.stop, stop_token_ids=self.stop_token_ids, batch_size=batch_size
        )
        return EvalConfig(
            benchmarks=benchmarks,
            limit=limit,
            generation=generation,
            grader=self.grader,
            prompt_overrides=self.prompt_overrides,
        )


@dataclass(frozen=True)
class ValidationConfig:
    """Periodic greedy accuracy on a held-out split; the best checkpoint is kept (the paper: MATH-500).

    `via`: "training" validates in the training processes with transformers, as training goes;
    "backend" saves the model at each validation point and, once training has ended and freed its
    memory, validates each saved model through `backend` (a vLLM engine per checkpoint, torn down
    after it), as the official run validates its saved checkpoints with vLLM.
    """

    benchmark: str = MICRO_VALIDATION
    limit: int | None = 200
    max_new_tokens: int = 160
    via: str = field(default="training", metadata=OMIT_IF_DEFAULT)  # training | backend
    backend: BackendConfig = field(default_factory=BackendConfig, metadata=OMIT_IF_DEFAULT)  # via: backend
    protocol: EvalProtocol = field(default_factory=EvalProtocol, metadata=OMIT_IF_DEFAULT)

    def eval_config(self) -> EvalConfig:
        return self.protocol.eval_config((self.benchmark,), self.limit, self.max_new_tokens, batch_size=64)


@dataclass(frozen=True)
class CurveConfig:
    """Test benchmarks evaluated during training, for Figure 2 only: logged as metric history
    (curve/<benchmark>/accuracy by step), never read to select a checkpoint."""

    benchmarks: tuple[str, ...] = ()
    points: int = 8
    limit: int | None = None
    max_new_tokens: int = 2048
    protocol: EvalProtocol = field(default_factory=EvalProtocol, metadata=OMIT_IF_DEFAULT)

    def eval_config(self) -> EvalConfig:
        return self.protocol.eval_config(self.benchmarks, self.limit, self.max_new_tokens, batch_size=128)


TRAIN_FORMAT_DEFAULTS: dict[str, Any] = {"target_end": None, "overlength": "skip"}


@dataclass(frozen=True)
class TrainStageConfig:
    """One fine-tune: its base model, its data (whose variant is the method), and how it trains."""

    base_model: str = TINY  # "tiny" or a path / hub id
    method: str = "cft"  # sft | sft-verified | sft-teacher | cft | cft-shuffled
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    system_prompt: str = COT_SYSTEM  # system turn of every training prompt (as at evaluation)
    target_end: str | None = field(default=None, metadata=OMIT_IF_DEFAULT)  # after each target (None: EOS)
    overlength: str = field(default="skip", metadata=OMIT_IF_DEFAULT)  # skip | truncate (train/tokenize.py)
    tiny_recipe: TinyBaseRecipe = field(default_factory=TinyBaseRecipe)
    curve: CurveConfig | None = field(default=None, metadata=OMIT_IF_DEFAULT)
    # how the base model wrote its own responses (response_source: self); in the data's fingerprint
    self_response: GenerationConfig = SELF_RESPONSE_SAMPLING
    # how many processes and machines train it (not in the fingerprint: the global batch is fixed)
    launch: LaunchConfig = field(default_factory=LaunchConfig)

    def __post_init__(self) -> None:
        # the data variant follows the method, so a config cannot train CFT on SFT data
        if self.data.variant != self.method:
            object.__setattr__(self, "data", replace(self.data, variant=self.method))

    @property
    def fingerprint(self) -> str:
        base = self.tiny_recipe.fingerprint if self.base_model == TINY else self.base_model
        curve = [self.curve] if self.curve is not None else []  # absent before Figure 2 existed
        # absent while at their defaults (they came with the paper profile's protocol)
        tokens = {
            k: v
            for k, v in (("target_end", self.target_end), ("overlength", self.overlength))
            if v != TRAIN_FORMAT_DEFAULTS[k]
        }
        return fingerprint(
            "train",
            base,
            self.method,
            self.data.fingerprint,
            self.train,
            self.validation,
            self.system_prompt,
            *curve,
            *([tokens] if tokens else []),
        )

    @property
    def output_dir(self) -> Path:
        return artifact_dir("models", f"{self.method}-{self.fingerprint}")

    @property
    def is_trained(self) -> bool:
        return is_done(self.output_dir)


@dataclass(frozen=True)
class SweepConfig:
    """How a tuned cell's training is chosen (ablation/sweep.py): an Optuna study over `params`
    (dotted profile key, kind, bounds or values), `trials` finished trials, seeded TPE and a pruner."""

    params: tuple[tuple[str, str, tuple[Any, ...]], ...]
    trials: int
    seed: int = 0
    startup_trials: int = 3
    pruner: str = "median"

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _, _ in self.params)


@dataclass(frozen=True)
class ResolvedCell:
    """One fully resolved run: what it means (choices) and how it runs (every knob, in one tree)."""

    label: str
    choices: dict[str, Any]  # the paper's vocabulary, defaults applied
    base_model: str  # "tiny" or a path / hub id
    tiny_recipe: TinyBaseRecipe
    train: TrainStageConfig | None  # None for the base model (method: base)
    eval: EvalConfig
    benchmark_map: dict[str, str]  # paper benchmark -> registered benchmark
    backend: BackendConfig = field(default_factory=BackendConfig)  # where generations come from
    # tuned: its training is the best of a sweep's trials, each a variant of `train`
    sweep: SweepConfig | None = field(default=None, metadata=OMIT_IF_DEFAULT)

    @property
    def model_fingerprint(self) -> str:
        if self.train is not None:
            return self.train.fingerprint
        return self.tiny_recipe.fingerprint if self.base_model == TINY else self.base_model

    @property
    def fingerprint(self) -> str:
        # the backend enters only when it is not in-process transformers, so cells that ran before
        # the backend was part of the cell keep their fingerprints; where it is served (base_url,
        # concurrency) does not change what it generates and is left out, like a teacher's endpoint
        backend = [{"backend": self.backend.name}] if self.backend.name != "hf" else []
        # a tuned cell: its untuned training, the search space and the budget (the trials' model is found by it)
        sweep = [{"sweep": self.sweep}] if self.sweep is not None else []
        return fingerprint(
            "cell", self.model_fingerprint, self.eval, benchmark_versions(self.eval.benchmarks), *backend, *sweep
        )

    @property
    def seed(self) -> int:
        return int(self.choices["seed"])

    def config_dict(self, stages: tuple[str, ...] = ("train", "eval")) -> dict[str, Any]:
        """Every resolved knob of `stages` as plain JSON: logged as params and as config/resolved.json."""
        tree: dict[str, Any] = {"cell": self.choices | {"label": self.label}, "base_model": self.base_model}
        if self.base_model == TINY:
            tree["tiny_recipe"] = self.tiny_recipe
        if "train" in stages and self.train is not None:
            tree |= {
                "method": self.train.method,
                "data": self.train.data,
                "train": self.train.train,
                "validation": self.train.validation,
                "system_prompt": self.train.system_prompt,
                "target_end": self.train.target_end,
                "overlength": self.train.overlength,
                "launch": self.train.launch,
            }
            if self.train.curve is not None:
                tree["curve"] = self.train.curve
        if "eval" in stages:
            tree |= {"eval": self.eval, "backend": self.backend, "benchmarks": self.benchmark_map}
        if self.sweep is not None:
            tree["sweep"] = self.sweep
        return canonical(tree)
