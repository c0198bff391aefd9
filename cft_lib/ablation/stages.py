"""The stages of a cell, as plain functions: build the base model, build the data, train, evaluate.

Each takes its resolved config and a `Tracker` (the run it logs into, chosen by its caller) and
returns its result; each reads top to bottom: check the cache → run → log → return. Built models
and datasets are content-addressed under $CFT_HOME and a finished one is reused, never rebuilt;
a reused one still logs what it is (and a reused training its curves), so every run that uses
it shows the same numbers. The runner (ablation/runner.py) and the `cft` stage commands compose
these functions; nothing here knows about specs.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cft_lib.ablation.cell import CurveConfig, TrainStageConfig, ValidationConfig
from cft_lib.ablation.store import copy_run_data
from cft_lib.data.builders import BuiltDataset, build_dataset, dataset_dir, is_built
from cft_lib.data.formats import CFT_INPUT, CFT_INSTRUCTION, CFT_OUTPUT
from cft_lib.data.records import read_training_records
from cft_lib.errors import CftError
from cft_lib.eval.benchmarks import MICRO_VALIDATION, benchmarks
from cft_lib.eval.evaluate import EvalConfig, EvalResult, evaluate
from cft_lib.eval.prompts import prompt_templates
from cft_lib.eval.responses import base_model_responder, response_is_right
from cft_lib.llm.base import BackendConfig, GenerationBackend, GenerationConfig, make_backend
from cft_lib.paths import build_once, fresh_dir, is_done, mark_done, read_done
from cft_lib.tracking import Tracker, flatten
from cft_lib.train.recipe import TINY, TinyBaseRecipe, tiny_base_dir

if TYPE_CHECKING:
    from cft_lib.train.trainer import TrainResult

log = logging.getLogger(__name__)
LAUNCH_JOB, LAUNCH_RESULT = "job.pkl", "result.pkl"  # what ablation/launched.py reads and writes
SNAPSHOTS = "validation-snapshots"  # models saved at the validation points (validation.via: backend)
BASE_SKILLS = "skills.json"


# -- build the base model ----------------------------------------------------------------------
def build_base(recipe: TinyBaseRecipe, tracker: Tracker | None = None, progress: bool = True) -> Path:
    """The tiny base model for `recipe`, pre-trained now unless built before. With a tracker: the
    recipe as params, the pre-training curve, and what the model has stored (facts, steps)."""
    from cft_lib.train.pretrain import build_tiny_base

    if tracker is None:
        return build_tiny_base(recipe, progress=progress)
    tracker.log_params({f"recipe.{k}": v for k, v in flatten(recipe).items()})
    tracker.log_dict(recipe, "config/resolved.json")
    if not is_done(tiny_base_dir(recipe)):
        log.info("pre-training the tiny base model %s (a few minutes)", recipe.fingerprint)
    model_dir = build_tiny_base(recipe, log_metrics=tracker.log_metrics, progress=progress)
    built = read_done(model_dir.parent)
    tracker.log_params(
        {
            "train.mixed_precision_resolved": built.get("mixed_precision", ""),
            "pretrain.documents": built.get("documents"),
        }
    )
    tracker.log_metrics(
        {
            "pretrain/seconds": built["seconds"],
            "pretrain/tokens": built["tokens"],
            "pretrain/tokens_per_s": built["tokens_per_s"],
        }
    )
    tracker.log_metrics(base_skills(model_dir))
    tracker.set_tags({"cft.model_dir": str(model_dir)})
    return model_dir


def base_model_path(name: str, recipe: TinyBaseRecipe, progress: bool = True) -> str:
    """A loadable path for the base model `name`: "tiny" is the model built from `recipe`; a pinned hub
    model `repo@revision` is that commit's snapshot (downloaded once into the hub cache)."""
    if name == TINY:
        return str(build_base(recipe, progress=progress))
    repo, pinned, revision = name.partition("@")
    if pinned and not Path(name).exists():
        from huggingface_hub import snapshot_download

        return str(snapshot_download(repo, revision=revision))
    return name


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
    from cft_lib.llm.hf import HFBackend

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    questions = [item.question for item in load_micro_split(MICRO_VALIDATION)]
    skills = fact_skill(model, tokenizer) | step_skill(model, tokenizer, questions[:200])
    solved = evaluate(
        HFBackend(model, tokenizer, progress=False),
        EvalConfig(benchmarks=(MICRO_VALIDATION,), generation=GenerationConfig(max_new_tokens=160, batch_size=128)),
    )
    skills |= {f"base/{k}": v for k, v in solved.metrics().items() if k.startswith(MICRO_VALIDATION)}
    partial = path.with_name(f"{path.name}.{os.getpid()}")  # whole or absent: another process may read it now
    partial.write_text(json.dumps(skills, indent=2))
    os.replace(partial, path)
    return skills


