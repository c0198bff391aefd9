"""Paper-scale check on one CUDA GPU: padded vs packed training of a Qwen2.5-0.5B shape, then vLLM.

    python benchmarks/gpu_check.py                      # on a CUDA machine: ~6 min on an H200, no hub
    python benchmarks/gpu_check.py --device cpu --tiny  # the same code path on CPU in seconds

Why: the tiny profile trains on 2 CPU cores, so nothing else shows whether the project's batching
holds up at the paper's scale. A randomly initialised model with Qwen2.5-0.5B's shape (config written
here; speed depends on the shape, not the weights) trains on synthetic CFT records (lognormal lengths,
median ~600 tokens, clipped to [64, 2048]; loss only on the critique) in two arms over the same
global batches, with the project's own batching and loss (cft_lib/train/batching.py, the trainer's
inner loop: target-only loss normalised by the global batch's target tokens, clipping, AdamW):
- padded: micro-batches of B examples in random order, padded to the longest, sdpa with a mask;
- packed: rows of 2048 tokens, position ids restarting per example and no mask, with the best
  variable-length attention the machine has: flash_attention_2 (cu_seqlens from the position ids;
  transformers only reads them from a batch of one row, so each micro-batch is flattened to one row)
  if flash-attn imports, else flex_attention (a document block mask: fully masked blocks are skipped),
  else sdpa (a dense block-diagonal mask: correct, but it computes the whole square).
Precision: bf16 autocast over fp32 weights and AdamW state, as the project trains (`mixed_precision`
bf16); `--precision bf16` holds weights in bf16 instead. Gradient checkpointing off; torch.compile
off unless --compile. Each arm runs --warmup-steps untimed, then optimizer steps until
--seconds-per-arm; tokens/s counts real (non-pad) tokens over the timed steps, collation included.

MFU = (6 * N * T + 6 * layers * d_attn * sum(L_i^2)) / (seconds * peak): N parameters (the tied
embedding once: it is the lm_head matmul), T real tokens, L_i each example's length (causal attention
over its own example only: the useful work, whatever the kernel computes), peak = the GPU's dense bf16
FLOP/s from PEAK_BF16_TFLOPS or --peak-tflops. Targets: packed >= 1.5x padded, MFU >= 40%.
The first step's loss must agree between the arms (same weights, same examples): printed beside the
loss packing would give if examples could see each other, it shows the packed mask isolates them.
If vLLM imports, the model and a word-level tokenizer are saved locally and vLLM generates for
token-id prompts; prints generated tokens/s. Without CUDA and --device, prints what it would measure.
Exit status 1 when an arm fails or the first-step losses disagree.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import importlib.util
import math
import os
import random
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

STARTED = time.perf_counter()  # the 8-minute budget includes importing torch and transformers
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # cft_lib without `pip install -e .`

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AttentionInterface, AutoModelForCausalLM, PreTrainedModel, Qwen2Config  # noqa: E402
from transformers.utils import is_flash_attn_2_available, is_torch_flex_attn_available  # noqa: E402

# batching and tokenize import only torch, transformers and the standard library (checked)
from cft_lib.train.batching import MicroBatch, micro_batches, target_loss_sum  # noqa: E402
from cft_lib.train.tokenize import TokenizedExample  # noqa: E402

# ---------------------------------------------------------------- defaults


@dataclass(frozen=True)
class Scale:
    """Model shape, data shape and time budget of one check."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    median_len: int  # lognormal median of an example's tokens (prompt + critique)
    min_len: int  # lengths are clipped to [min_len, max_len] (the paper's cutoff: 2048)
    max_len: int
    pack_len: int  # tokens per packed row
    examples: int  # synthetic pool; global batches cycle through it
    global_batch: int  # examples per optimizer step (the paper: 512)
    micro_batch: int  # examples (padded) or rows (packed) per forward pass
    seconds_per_arm: float  # timed training per arm, after warm-up
    warmup_steps: int  # untimed steps: flex_attention and --compile compile here
    gen_prompts: int  # vLLM: prompts, and new tokens for each
    gen_tokens: int


