"""The stages of a cell as plain functions: train a model, evaluate a model.

Each reads top to bottom: resolve inputs → check the cache → run → log → return. They log into
the *active* MLflow run, so the same function serves `cft train` (its own run) and an ablation
cell (the cell's run). Trained models are content-addressed under $CFT_HOME/models/ and a
finished one is reused, never retrained.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cft_lib.data.builders import DataConfig, build_dataset
from cft_lib.data.formats import CFT_INPUT, CFT_INSTRUCTION, CFT_OUTPUT, COT_SYSTEM
from cft_lib.data.records import read_training_records
from cft_lib.eval.benchmarks import MICRO_VALIDATION, benchmarks
from cft_lib.eval.evaluate import EvalConfig, EvalResult, evaluate
from cft_lib.eval.prompts import prompt_templates
from cft_lib.fingerprint import OMIT_IF_DEFAULT, fingerprint
from cft_lib.llm.base import GenerationConfig
from cft_lib.llm.hf import HFBackend
from cft_lib.models.registry import TINY
from cft_lib.paths import artifact_dir, fresh_dir, is_done, mark_done, read_done
from cft_lib.tracking import log_metrics, log_training_input
from cft_lib.train import checkpoints
from cft_lib.train.config import TrainConfig
from cft_lib.train.pretrain import TinyBaseRecipe, build_tiny_base
from cft_lib.train.tokenize import tokenize_records
from cft_lib.train.trainer import train

METHOD_VARIANTS = {"sft": "sft", "sft-verified": "sft-verified", "sft-teacher": "sft-teacher", "cft": "cft",
                   "cft-shuffled": "cft-shuffled"}


@dataclass(frozen=True)
class ValidationConfig:
    """Periodic greedy accuracy on a held-out split; the best checkpoint is kept (the paper: MATH-500)."""

    benchmark: str = MICRO_VALIDATION
    limit: int | None = 200
    max_new_tokens: int = 160


@dataclass(frozen=True)
class CurveConfig:
    """Test benchmarks evaluated during training, for Figure 2 only: logged as metric history
    (curve/<benchmark>/accuracy by step), never read to select a checkpoint."""

    benchmarks: tuple[str, ...] = ()
    points: int = 8
    limit: int | None = None
    max_new_tokens: int = 2048


@dataclass(frozen=True)
class TrainStageConfig:
    base_model: str = TINY  # "tiny" or a path / hub id
    method: str = "cft"  # sft | sft-verified | sft-teacher | cft
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    system_prompt: str = COT_SYSTEM  # system turn of every training prompt (as at evaluation)
    tiny_recipe: TinyBaseRecipe = field(default_factory=TinyBaseRecipe)
    curve: CurveConfig | None = field(default=None, metadata=OMIT_IF_DEFAULT)

    def resolved(self) -> TrainStageConfig:
        """The data variant follows the method, so a config cannot train CFT on SFT data."""
        return replace(self, data=replace(self.data, variant=METHOD_VARIANTS[self.method]))

    @property
    def fingerprint(self) -> str:
        base = self.tiny_recipe.fingerprint if self.base_model == TINY else self.base_model
        curve = [self.curve] if self.curve is not None else []  # absent before Figure 2 existed
        return fingerprint("train", base, self.method, self.data.fingerprint, self.train,
                           self.validation, self.system_prompt, *curve)

    @property
    def output_dir(self):
        return artifact_dir("models", f"{self.method}-{self.fingerprint}")


def resolve_base_model(name: str, recipe: TinyBaseRecipe, progress: bool = True) -> str:
    return str(build_tiny_base(recipe, progress=progress)) if name == TINY else name


BASE_SKILLS = "skills.json"


def base_skills(model_dir: str | Path) -> dict[str, float]:
    """What the tiny base model has stored (eval/fact_skill.py) and its held-out solving accuracy.

    Computed once per built model and kept beside it; a few seconds on 2 cores.
    """
    path = Path(model_dir).parent / BASE_SKILLS
    if path.exists():
        return json.loads(path.read_text())
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from cft_lib.data.sources import load_micro_split
    from cft_lib.eval.fact_skill import fact_skill, step_skill

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    questions = [item.question for item in load_micro_split(MICRO_VALIDATION)]
    skills = fact_skill(model, tokenizer) | step_skill(model, tokenizer, questions[:200])
    solved = evaluate(HFBackend(model, tokenizer, progress=False), EvalConfig(
        benchmarks=(MICRO_VALIDATION,), generation=GenerationConfig(max_new_tokens=160, batch_size=128)))
    skills |= {f"base/{k}": v for k, v in solved.metrics().items() if k.startswith(MICRO_VALIDATION)}
    path.write_text(json.dumps(skills, indent=2))
    return skills


def log_base_skills(model_dir: str | Path) -> dict[str, float]:
    """Log the tiny base model's stored skills into the active run."""
    skills = base_skills(model_dir)
    log_metrics(skills)
    return skills