# -- build the data ----------------------------------------------------------------------------
def build_data(
    config: TrainStageConfig, base_path: str, tracker: Tracker | None, progress: bool = True
) -> BuiltDataset:
    """The training set of `config` (built now unless built before), logged as the run's input:
    its fingerprint, size, skips, critique audit and teacher cost, as params and metrics."""
    respond = base_model_responder(base_path, config.self_response, progress)
    dataset = build_dataset(config.data, progress=progress, truth=response_is_right, respond=respond)
    if tracker is not None:
        log_dataset(dataset, config.data.label, tracker)
    return dataset


def log_dataset(dataset: BuiltDataset, name: str, tracker: Tracker) -> None:
    stats = dataset.stats
    tracker.log_training_input(dataset.path, name, dataset.fingerprint)
    tracker.log_params({"data.fingerprint": dataset.fingerprint})
    tracker.log_dict(stats, "data/stats.json")
    metrics = {"data/built": stats["built"], "data/skipped": sum(stats["skipped"].values())}
    metrics |= {f"data/skipped_{reason}": n for reason, n in stats["skipped"].items()}
    metrics |= {
        f"audit/{k}": stats[k]
        for k in ("verdict_agreement", "verdict_right_share", "response_correct_share")
        if k in stats
    }
    metrics |= {f"teacher/{k}": v for k, v in stats.get("teacher_usage", {}).items()}
    tracker.log_metrics(metrics)


# -- train -------------------------------------------------------------------------------------
def prompt_templates_text(config: TrainStageConfig) -> dict[str, str | None]:
    """The prompt strings a training run depends on, logged verbatim with it (target_end None: EOS)."""
    return {
        "system": config.system_prompt,
        "cft_instruction": CFT_INSTRUCTION,
        "cft_input": CFT_INPUT,
        "cft_output": CFT_OUTPUT,
        "target_end": config.target_end,
    }


TRAIN_METRICS = ("steps", "examples", "target_tokens", "seconds", "processes")


def train_model(
    config: TrainStageConfig,
    tracker: Tracker,
    progress: bool = True,
    after_validation: Callable[[int, float], None] | None = None,
) -> dict[str, Any]:
    """Build the data, fine-tune the base model, keep the best validated checkpoint.

    A finished training with the same fingerprint is reused: nothing is trained, and its summary,
    data and curves (copied from the run that trained it) are logged into this run.
    `after_validation(step, score)` is told each validation score as training goes (a sweep's pruner),
    where validation runs in this process (validation.via: training, not launched).
    """
    return build_once(
        config.output_dir,
        f"training {config.method} model {config.fingerprint}",
        build=lambda: _train(config, tracker, progress, after_validation),
        reuse=lambda: _reuse_training(config, tracker),
    )


def _reuse_training(config: TrainStageConfig, tracker: Tracker) -> dict[str, Any]:
    """Log a finished training of this fingerprint into `tracker`'s run, as if it had trained here."""
    summary = read_done(config.output_dir) | {"reused": True}
    tracker.set_tags(
        {
            "cft.model_dir": summary["model_dir"],
            "cft.train_reused": "true",
            "cft.trained_in": summary.get("run_id", ""),
        }
    )
    tracker.log_dict(prompt_templates_text(config), "config/prompt_templates.json")
    if is_built(config.data):  # the data it was trained on: lineage, audit and teacher cost, from disk
        folder = dataset_dir(config.data)
        log_dataset(
            BuiltDataset(folder / "train.jsonl", config.data.fingerprint, read_done(folder)),
            config.data.label,
            tracker,
        )
    if summary.get("run_id"):
        try:  # the curves of the run that trained it (that run may live in another store)
            copy_run_data(summary["run_id"], tracker, params=False, prefixes=("train/", "val/", "curve/"))
        except Exception as exc:  # noqa: BLE001 - the model is still right; say what is missing
            log.warning("training curves of run %s not copied (%s: %s)", summary["run_id"], type(exc).__name__, exc)
    tracker.log_metrics({f"train/{k}": summary[k] for k in TRAIN_METRICS if summary.get(k) is not None})
    return summary