# Qwen2.5-0.5B's shape (its config.json): 494M parameters with the tied embedding.
PAPER = Scale(896, 24, 14, 2, 4864, 151936, 600, 64, 2048, 2048, 4096, 128, 8, 60.0, 3, 256, 256)
TINY = Scale(64, 2, 4, 2, 128, 512, 60, 16, 256, 256, 96, 16, 4, 1.0, 1, 16, 16)
ROPE_THETA = 1e6
LENGTH_SIGMA = 0.6  # lognormal spread: p90 ~2.2x the median, ~2% of examples hit the 2048 cutoff
PROMPT_SHARE = (0.35, 0.65)  # share of an example that is prompt (question + noisy response): no loss
LEARNING_RATE = 1e-5
MAX_GRAD_NORM = 1.0  # TrainConfig's default
PAD_ID = 0
TIME_LIMIT_S = 480.0  # the whole check; vLLM is skipped when too little is left for it
VLLM_SECONDS = 150.0  # what vLLM needs: start-up (compile, CUDA graphs) and the generation
# Dense (no sparsity) bf16 tensor-core peaks in TFLOP/s, matched in order against the device name.
PEAK_BF16_TFLOPS = (
    ("GH200", 989.0),
    ("H200", 989.0),
    ("H100 PCIE", 756.0),
    ("H100 NVL", 835.0),
    ("H100", 989.0),
    ("H800", 989.0),
    ("B200", 2250.0),
    ("A100", 312.0),
    ("A800", 312.0),
    ("L40S", 362.0),
    ("L40", 181.0),
    ("RTX 6000 ADA", 364.0),
    ("A6000", 155.0),
    ("A10G", 70.0),
    ("A10", 125.0),
    ("L4", 121.0),
)
ATTENTIONS = ("flash_attention_2", "flex_attention", "sdpa", "eager")
ARMS = ("padded", "grouped", "packed")

# ---------------------------------------------------------------- set-up


def pick_attention(device: torch.device) -> str:
    """The best variable-length attention here: flash-attn's cu_seqlens, else flex's block mask, else sdpa."""
    if device.type == "cuda":
        if is_flash_attn_2_available():
            return "flash_attention_2"
        if is_torch_flex_attn_available() and importlib.util.find_spec("triton") is not None:
            return "flex_attention"
    return "sdpa"  # on CPU, flex_attention has no backward (torch 2.13)


def peak_tflops(device: torch.device, override: float | None) -> tuple[float | None, str]:
    """The GPU's dense bf16 peak and where it came from; None where unknown (MFU prints n/a)."""
    if override is not None:
        return override, "--peak-tflops"
    if device.type != "cuda":
        return None, "no peak for a CPU"
    name = torch.cuda.get_device_name(device)
    key, tflops = peak_for_name(name)
    if tflops is None:
        return None, f"{name!r} is not in PEAK_BF16_TFLOPS: pass --peak-tflops"
    return tflops, f"table entry {key}"


def peak_for_name(name: str) -> tuple[str | None, float | None]:
    """The first PEAK_BF16_TFLOPS entry in a device name (ordered so that 'H100 PCIe' beats 'H100')."""
    for key, tflops in PEAK_BF16_TFLOPS:
        if key in name.upper():
            return key, tflops
    return None, None


def qwen_config(scale: Scale) -> Qwen2Config:
    """Qwen2.5-0.5B's architecture (or the tiny stand-in), written here: no hub."""
    return Qwen2Config(
        vocab_size=scale.vocab,
        hidden_size=scale.hidden,
        intermediate_size=scale.intermediate,
        num_hidden_layers=scale.layers,
        num_attention_heads=scale.heads,
        num_key_value_heads=scale.kv_heads,
        max_position_embeddings=32768,
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        rope_parameters={"rope_type": "default", "rope_theta": ROPE_THETA},
        use_cache=False,
        pad_token_id=PAD_ID,
        eos_token_id=3,  # <|im_end|> in cft_lib/models/tokenizer.py's vocabulary, saved beside it
    )


def build_model(scale: Scale, attn: str, device: torch.device, dtype: torch.dtype, seed: int) -> PreTrainedModel:
    """A freshly initialised model; the same seed gives every arm the same weights."""
    torch.manual_seed(seed)
    with torch.device(device):  # initialise on the device: seconds on a GPU instead of ~20 s on CPU
        model = AutoModelForCausalLM.from_config(qwen_config(scale), attn_implementation=attn, dtype=dtype)
    model.train()
    return model