def base_model_stage(recipe: TinyBaseRecipe, spec: str, profile: str, progress: bool = True) -> Path:
    """Build the tiny base model in its own MLflow run (nested under the ablation's parent run):
    the recipe as params, the pre-training curve, and what the model has stored (facts, steps)."""
    import mlflow

    from cft_lib.tracking import TAG_PREFIX, code_version, flatten

    tags = {f"{TAG_PREFIX}stage": "base-model", f"{TAG_PREFIX}fingerprint": recipe.fingerprint,
            f"{TAG_PREFIX}code_version": code_version(), f"{TAG_PREFIX}spec": spec, f"{TAG_PREFIX}profile": profile}
    with mlflow.start_run(run_name="tiny base model", nested=True, tags=tags):
        params = {f"recipe.{k}": v for k, v in flatten(recipe).items()}
        for start in range(0, len(params), 100):
            mlflow.log_params(dict(list(params.items())[start:start + 100]))
        mlflow.log_dict(flatten(recipe), "config/resolved.json")
        model_dir = build_tiny_base(recipe, log_metrics=log_metrics, progress=progress)
        built = read_done(model_dir.parent)
        mlflow.log_params({"train.mixed_precision_resolved": built.get("mixed_precision", ""),
                           "pretrain.documents": built.get("documents")})
        mlflow.log_metrics({"pretrain/seconds": built["seconds"], "pretrain/tokens": built["tokens"],
                            "pretrain/tokens_per_s": built["tokens_per_s"]})
        log_base_skills(model_dir)
        mlflow.set_tag(f"{TAG_PREFIX}model_dir", str(model_dir))
    return model_dir


def prompt_templates_text() -> dict[str, str]:
    """The prompt strings a run depends on, logged verbatim with every training run."""
    return {"system": COT_SYSTEM, "cft_instruction": CFT_INSTRUCTION, "cft_input": CFT_INPUT,
            "cft_output": CFT_OUTPUT}


def is_trained(config: TrainStageConfig) -> bool:
    return is_done(config.resolved().output_dir)


def train_stage(config: TrainStageConfig, progress: bool = True) -> dict[str, Any]:
    """Build the data, fine-tune the base model, keep the best validated checkpoint.

    Logs into the active MLflow run. A finished training with the same fingerprint is reused:
    its summary is returned (with reused=True) and nothing is trained.
    """
    import mlflow
    from transformers import AutoTokenizer

    config = config.resolved()
    out = config.output_dir
    mlflow.log_dict(prompt_templates_text(), "config/prompt_templates.json")
    if is_done(out):
        summary = read_done(out) | {"reused": True}
        mlflow.set_tags({"cft.model_dir": summary["model_dir"], "cft.train_reused": "true"})
        mlflow.log_metrics({f"train/{k}": summary[k] for k in ("steps", "examples", "target_tokens", "seconds",
                                                               "processes")
                            if summary.get(k) is not None})
        return summary
    base_path = resolve_base_model(config.base_model, config.tiny_recipe, progress)
    dataset = build_dataset(config.data, progress=progress, truth=response_is_right,
                            respond=_responder(base_path, progress))
    fresh_dir(out, keep=(checkpoints.CHECKPOINTS,))  # an interrupted attempt resumes from its last checkpoint
    tokenizer = AutoTokenizer.from_pretrained(base_path)
    records = read_training_records(dataset.path)
    tokenized = tokenize_records(records, tokenizer, config.system_prompt, config.train.max_seq_len)
    log_training_input(dataset.path, config.data.label, dataset.fingerprint)
    mlflow.log_params({"data.fingerprint": dataset.fingerprint, "base_model.path": base_path,
                       "data.records": len(records), "data.tokenized": len(tokenized.examples)})
    mlflow.log_dict({"build": dataset.stats, "tokenize_skipped": dict(tokenized.skipped)}, "data/stats.json")
    started = time.perf_counter()
    track = _curve_tracker(config.curve) if config.curve and config.curve.benchmarks else None
    result = train(base_path, tokenizer, tokenized.examples, out, config.train,
                   validate=_validator(config.validation), log_metrics=log_metrics, progress=progress,
                   track=track, track_points=config.curve.points if track else 0)
    seconds = time.perf_counter() - started
    summary = {"model_dir": str(result.model_dir), "steps": result.steps, "examples": result.examples,
               "target_tokens": result.target_tokens, "tokens_per_s": result.tokens_per_s,
               "best_step": result.best_step, "best_val_accuracy": result.best_score,
               "validation": result.validation, "fingerprint": config.fingerprint,
               "resumed_from_step": result.resumed_from_step, "run_id": mlflow.active_run().info.run_id,
               "seconds": seconds, "mixed_precision": result.mixed_precision,
               "processes": result.processes}
    mlflow.log_metrics({"train/final_loss": result.final_loss, "train/examples": result.examples,
                        "train/target_tokens": result.target_tokens, "train/steps": result.steps,
                        "train/seconds": seconds, "train/processes": result.processes})
    mlflow.log_param("train.mixed_precision_resolved", result.mixed_precision)
    if result.best_score is not None:
        mlflow.log_metrics({"val/best_accuracy": result.best_score, "val/best_step": result.best_step})
    mlflow.set_tag("cft.model_dir", str(result.model_dir))
    if result.resumed_from_step is not None:
        mlflow.set_tag("cft.resumed_from_step", str(result.resumed_from_step))
    mark_done(out, summary)
    checkpoints.clear(out)  # recorded: the training state is no longer needed
    return summary | {"reused": False}