def _train(
    config: TrainStageConfig, tracker: Tracker, progress: bool, after_validation: Callable[[int, float], None] | None
) -> dict[str, Any]:
    from transformers import AutoTokenizer

    from cft_lib.train import checkpoints
    from cft_lib.train.tokenize import tokenize_records
    from cft_lib.train.trainer import train

    out = config.output_dir
    base_path = base_model_path(config.base_model, config.tiny_recipe, progress)
    tracker.log_dict(prompt_templates_text(config), "config/prompt_templates.json")
    dataset = build_data(config, base_path, tracker, progress)
    # an interrupted attempt resumes from its last checkpoint, with the models saved for validation
    fresh_dir(out, keep=(checkpoints.CHECKPOINTS, SNAPSHOTS))
    tokenizer = AutoTokenizer.from_pretrained(base_path)
    records = read_training_records(dataset.path)
    tokenized = tokenize_records(
        records, tokenizer, config.system_prompt, config.train.max_seq_len, config.target_end, config.overlength
    )
    tracker.log_params(
        {
            "base_model.path": base_path,
            "data.records": len(records),
            "data.tokenized": len(tokenized.examples),
            "data.truncated": tokenized.truncated,
        }
    )
    tracker.log_dict({"build": dataset.stats, "tokenize_skipped": dict(tokenized.skipped)}, "data/stats.json")
    started = time.perf_counter()
    desc = f"fine-tune {config.method}"
    if config.launch.launched:  # several processes or machines: accelerate launch, in a subprocess
        tracker.flush()
        result = _train_launched(config, base_path, tokenized.examples, tracker.run_id, progress, desc)
    else:
        result = train(
            base_path,
            tokenizer,
            tokenized.examples,
            out,
            config.train,
            log_metrics=tracker.log_metrics,
            progress=progress,
            desc=desc,
            after_validation=after_validation if config.validation.via == "training" else None,
            **training_validation(config),
        )
    if config.validation.via == "backend":
        result = _evaluate_snapshots(config, result, tracker, progress)
    seconds = time.perf_counter() - started
    summary = {
        "model_dir": str(result.model_dir),
        "steps": result.steps,
        "examples": result.examples,
        "target_tokens": result.target_tokens,
        "tokens_per_s": result.tokens_per_s,
        "best_step": result.best_step,
        "best_val_accuracy": result.best_score,
        "validation": result.validation,
        "fingerprint": config.fingerprint,
        "resumed_from_step": result.resumed_from_step,
        "run_id": tracker.run_id,
        "seconds": seconds,
        "mixed_precision": result.mixed_precision,
        "processes": result.processes,
    }
    tracker.log_metrics(
        {
            "train/final_loss": result.final_loss,
            "train/examples": result.examples,
            "train/target_tokens": result.target_tokens,
            "train/steps": result.steps,
            "train/seconds": seconds,
            "train/processes": result.processes,
        }
    )
    tracker.log_params({"train.mixed_precision_resolved": result.mixed_precision})
    if result.best_score is not None:
        tracker.log_metrics({"val/best_accuracy": result.best_score, "val/best_step": float(result.best_step or 0)})
    tracker.set_tags({"cft.model_dir": str(result.model_dir)})
    if result.resumed_from_step is not None:
        tracker.set_tags({"cft.resumed_from_step": str(result.resumed_from_step)})
    mark_done(out, summary)
    checkpoints.clear(out)  # recorded: the training state is no longer needed
    return summary | {"reused": False}


def _train_launched(
    config: TrainStageConfig, base_path: str, examples: list, run_id: str, progress: bool, desc: str
) -> TrainResult:
    """`train` under `accelerate launch` (cft_lib/ablation/launched.py is the other side): this
    process hands over the tokenised examples and reads back the main process's result."""
    import pickle
    import subprocess

    job_dir = config.output_dir / "launch"
    job_dir.mkdir(parents=True, exist_ok=True)
    (job_dir / LAUNCH_RESULT).unlink(missing_ok=True)
    job = {"config": config, "base_path": base_path, "examples": examples, "run_id": run_id}
    (job_dir / LAUNCH_JOB).write_bytes(pickle.dumps(job | {"progress": progress, "desc": desc}))
    command = config.launch.command("cft_lib.ablation.launched", str(job_dir))
    log.info("training under accelerate launch: %s", " ".join(command))
    done = subprocess.run(command, env=config.launch.environment(), check=False)
    if done.returncode != 0 or not (job_dir / LAUNCH_RESULT).exists():
        raise CftError(
            f"training under accelerate launch failed (exit {done.returncode}); its output is above. "
            f"Command: {' '.join(command)}"
        )
    result = pickle.loads((job_dir / LAUNCH_RESULT).read_bytes())
    shutil.rmtree(job_dir)  # the job held every tokenised example: gigabytes at paper scale
    return result


def training_validation(config: TrainStageConfig) -> dict[str, Any]:
    """`train`'s evaluation arguments: validate (and evaluate Figure 2's curve) in the training
    processes, or save the model at those points for `_evaluate_snapshots` (validation.via: backend)."""
    points = config.curve.points if config.curve and config.curve.benchmarks else 0
    if config.validation.via == "backend":
        return {"snapshots": config.output_dir / SNAPSHOTS, "track_points": points}
    track = curve_tracker(config.curve) if points and config.curve else None
    return {"validate": validator(config.validation), "track": track, "track_points": points}


