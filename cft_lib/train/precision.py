"""Which autocast precision a training runs in: `auto` takes bf16 only where it is native and faster.

Why: on CPUs without native bf16 (AVX2 without AVX512-BF16/AMX: most laptops and cloud VMs), a
bf16 matmul runs through a slow fallback - measured here at 0.9 GFLOP/s against 52 in fp32, ~60x
slower - which turned the tiny profile's minutes into hours. `auto` therefore decides in two steps:
the CPU must advertise native bf16 (avx512_bf16 / amx_bf16 on x86, bf16 on Arm), and a quick probe
at the tiny model's sizes must find bf16 autocast at least `SPEEDUP` times faster than fp32. The
decision is kept in $CFT_HOME/precision.json per CPU and torch version, so that repeated runs on
one machine agree. On a GPU, `auto` is bf16 where the GPU supports it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from functools import cache
from pathlib import Path

SPEEDUP = 1.15  # bf16 must win by this much: a tie is not worth bf16's rounding
# settings that cap the instruction set torch uses (e.g. ONEDNN_MAX_CPU_ISA=AVX2 on a CPU with
# AVX512-BF16 takes oneDNN's slow bf16 path): part of the cached decision's key, and the probe
# measures their effect, since the CPU's flags still advertise bf16 under them
ISA_VARIABLES = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY")


def resolve_precision(requested: str) -> str:
    """The accelerate `mixed_precision` value to use for `requested` (one of PRECISIONS)."""
    if requested != "auto":
        return requested
    import torch

    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "no"
    return "bf16" if cpu_bf16_is_faster() else "no"


def cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux reports them (empty where /proc/cpuinfo is absent)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return set(value.split())
    return set()


def native_cpu_bf16(flags: set[str] | None = None) -> bool:
    flags = cpu_flags() if flags is None else flags
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})


@cache
def cpu_bf16_is_faster() -> bool:
    """Native bf16 and a measured win (see the module docstring); cached per machine in $CFT_HOME."""
    if not native_cpu_bf16():
        return False
    import torch

    from cft_lib.paths import cft_home

    isa = ",".join(f"{name}={os.environ[name]}" for name in ISA_VARIABLES if name in os.environ)
    key = (
        f"{platform.processor() or platform.machine()}|{_cpu_model()}|torch {torch.__version__}|"
        f"threads {torch.get_num_threads()}" + (f"|{isa}" if isa else "")
    )
    store = cft_home() / "precision.json"
    known = json.loads(store.read_text()) if store.exists() else {}
    if key not in known:
        fp32, bf16 = probe_matmul_seconds()
        known[key] = {"fp32_s": fp32, "bf16_s": bf16, "bf16": fp32 / bf16 >= SPEEDUP}
        store.parent.mkdir(parents=True, exist_ok=True)
        store.write_text(json.dumps(known, indent=2))
    return bool(known[key]["bf16"])


def probe_matmul_seconds(rows: int = 2048, width: int = 256, repeats: int = 5) -> tuple[float, float]:
    """Median seconds of a forward+backward of a small MLP block in fp32 and under bf16 autocast."""
    import torch

    x = torch.randn(rows, width, requires_grad=True)
    w1, w2 = torch.randn(width, 4 * width, requires_grad=True), torch.randn(4 * width, width, requires_grad=True)

    def once(bf16: bool) -> float:
        started = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            y = torch.nn.functional.silu(x @ w1) @ w2
        y.float().sum().backward()
        return time.perf_counter() - started

    once(False), once(True)  # warm-up
    fp32, bf16 = [], []
    for _ in range(repeats):  # interleaved, so drift on a shared machine hits both
        fp32.append(once(False))
        bf16.append(once(True))
    return statistics.median(fp32), statistics.median(bf16)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return ""