def flex_in_autocast_dtype() -> None:
    """Give transformers' flex_attention q/k/v in the autocast dtype, as autocast does for sdpa.

    Why: with fp32 weights the residual stream stays fp32, so Qwen2's RoPE turns the bf16 q/k into
    fp32 while v stays bf16. sdpa's autocast rule casts all three; flex has no such rule in many torch
    versions and then raises on the mix or runs its fp32 kernels, several times slower
    (pytorch/pytorch#165468).
    """
    from transformers.integrations.flex_attention import flex_attention_forward

    def forward(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, *args, **kwargs):
        if torch.is_autocast_enabled(query.device.type):
            dtype = torch.get_autocast_dtype(query.device.type)
            query, key, value = query.to(dtype), key.to(dtype), value.to(dtype)
        return flex_attention_forward(module, query, key, value, *args, **kwargs)

    AttentionInterface.register("flex_attention", forward)


# ---------------------------------------------------------------- data


def synthetic_examples(scale: Scale, seed: int) -> list[TokenizedExample]:
    """CFT-shaped examples: random ids, lognormal lengths, the leading prompt share without loss."""
    rng = random.Random(seed)
    lengths = [
        min(scale.max_len, max(scale.min_len, round(rng.lognormvariate(math.log(scale.median_len), LENGTH_SIGMA))))
        for _ in range(scale.examples)
    ]
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(PAD_ID + 1, scale.vocab, (sum(lengths),), generator=generator).tolist()
    examples, start = [], 0
    for index, length in enumerate(lengths):
        n_prompt = max(1, round(length * rng.uniform(*PROMPT_SHARE)))  # >= 1: see _flatten
        examples.append(TokenizedExample(f"synthetic-{index}", ids[start : start + length], n_prompt))
        start += length
    return examples


def global_batches(examples: list[TokenizedExample], size: int, seed: int) -> list[list[TokenizedExample]]:
    """One seeded shuffle, cut into global batches: every arm walks the same sequence."""
    order = list(examples)
    random.Random(seed).shuffle(order)
    return [order[i : i + size] for i in range(0, len(order) - size + 1, size)]


# ---------------------------------------------------------------- micro-batches for each kernel


def _pad_width(part: MicroBatch, width: int) -> MicroBatch:
    """Right-pad packed rows to `width`: compiled kernels (flex) then see one shape, not one per step.

    The extra columns are a separate pseudo-sequence (positions from 0) with ignored labels; real
    tokens never attend to them (causal), so the loss is unchanged.
    """
    extra = width - part.input_ids.shape[1]
    if extra <= 0:
        return part
    rows = part.input_ids.shape[0]
    return replace(
        part,
        input_ids=torch.cat([part.input_ids, torch.full((rows, extra), PAD_ID)], dim=1),
        labels=torch.cat([part.labels, torch.full((rows, extra), -100)], dim=1),
        position_ids=torch.cat([part.position_ids, torch.arange(extra).expand(rows, extra)], dim=1),
    )


def _flatten(part: MicroBatch) -> MicroBatch:
    """Packed rows as one row: transformers takes flash-attn's cu_seqlens from position ids only at batch 1.

    The label shift crosses row ends harmlessly: every row starts with a prompt token (label -100).
    """
    return replace(
        part,
        input_ids=part.input_ids.reshape(1, -1),
        labels=part.labels.reshape(1, -1),
        position_ids=part.position_ids.reshape(1, -1),
    )


def _leaky(part: MicroBatch) -> MicroBatch:
    """The same packed micro-batch with positions 0..W-1: plain causal attention, examples see each other."""
    width = part.input_ids.shape[1]
    return replace(part, position_ids=torch.arange(width).expand(part.input_ids.shape[0], width))