def _evaluate_snapshots(config: TrainStageConfig, result: TrainResult, tracker: Tracker, progress: bool) -> TrainResult:
    """Evaluate each model saved during training through the validation backend (one engine per model,
    torn down after it): validation at the validation points and the curve's benchmarks at the curve's,
    logged at their steps as training would log them. The best validated model is kept as the cell's
    (the earliest of equals, as in training)."""
    import gc
    from dataclasses import replace

    import torch

    from cft_lib.train.trainer import validation_steps

    gc.collect()  # the training's model and optimizer, before an engine asks for the memory
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    root = config.output_dir / SNAPSHOTS
    validate_at = validation_steps(result.steps, config.train.num_validations)
    curve = config.curve if config.curve and config.curve.benchmarks else None
    curve_at = validation_steps(result.steps, curve.points) if curve else set()
    scores: list[tuple[int, float]] = []
    for step in sorted(validate_at | curve_at):
        path = root / f"step-{step}"
        if not path.is_dir():
            raise CftError(f"{path}: the model saved for evaluation at step {step} is missing")
        metrics: dict[str, float] = {}
        with _engine(config.validation.backend, str(path), progress) as generator:
            if step in validate_at:
                score = evaluate(generator, config.validation.eval_config()).average
                scores.append((step, score))
                metrics["val/accuracy"] = score
            if curve is not None and step in curve_at:
                metrics |= curve_metrics(evaluate(generator, curve.eval_config()))
        tracker.log_metrics(metrics, step=step)
    if scores:
        best_step, best_score = max(scores, key=lambda s: (s[1], -s[0]))
        shutil.rmtree(result.model_dir, ignore_errors=True)
        (root / f"step-{best_step}").rename(result.model_dir)
        result = replace(result, best_step=best_step, best_score=best_score, validation=scores)
    shutil.rmtree(root, ignore_errors=True)
    return result


@contextmanager
def _engine(backend: BackendConfig, model: str, progress: bool) -> Iterator[GenerationBackend]:
    """A generation backend for `model`, torn down on leaving: a vLLM engine holds the GPU until it is."""
    generator = make_backend(backend, model, progress=progress)
    try:
        yield generator
    finally:
        close = getattr(generator, "close", None)
        if close is not None:
            close()


def validator(validation: ValidationConfig):
    config = validation.eval_config()

    def validate(model, tokenizer) -> float:
        from cft_lib.llm.hf import HFBackend

        return evaluate(HFBackend(model, tokenizer, progress=False), config).average

    return validate


def curve_metrics(result: EvalResult) -> dict[str, float]:
    """Accuracy on the curve's benchmarks at a training step, with n (for Figure 2's intervals)."""
    return {
        f"curve/{s.benchmark}/{k}": v for s in result.scores for k, v in (("accuracy", s.accuracy), ("n", float(s.n)))
    }


def curve_tracker(curve: CurveConfig):
    """The curve's evaluation of the model in training (validation.via: training)."""
    config = curve.eval_config()

    def track(model, tokenizer) -> dict[str, float]:
        from cft_lib.llm.hf import HFBackend

        return curve_metrics(evaluate(HFBackend(model, tokenizer, progress=False), config))

    return track


# -- evaluate ----------------------------------------------------------------------------------
def evaluate_model(
    model: str, config: EvalConfig, backend: BackendConfig, tracker: Tracker, progress: bool = True
) -> EvalResult:
    """Evaluate `model` (a path or hub id) through `backend`; log metrics, prompts and per-problem records."""
    config.check()
    with _engine(backend, model, progress) as generator:
        # what the running client reports (served model, retries): beside the configured backend.* params
        tracker.log_params({f"served.{k}": v for k, v in generator.describe().items() if k != "model"})
        templates = {config.prompt_for(name) for name in config.benchmarks}
        tracker.log_dict(
            {
                name: {
                    "system": prompt_templates.get(name).system,
                    "user": prompt_templates.get(name).user,
                    "raw": prompt_templates.get(name).raw,  # a whole prompt, no chat template (deepseek-math)
                }
                for name in sorted(templates)
            },
            "config/eval_prompt_templates.json",
        )
        tracker.log_params(
            {f"eval.prompt.{name}": config.prompt_for(name) for name in config.benchmarks}
            | {"eval.grader": config.grader}
            | {f"eval.version.{name}": benchmarks.get(name).version for name in config.benchmarks}
        )
        result = evaluate(generator, config)
    tracker.log_metrics(result.metrics())
    tracker.log_text("\n".join(json.dumps(r) for r in result.records), "eval/records.jsonl")
    return result
