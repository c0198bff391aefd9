"""benchmarks/gpu_check.py on CPU: the no-GPU message, the tiny end-to-end run, the kernels' batch shapes.

The paper-scale run needs a CUDA GPU; here the same code path runs on a tiny model, and the packed
micro-batches reshaped for flash-attn (one flattened row) and flex (static width) are checked to
give the padded loss through sdpa, which reads the same position ids.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"
ROW = re.compile(r"^\| (padded|packed) \| (\w+) \| ([\d,]+) \| n/a \| n/a \|$", re.MULTILINE)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def _load_script() -> ModuleType:
    """The script as a module (benchmarks/ is not a package); registered first, as dataclasses need."""
    if "gpu_check" in sys.modules:
        return sys.modules["gpu_check"]
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.integration
@pytest.mark.skipif(torch.cuda.is_available(), reason="with a GPU, no arguments start the paper-scale check")
def test_without_a_gpu_it_says_so_and_exits_0():
    done = _run()
    assert done.returncode == 0, done.stderr
    assert "no CUDA GPU here" in done.stdout
    assert "--device cpu --tiny" in done.stdout
    assert "| padded |" not in done.stdout  # nothing measured


@pytest.mark.integration
def test_tiny_cpu_run_trains_both_arms_and_packing_isolates_examples():
    done = _run("--device", "cpu", "--tiny")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {arm: (attn, float(speed.replace(",", ""))) for arm, attn, speed in ROW.findall(done.stdout)}
    assert set(rows) == {"padded", "packed"}, done.stdout
    assert rows["padded"][0] == "sdpa" and rows["packed"][0] == "sdpa"  # flex has no backward on CPU
    assert all(speed > 0 for _, speed in rows.values())
    assert "-> examples isolated" in done.stdout
    assert "packed / padded real tokens/s:" in done.stdout


def test_flash_and_flex_shapes_of_a_packed_batch_keep_the_padded_loss():
    gpu_check = _load_script()
    scale = gpu_check.TINY
    batch = gpu_check.global_batches(gpu_check.synthetic_examples(scale, 0), scale.global_batch, 0)[0]
    n_target = sum(e.n_target for e in batch)
    model = gpu_check.build_model(scale, "sdpa", torch.device("cpu"), torch.float32, seed=0).eval()

    def loss(parts) -> float:
        return gpu_check.forward_loss(model, parts, n_target, gpu_check.contextlib.nullcontext, torch.device("cpu"))

    padded = loss(gpu_check.prepare(batch, "padded", "sdpa", scale, static=False))
    flash = gpu_check.prepare(batch, "packed", "flash_attention_2", scale, static=True)
    assert all(p.input_ids.shape[0] == 1 for p in flash)  # flattened: transformers reads cu_seqlens at batch 1
    flex = gpu_check.prepare(batch, "packed", "flex_attention", scale, static=True)
    assert {p.input_ids.shape[1] for p in flex} == {scale.pack_len}  # one width for the compiled kernel
    for parts in (flash, flex):
        assert loss(parts) == pytest.approx(padded, abs=1e-4)
    assert abs(loss([gpu_check._leaky(p) for p in flex]) - padded) > 1e-3  # the check can tell a leak


@pytest.mark.integration  # compiles flex_attention's forward for CPU (~15 s)
def test_flex_attention_forward_under_autocast_isolates_the_packed_examples():
    from transformers import AttentionInterface

    gpu_check = _load_script()
    scale = gpu_check.TINY
    batch = gpu_check.global_batches(gpu_check.synthetic_examples(scale, 0), scale.global_batch, 0)[0]
    n_target = sum(e.n_target for e in batch)
    cpu = torch.device("cpu")
    bf16 = functools.partial(torch.autocast, "cpu", dtype=torch.bfloat16)
    padded = gpu_check.forward_loss(
        gpu_check.build_model(scale, "sdpa", cpu, torch.float32, seed=0).eval(),
        gpu_check.prepare(batch, "padded", "sdpa", scale, static=False),
        n_target,
        bf16,
        cpu,
    )
    original = AttentionInterface._global_mapping["flex_attention"]
    try:
        gpu_check.flex_in_autocast_dtype()  # without it, flex would get fp32 q/k and bf16 v here
        model = gpu_check.build_model(scale, "flex_attention", cpu, torch.float32, seed=0).eval()
        parts = gpu_check.prepare(batch, "packed", "flex_attention", scale, static=True)
        packed = gpu_check.forward_loss(model, parts, n_target, bf16, cpu)
        leaky = gpu_check.forward_loss(model, [gpu_check._leaky(p) for p in parts], n_target, bf16, cpu)
    finally:
        AttentionInterface.register("flex_attention", original)
    assert packed == pytest.approx(padded, abs=5e-4)
    assert abs(leaky - padded) > 1e-3


def test_peak_is_matched_from_the_device_name_most_specific_first():
    gpu_check = _load_script()
    expected = {
        "NVIDIA H200": 989.0,
        "NVIDIA H100 80GB HBM3": 989.0,
        "NVIDIA H100 PCIe": 756.0,
        "NVIDIA A100-SXM4-80GB": 312.0,
        "NVIDIA L40S": 362.0,
        "NVIDIA L4": 121.0,
        "NVIDIA RTX A6000": 155.0,
        "NVIDIA GeForce GTX 1080": None,
    }
    assert {name: gpu_check.peak_for_name(name)[1] for name in expected} == expected
    assert gpu_check.peak_tflops(torch.device("cpu"), 500.0) == (500.0, "--peak-tflops")
    assert gpu_check.peak_tflops(torch.device("cpu"), None)[0] is None  # MFU prints n/a