def prepare(batch: list[TokenizedExample], arm: str, attn: str, scale: Scale, static: bool) -> list[MicroBatch]:
    """The project's micro-batches for `arm`, shaped for the attention kernel that runs them."""
    parts = micro_batches(batch, arm, scale.micro_batch, scale.pack_len, PAD_ID)
    if arm != "packed":
        return parts
    if static:
        parts = [_pad_width(p, scale.pack_len) for p in parts]
    if attn == "flash_attention_2":
        parts = [_flatten(p) for p in parts]
    return parts


# ---------------------------------------------------------------- training


@dataclass
class ArmResult:
    """What one arm measured; `error` is set when it failed (e.g. out of memory)."""

    arm: str
    attn: str
    steps: int = 0
    n_params: int = 0  # N in the MFU formula
    tokens_per_s: float = 0.0
    mfu: float | None = None
    peak_memory_gb: float | None = None
    fill: float = 0.0  # real tokens / positions computed
    collate_share: float = 0.0  # share of step time spent collating on the CPU (the trainer does it inline)
    first_loss: float | None = None
    leaky_loss: float | None = None  # packed only: the first-step loss if examples could see each other
    error: str | None = None


def _to(part: MicroBatch, device: torch.device) -> dict[str, torch.Tensor | bool]:
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in part.model_inputs().items()}


def train_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    parts: list[MicroBatch],
    n_target: int,
    autocast: Callable[[], contextlib.AbstractContextManager],
    device: torch.device,
) -> float:
    """One optimizer step over a global batch's micro-batches, as cft_lib/train/trainer.py steps."""
    loss_total = 0.0
    for part in parts:
        with autocast():
            logits = model(**_to(part, device)).logits
        loss = target_loss_sum(logits, part.labels.to(device)) / max(1, n_target)
        loss.backward()
        loss_total += loss.item()
        del logits, loss  # the next micro-batch's forward need not share memory with these logits
    torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss_total


@torch.no_grad()
def forward_loss(
    model: torch.nn.Module,
    parts: list[MicroBatch],
    n_target: int,
    autocast: Callable[[], contextlib.AbstractContextManager],
    device: torch.device,
) -> float:
    """The global batch's loss without a step: the leak probe's reference."""
    total = 0.0
    for part in parts:
        with autocast():
            total += target_loss_sum(model(**_to(part, device)).logits, part.labels.to(device)).item()
    return total / max(1, n_target)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_arm(arm: str, attn: str, batches: list[list[TokenizedExample]], args: argparse.Namespace) -> ArmResult:
    """Train a fresh model on `batches` in order: warm-up steps, then timed steps until the time is up."""
    scale, device = args.scale, args.device
    result = ArmResult(arm, attn)
    model = build_model(scale, attn, device, torch.bfloat16 if args.precision == "bf16" else torch.float32, args.seed)
    n_params = result.n_params = sum(p.numel() for p in model.parameters())  # the tied embedding counts once
    d_attn = scale.heads * (scale.hidden // scale.heads)
    # dynamic: micro-batches differ in rows (and padded ones in width); static shapes recompile for each
    runner = torch.compile(model, dynamic=True) if args.compile else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.0)
    autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
    if args.precision == "autocast":
        autocast = functools.partial(torch.autocast, device.type, dtype=torch.bfloat16)
        if attn == "flex_attention":
            flex_in_autocast_dtype()
    static = attn == "flex_attention" or args.compile
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    timed_s, collate_s, tokens, positions, flops, step = 0.0, 0.0, 0, 0, 0.0, 0
    while True:
        batch = batches[step % len(batches)]
        n_target = sum(e.n_target for e in batch)
        if step == 0 and arm == "packed":
            leaky = [_leaky(p) for p in prepare(batch, arm, attn, scale, static)]
            result.leaky_loss = forward_loss(runner, leaky, n_target, autocast, device)
        _sync(device)
        started = time.perf_counter()
        parts = prepare(batch, arm, attn, scale, static)  # collation is part of a step, as in the trainer
        collated = time.perf_counter() - started
        loss = train_step(runner, optimizer, parts, n_target, autocast, device)
        _sync(device)
        elapsed = time.perf_counter() - started
        if step == 0:
            result.first_loss = loss
        if step >= scale.warmup_steps:
            timed_s += elapsed
            collate_s += collated
            tokens += sum(p.n_tokens for p in parts)
            positions += sum(p.input_ids.numel() for p in parts)
            flops += 6 * n_params * sum(p.n_tokens for p in parts)
            flops += 6 * scale.layers * d_attn * sum(len(e.input_ids) ** 2 for e in batch)
            result.steps += 1
        step += 1
        out_of_steps = args.max_steps is not None and result.steps >= args.max_steps
        if result.steps and (timed_s >= scale.seconds_per_arm or out_of_steps):
            break
    result.tokens_per_s = tokens / timed_s
    result.fill = tokens / positions
    result.collate_share = collate_s / timed_s
    if args.peak is not None:
        result.mfu = flops / timed_s / (args.peak * 1e12)
    if device.type == "cuda":
        result.peak_memory_gb = torch.cuda.max_memory_allocated(device) / 2**30
    print(
        f"  {arm}: {result.steps} timed steps in {timed_s:.1f} s after {scale.warmup_steps} warm-up; "
        f"real tokens {result.fill:.0%} of positions; collation {result.collate_share:.0%} of step time; "
        f"first-step loss {result.first_loss:.5f}",
        flush=True,
    )
    return result