SELF_RESPONSE_SAMPLING = GenerationConfig(max_new_tokens=256, temperature=0.7, top_p=0.95, seed=0)


def _responder(base_path: str, progress: bool):
    """Responses from the base model itself (Table 7), in the evaluation prompt, sampled."""

    def respond(questions: list[str]) -> list[str]:
        backend = HFBackend.from_pretrained(base_path, progress=progress)
        template = prompt_templates.get("qwen25-math-cot")
        return backend.generate([template.messages(q) for q in questions], SELF_RESPONSE_SAMPLING)

    return respond


def response_is_right(example) -> bool | None:
    """Is a response right? Its final answer against the reference answer (math-verify)."""
    from cft_lib.eval.grading import extract_answer, is_equivalent

    return is_equivalent(extract_answer(example.response), example.answer) if example.answer else None


def _validator(validation: ValidationConfig):
    config = EvalConfig(benchmarks=(validation.benchmark,), limit=validation.limit,
                        generation=GenerationConfig(max_new_tokens=validation.max_new_tokens))

    def validate(model, tokenizer) -> float:
        return evaluate(HFBackend(model, tokenizer, progress=False), config).average

    return validate


def _curve_tracker(curve: CurveConfig):
    """Accuracy on the curve's benchmarks at a training step, with n (for Figure 2's intervals)."""
    config = EvalConfig(benchmarks=curve.benchmarks, limit=curve.limit,
                        generation=GenerationConfig(max_new_tokens=curve.max_new_tokens, batch_size=128))

    def track(model, tokenizer) -> dict[str, float]:
        result = evaluate(HFBackend(model, tokenizer, progress=False), config)
        return {f"curve/{s.benchmark}/{k}": v for s in result.scores
                for k, v in (("accuracy", s.accuracy), ("n", float(s.n)))}

    return track


def evaluate_stage(model: str, config: EvalConfig, progress: bool = True, backend=None) -> EvalResult:
    """Evaluate `model` (a path or hub id) and log metrics and per-problem records to the active run.

    `backend` defaults to in-process transformers; pass an OpenAIBackend to evaluate through a server.
    """
    import mlflow

    config.check()
    backend = backend or HFBackend.from_pretrained(model, progress=progress)
    mlflow.log_params({f"backend.{k}": v for k, v in backend.describe().items() if k != "model"})
    templates = {benchmarks.get(name).prompt for name in config.benchmarks}
    mlflow.log_dict({name: {"system": prompt_templates.get(name).system, "user": prompt_templates.get(name).user}
                     for name in sorted(templates)}, "config/eval_prompt_templates.json")
    mlflow.log_params({f"eval.prompt.{name}": benchmarks.get(name).prompt for name in config.benchmarks}
                      | {f"eval.version.{name}": benchmarks.get(name).version for name in config.benchmarks})
    result = evaluate(backend, config)
    log_metrics(result.metrics())
    mlflow.log_text("\n".join(json.dumps(r) for r in result.records), "eval/records.jsonl")
    return result
