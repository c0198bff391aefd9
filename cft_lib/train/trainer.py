"""One trainer for SFT, CFT and pre-training: target-only loss, accumulation, validation.

Reads top to bottom: set up (seed, model, optimizer, schedule; resume an interrupted attempt) →
for each global batch, walk its micro-batches, step, log, now and then validate and keep the best
model, and every few minutes save the training state → return.
Built on accelerate: under `accelerate launch` / `torchrun` each process takes its share of every
global batch, and DeepSpeed ZeRO comes from the launch config (tests/train/test_parallel.py: two
CPU processes train the one-process model; DeepSpeed ZeRO-2 on CPU steps once per global batch).
Only `train()` is multi-process-ready: the stages around it (data building, MLflow runs) still
run in one process, so `cft ablation` and `cft train` train in one process today.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.state import AcceleratorState
from accelerate.utils import DataLoaderConfiguration, broadcast
from tqdm.auto import tqdm
from transformers import AutoModelForCausalLM, PreTrainedTokenizerBase, get_scheduler

from cft_lib.errors import CftError, DataError
from cft_lib.train import checkpoints
from cft_lib.train.batching import micro_batches, target_loss_sum
from cft_lib.train.config import TrainConfig
from cft_lib.train.precision import resolve_precision
from cft_lib.train.tokenize import TokenizedExample

Validator = Callable[[torch.nn.Module, PreTrainedTokenizerBase], float]
Tracker = Callable[[torch.nn.Module, PreTrainedTokenizerBase], dict[str, float]]
MetricLogger = Callable[[dict[str, float], int], None]


@dataclass
class TrainResult:
    """Where the kept model is and how training went."""

    model_dir: Path
    steps: int
    examples: int
    target_tokens: int
    tokens_per_s: float
    final_loss: float
    best_step: int | None = None
    best_score: float | None = None
    validation: list[tuple[int, float]] = field(default_factory=list)
    resumed_from_step: int | None = None  # set when this call continued an interrupted training
    mixed_precision: str = "no"  # what `auto` resolved to on this machine (logged with the run)
    processes: int = 1  # data-parallel processes (device-hours = seconds x processes / 3600)


def global_batches(examples: list[TokenizedExample], config: TrainConfig) -> list[list[TokenizedExample]]:
    """Shuffle (seeded) and cut into global batches, for `epochs` passes (fractions allowed).

    With grouped batching, examples are first sorted by length inside mega-batches of
    `group_window` global batches (as transformers' LengthGroupedSampler does), so that each
    micro-batch pads little; the order of the resulting global batches is shuffled again.
    """
    rng = random.Random(config.seed)
    order: list[TokenizedExample] = []
    for _ in range(math.ceil(config.epochs)):
        epoch = list(examples)
        rng.shuffle(epoch)
        order += epoch
    order = order[: max(1, round(len(examples) * config.epochs))]
    size = config.global_batch_size
    if config.batching == "grouped" and config.group_window > 1:
        mega = size * config.group_window
        order = [
            e for i in range(0, len(order), mega) for e in sorted(order[i : i + mega], key=lambda e: len(e.input_ids))
        ]
        batches = [order[i : i + size] for i in range(0, len(order), size)]
        rng.shuffle(batches)
        return batches
    return [order[i : i + size] for i in range(0, len(order), size)]


def validation_steps(total: int, count: int) -> set[int]:
    """`count` optimizer steps spread evenly over training, the last one included."""
    if count <= 0:
        return set()
    return {max(1, round(total * k / count)) for k in range(1, count + 1)}


def train(
    model_path: str | Path,
    tokenizer: PreTrainedTokenizerBase,
    examples: list[TokenizedExample],
    out_dir: str | Path,
    config: TrainConfig,
    validate: Validator | None = None,
    log_metrics: MetricLogger | None = None,
    progress: bool = True,
    checkpoint_interval_s: float | None = None,
    desc: str = "train",
    track: Tracker | None = None,
    track_points: int = 0,
    snapshots: Path | None = None,
    after_validation: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Fine-tune the model at `model_path` on tokenised examples; save the kept model in out_dir/model.

    Saves the training state every `checkpoint_interval_s` seconds (default: CFT_CHECKPOINT_INTERVAL_S
    or 10 minutes) and resumes from it when called again on the same out_dir (train/checkpoints.py).
    The last checkpoint stays until the caller has recorded the result and calls checkpoints.clear.
    `track`, at `track_points` steps spread over training, adds metrics to that step's log (Figure 2's
    curves); unlike `validate` it never decides which checkpoint is kept. `after_validation(step, score)`
    is told each validation score (a sweep's pruner: it may raise to stop a trial that is behind); one
    process only, as every process would have to stop together.
    """
    config.check()
    if not examples:
        raise DataError("no training examples left after tokenisation (every record was longer than max_seq_len?)")
    out_dir = Path(out_dir)
    model_dir = out_dir / "model"
    torch.manual_seed(config.seed)
    AcceleratorState._reset_state()  # one process may run several trainings, each with its own precision
    # split_batches: a global batch is shared out among the processes (not one batch per process),
    # so the learning-rate schedule advances once per optimizer step, not once per process.
    precision = resolve_precision(config.mixed_precision)
    accelerator = Accelerator(mixed_precision=precision, dataloader_config=DataLoaderConfiguration(split_batches=True))
    _configure_deepspeed(accelerator, config)
    _check_process_group(accelerator)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    model.config.use_cache = False
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    batches = global_batches(examples, config)
    total_steps = len(batches)
    scheduler = get_scheduler(
        config.lr_scheduler,
        optimizer,
        num_warmup_steps=round(config.warmup_ratio * total_steps),
        num_training_steps=total_steps,
    )
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    rank, world = accelerator.process_index, accelerator.num_processes
    if snapshots is not None and (validate is not None or track is not None):
        raise ValueError("with snapshots, validation and the curve's evaluations happen after training")
    validation_at = validation_steps(total_steps, config.num_validations if validate or snapshots else 0)
    track_at = validation_steps(total_steps, track_points if track or snapshots else 0)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    key = checkpoints.training_key(model_path, config, examples, _launch(accelerator))
    resumed = checkpoints.latest(out_dir, key)
    if resumed is not None:  # a crashed or killed attempt of this same training: continue it
        checkpoint, state = resumed
        try:
            accelerator.load_state(str(checkpoint))
        except Exception as error:  # a damaged checkpoint: never train on from half-loaded state
            checkpoints.clear(out_dir)
            raise CftError(
                f"{checkpoint}: could not load this training checkpoint ({error}); it was "
                "removed, so running the same command again starts this training afresh"
            ) from error
        if accelerator.is_main_process:
            checkpoints.restore_best_model(checkpoint, model_dir)
            if log_metrics:
                for step, metrics in state.metrics:  # the new tracking run gets the whole curve
                    log_metrics(metrics, step)
        accelerator.wait_for_everyone()
    else:
        state = checkpoints.Progress(key)
    resumed_from = state.step if resumed is not None else None
    if after_validation is not None:  # told again what the interrupted attempt validated (a pruner decides alike)
        for step, score in state.validation:
            after_validation(step, score)
    interval = checkpoints.checkpoint_interval_s() if checkpoint_interval_s is None else checkpoint_interval_s
    last_checkpoint = time.monotonic()

    bar = tqdm(
        total=total_steps, initial=state.step, desc=desc, disable=not progress or not accelerator.is_main_process
    )
    for step, batch in enumerate(batches[state.step :], start=state.step + 1):
        model.train()
        started = time.perf_counter()
        # Data parallelism: each process takes every world-th example of the global batch. A process
        # left without one (a last batch smaller than the world) runs one example at weight 0, so
        # that every process joins the same gradient reductions.
        mine = batch[rank::world] or batch[:1]
        weight = float(world) if batch[rank::world] else 0.0
        parts = micro_batches(mine, config.batching, config.micro_batch_size, config.pack_len, pad_id)
        n_target = sum(e.n_target for e in batch)
        loss_total = 0.0
        for index, part in enumerate(parts):
            sync = index == len(parts) - 1
            accelerator.sync_gradients = sync  # DeepSpeed steps its engine on the last micro-batch only
            with contextlib.nullcontext() if sync else accelerator.no_sync(model):
                inputs = {
                    k: v.to(accelerator.device) if torch.is_tensor(v) else v for k, v in part.model_inputs().items()
                }
                with accelerator.autocast():
                    logits = model(**inputs).logits
                # Normalise by the global batch's target tokens: every target token weighs the same,
                # however the examples fell into micro-batches and processes. Data-parallel
                # reduction averages over processes, hence the factor `world`.
                loss = target_loss_sum(logits, part.labels.to(accelerator.device)) / max(1, n_target)
                accelerator.backward(loss * weight)
            loss_total += loss.item() if weight else 0.0
        my_tokens = sum(p.n_tokens for p in parts) if weight else 0
        loss_total, step_tokens = _sum_over_processes(accelerator, [loss_total, my_tokens])
        if config.max_grad_norm:
            accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        state.train_time += time.perf_counter() - started
        state.real_tokens += int(step_tokens)
        state.examples += len(batch)
        state.target_tokens += n_target
        state.final_loss = loss_total
        state.step = step
        metrics = {
            "train/loss": loss_total,
            "train/lr": scheduler.get_last_lr()[0],
            "train/tokens_per_s": state.real_tokens / max(state.train_time, 1e-9),
        }
        if snapshots is not None and (step in validation_at or step in track_at):
            bar.set_postfix_str(f"saving the model of step {step} to evaluate after training", refresh=True)
            _save(accelerator, model, tokenizer, snapshots / f"step-{step}")
        if validate is not None and step in validation_at:
            bar.set_postfix_str(f"validating at step {step}", refresh=True)  # the bar would look frozen
            score = _from_main_process(accelerator, validate(accelerator.unwrap_model(model), tokenizer))
            state.validation.append((step, score))
            metrics["val/accuracy"] = score
            if state.best_score is None or score > state.best_score:
                state.best_step, state.best_score = step, score
                _save(accelerator, model, tokenizer, model_dir)
            if after_validation is not None:
                if world > 1:
                    raise ValueError("after_validation: one training process only (all would have to stop together)")
                after_validation(step, score)
        if track is not None and step in track_at:
            bar.set_postfix_str(f"evaluating for the curve at step {step}", refresh=True)
            metrics |= track(accelerator.unwrap_model(model), tokenizer)
        if log_metrics and accelerator.is_main_process:
            log_metrics(metrics, step)
        state.metrics.append((step, metrics))
        due = step < total_steps and time.monotonic() - last_checkpoint >= interval
        if _from_main_process(accelerator, float(due)):  # all processes save together, or none does
            checkpoints.save(accelerator, out_dir, state, model_dir)
            last_checkpoint = time.monotonic()
        bar.set_postfix(loss=f"{loss_total:.3f}", tok_s=f"{metrics['train/tokens_per_s']:.0f}")
        bar.update()
    bar.close()
    if not validation_at:  # with snapshots, the last step is one of them: the caller picks the model
        _save(accelerator, model, tokenizer, model_dir)
    return TrainResult(
        model_dir,
        total_steps,
        state.examples,
        state.target_tokens,
        state.real_tokens / max(state.train_time, 1e-9),
        state.final_loss,
        state.best_step,
        state.best_score,
        state.validation,
        resumed_from,
        precision,
        accelerator.num_processes,
    )


def _configure_deepspeed(accelerator: Accelerator, config: TrainConfig) -> None:
    """Under `accelerate launch` with DeepSpeed: the batch and clipping settings come from TrainConfig.

    The loop feeds micro-batches itself (no dataloader for accelerate to read sizes from) and marks
    the accumulation boundary per global batch, so DeepSpeed accumulates once (its own
    gradient_accumulation_steps = 1) and clips as TrainConfig says, whatever the launch file has.
    """
    plugin = accelerator.state.deepspeed_plugin
    if plugin is None:
        return
    world = int(os.environ.get("WORLD_SIZE", accelerator.num_processes))
    plugin.deepspeed_config.update(
        train_micro_batch_size_per_gpu=config.micro_batch_size,
        gradient_accumulation_steps=1,
        train_batch_size=config.micro_batch_size * world,
        gradient_clipping=config.max_grad_norm or 0.0,
    )
    if plugin.zero_stage == 3:  # saving the kept model gathers the shards into one state dict
        plugin.deepspeed_config.setdefault("zero_optimization", {})["stage3_gather_16bit_weights_on_model_save"] = True


def _check_process_group(accelerator: Accelerator) -> None:
    """Processes launched together must see each other: otherwise each would train on the whole data
    and all would write the same files (DeepSpeed on CPU through accelerate: each sees a world of 1)."""
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if launched != accelerator.num_processes:
        raise CftError(
            f"{launched} processes were launched but this one sees {accelerator.num_processes} "
            f"({accelerator.distributed_type}): they did not form one process group. DeepSpeed runs several "
            "processes on GPUs; on CPU use one process with DeepSpeed, or plain data parallelism."
        )


def _launch(accelerator: Accelerator) -> str:
    """How this training is spread over processes: a checkpoint only resumes under the same launch."""
    plugin = accelerator.state.deepspeed_plugin
    zero = plugin.zero_stage if plugin is not None else None
    return f"{accelerator.distributed_type}:{accelerator.num_processes}:zero{zero}"


def _from_main_process(accelerator: Accelerator, value: float) -> float:
    """The main process's value on every process, so that all take the same branch around collectives."""
    if accelerator.num_processes == 1:
        return value
    return broadcast(torch.tensor([value], dtype=torch.float64, device=accelerator.device), 0).item()


def _sum_over_processes(accelerator: Accelerator, values: list[float]) -> list[float]:
    if accelerator.num_processes == 1:
        return values
    total = accelerator.reduce(torch.tensor(values, dtype=torch.float64, device=accelerator.device), "sum")
    return total.tolist()


def _save(accelerator: Accelerator, model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, path: Path) -> None:
    accelerator.wait_for_everyone()
    state_dict = accelerator.get_state_dict(model)  # gathers ZeRO-3 shards: every process must call it
    if accelerator.is_main_process:
        unwrapped = accelerator.unwrap_model(model)
        unwrapped.config.use_cache = True
        unwrapped.save_pretrained(str(path), state_dict=state_dict, safe_serialization=True)
        unwrapped.config.use_cache = False
        tokenizer.save_pretrained(str(path))
    accelerator.wait_for_everyone()