def run_arm_safely(arm: str, attn: str, batches: list[list[TokenizedExample]], args: argparse.Namespace) -> ArmResult:
    """run_arm, with a failure (no memory, a kernel that will not compile) kept as the arm's row."""
    try:
        return run_arm(arm, attn, batches, args)
    except Exception as error:
        traceback.print_exc()
        hint = f" (try --micro-batch {max(1, args.scale.micro_batch // 2)})" if "out of memory" in str(error) else ""
        return ArmResult(arm, attn, error=f"{type(error).__name__}: {str(error)[:160]}{hint}")
    finally:
        gc.collect()
        if args.device.type == "cuda":
            torch.cuda.empty_cache()


# ---------------------------------------------------------------- report


def print_table(results: list[ArmResult], peak: float | None) -> None:
    """The Markdown table of the arms, and how MFU was counted."""
    print("\n| arm | attention | real tokens/s | MFU | peak memory |\n| --- | --- | ---: | ---: | ---: |")
    for r in results:
        if r.error:
            print(f"| {r.arm} | {r.attn} | failed: {r.error.replace('|', '/')} | | |")
            continue
        mfu = f"{r.mfu:.1%}" if r.mfu is not None else "n/a"
        memory = f"{r.peak_memory_gb:.1f} GiB" if r.peak_memory_gb is not None else "n/a"
        print(f"| {r.arm} | {r.attn} | {r.tokens_per_s:,.0f} | {mfu} | {memory} |")
    n_params = max(r.n_params for r in results)
    print(
        f"\nMFU = (6 * N * real tokens + 6 * layers * d_attn * sum of squared example lengths) / (seconds * peak); "
        f"N = {n_params / 1e6:.1f}M, peak = {f'{peak:g} TFLOP/s' if peak else 'unknown'}"
    )


def check_isolation(padded: ArmResult, packed: ArmResult, tolerance: float) -> bool:
    """Same weights, same examples: the packed loss must sit by the padded one, not by the leaky one."""
    assert padded.first_loss is not None and packed.first_loss is not None and packed.leaky_loss is not None
    gap, leak = abs(packed.first_loss - padded.first_loss), abs(packed.leaky_loss - padded.first_loss)
    isolated = gap <= tolerance and gap < leak / 4
    print(
        f"first-step loss padded {padded.first_loss:.5f} packed {packed.first_loss:.5f} (|diff| {gap:.2e}, "
        f"tolerance {tolerance:g}); if packed examples saw each other: {packed.leaky_loss:.5f} (|diff| {leak:.2e}) "
        f"-> {'examples isolated' if isolated else 'MISMATCH: the packed mask does not isolate examples'}"
    )
    return isolated


# ---------------------------------------------------------------- generation


def generate_with_vllm(args: argparse.Namespace, examples: list[TokenizedExample], model_dir: Path) -> bool | None:
    """Generated tokens/s of vLLM on the saved model; None when vLLM is absent, False when it failed."""
    try:
        import vllm
        from vllm import LLM, SamplingParams
    except Exception as error:  # absent, or built against another torch
        print(f"vLLM: not importable ({type(error).__name__}: {str(error)[:200]}); generation skipped")
        return None
    from cft_lib.models.tokenizer import SPECIAL_TOKENS, build_tokenizer  # tokenizers + transformers only

    scale = args.scale
    build_model(scale, "sdpa", args.device, torch.bfloat16, args.seed).save_pretrained(model_dir)
    words = [f"w{i}" for i in range(scale.vocab - len(SPECIAL_TOKENS))]  # one piece per remaining id
    build_tokenizer(list(SPECIAL_TOKENS) + words).save_pretrained(model_dir)
    gc.collect()
    torch.cuda.empty_cache()
    room = scale.max_len - scale.gen_tokens
    prompts = [{"prompt_token_ids": e.input_ids[: min(e.n_prompt, room)]} for e in examples[: scale.gen_prompts]]
    try:
        llm = LLM(model=str(model_dir), dtype="bfloat16", gpu_memory_utilization=0.5, max_model_len=scale.max_len)
        params = SamplingParams(temperature=1.0, max_tokens=scale.gen_tokens, ignore_eos=True, seed=args.seed)
        llm.generate(prompts[:4], params, use_tqdm=False)  # warm-up
        started = time.perf_counter()
        outputs = llm.generate(prompts, params, use_tqdm=False)
        elapsed = time.perf_counter() - started
    except Exception as error:
        print(f"vLLM {vllm.__version__}: FAILED ({type(error).__name__}: {str(error)[:300]})")
        return False
    generated = sum(len(o.outputs[0].token_ids) for o in outputs)
    mean_prompt = statistics.mean(len(p["prompt_token_ids"]) for p in prompts)
    print(
        f"vLLM {vllm.__version__}: {len(prompts)} prompts (mean {mean_prompt:.0f} tokens) x {scale.gen_tokens} "
        f"new tokens: {generated / elapsed:,.0f} generated tokens/s ({elapsed:.1f} s)"
    )
    return True


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", help="cuda, cuda:N or cpu (default: cuda where available, else explain and exit)")
    parser.add_argument("--tiny", action="store_true", help="a 2-layer model and short examples: seconds on CPU")
    parser.add_argument("--attn", choices=ATTENTIONS, help="packed arm's attention (default: the best available)")
    parser.add_argument("--arms", default="padded,packed", help=f"comma-separated, from {ARMS}")
    parser.add_argument("--precision", choices=("autocast", "bf16", "fp32"), help="default: autocast (fp32 on CPU)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (compiles in warm-up)")
    parser.add_argument("--peak-tflops", type=float, help="the GPU's dense bf16 peak, for MFU")
    parser.add_argument("--seconds-per-arm", type=float, help="timed training per arm")
    parser.add_argument("--warmup-steps", type=int, help="untimed steps before timing")
    parser.add_argument("--max-steps", type=int, help="stop an arm after this many timed steps")
    parser.add_argument("--micro-batch", type=int, help="examples (padded) or packed rows per forward pass")
    parser.add_argument("--global-batch", type=int, help="examples per optimizer step")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-vllm", action="store_true", help="skip generation even where vLLM imports")
    args = parser.parse_args()
    overrides = {
        "seconds_per_arm": args.seconds_per_arm,
        "warmup_steps": args.warmup_steps,
        "micro_batch": args.micro_batch,
        "global_batch": args.global_batch,
    }
    args.scale = replace(TINY if args.tiny else PAPER, **{k: v for k, v in overrides.items() if v is not None})
    args.arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    if not args.arms or set(args.arms) - set(ARMS):
        parser.error(f"--arms: give one or more of {ARMS}")
    if args.device is not None:
        args.device = torch.device(args.device)
        if args.device.type == "cuda" and not torch.cuda.is_available():
            parser.error("--device cuda: torch sees no CUDA GPU here")
        if args.device.type == "cpu" and args.attn in ("flex_attention", "flash_attention_2"):
            parser.error(f"--attn {args.attn} cannot train on CPU (no backward / no kernel); use sdpa or eager")
    return args


def explain_no_gpu() -> None:
    print(
        f"gpu_check: no CUDA GPU here (torch {torch.__version__}, torch.cuda.is_available() is False); nothing "
        "measured. On a CUDA machine this trains a random-init Qwen2.5-0.5B-shaped model (494M parameters) on "
        "synthetic CFT records in bf16, padded (sdpa + mask) vs packed (flash_attention_2, else flex_attention, "
        "else sdpa), and prints real tokens/s, MFU and peak memory per arm, their ratio (target >= 1.5x, "
        "MFU >= 40%), a first-step loss check, and vLLM's generated tokens/s where vLLM imports. "
        "`--device cpu --tiny` runs the same code path on CPU in seconds."
    )


def main() -> int:
    args = parse_args()
    if args.device is None:
        if not torch.cuda.is_available():
            explain_no_gpu()
            return 0
        args.device = torch.device("cuda")
    device, scale = args.device, args.scale
    args.precision = args.precision or ("autocast" if device.type == "cuda" else "fp32")
    args.peak, peak_source = peak_tflops(device, args.peak_tflops)
    attn = args.attn or pick_attention(device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"{name}; torch {torch.__version__}, transformers {transformers.__version__}")
    print(
        f"peak bf16: {f'{args.peak:g} TFLOP/s' if args.peak else 'n/a'} ({peak_source}); precision {args.precision}; "
        f"compile {'on' if args.compile else 'off'}; gradient checkpointing off; packed attention {attn}"
        f"{'' if args.attn else ' (picked: flash-attn > flex_attention on CUDA > sdpa)'}; padded attention sdpa"
    )
    examples = synthetic_examples(scale, args.seed)
    batches = global_batches(examples, scale.global_batch, args.seed)
    lengths = sorted(len(e.input_ids) for e in examples)
    print(
        f"model: Qwen2 shape hidden {scale.hidden}, {scale.layers} layers, {scale.heads}/{scale.kv_heads} heads, "
        f"vocab {scale.vocab}, tied; data: {len(examples)} synthetic CFT examples, tokens median "
        f"{lengths[len(lengths) // 2]}, mean {statistics.mean(lengths):.0f}, max {lengths[-1]}; "
        f"global batch {scale.global_batch} examples, micro-batch {scale.micro_batch} examples (padded) "
        f"or rows of {scale.pack_len} (packed)",
        flush=True,
    )
    results = []
    for arm in args.arms:
        result = run_arm_safely(arm, attn if arm == "packed" else "sdpa", batches, args)
        if result.error and arm == "packed" and attn != "sdpa" and args.attn is None:
            print(f"  packed with {attn} failed ({result.error}); once more with sdpa", flush=True)
            results.append(result)
            result = run_arm_safely(arm, "sdpa", batches, args)
        results.append(result)
    print_table(results, args.peak)
    ok = not any(r.error for r in results)
    by_arm = {r.arm: r for r in results if not r.error}
    if "padded" in by_arm and "packed" in by_arm:
        padded, packed = by_arm["padded"], by_arm["packed"]
        ratio = packed.tokens_per_s / padded.tokens_per_s
        if args.tiny:  # the targets are for the paper's shape on a GPU
            print(f"\npacked / padded real tokens/s: {ratio:.2f}x (tiny model: no target)")
        else:
            mfu = f"{packed.mfu:.1%} ({'met' if packed.mfu >= 0.4 else 'not met'})" if packed.mfu is not None else "n/a"
            print(f"\npacked / padded real tokens/s: {ratio:.2f}x ({'met' if ratio >= 1.5 else 'not met'}: >= 1.5x)")
            print(f"packed MFU {mfu}: target >= 40%")
        ok = check_isolation(padded, packed, 1e-4 if args.precision == "fp32" else 2e-2) and ok
    if device.type == "cuda" and not args.no_vllm and not args.tiny:
        if time.perf_counter() - STARTED + VLLM_SECONDS > TIME_LIMIT_S:
            print(f"vLLM: skipped, {time.perf_counter() - STARTED:.0f} s spent of the {TIME_LIMIT_S:.0f} s budget")
        else:
            with tempfile.TemporaryDirectory() as model_dir:
                ok = generate_with_vllm(args, examples, Path(model_dir)) is not False and ok
    print(f"elapsed {time.perf_counter() - STARTED:.0f} s (imports included)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
