"""Cells one after another here against cells as Ray tasks, side by side in one run, on the same spec.

    python benchmarks/executor_throughput.py [--data-size 6144] [--limit 768] [--two-threads]

The spec is tests/e2e/micro_four.yaml (four cells: the base model, SFT, CFT and CFT with the weaker
teacher) on the micro profile, at `--data-size` training records and `--limit` problems per
benchmark so that a cell's work, not Ray's start, is what is timed. The tiny base model is built
once beforehand and copied into each arm's fresh CFT_HOME and store (shared work, built once in
both executors alike). Each arm is one `cft ablation` process timed from start to exit:
- sequential: `--executor local`, each cell on one torch thread;
- ray: `--executor ray` on a local cluster of this machine's cores, one CPU (one thread) per cell;
- with --two-threads, also sequential with torch on two threads (what a 2-core user gets by default).
Prints each arm's wall time, the seconds its cell runs were open (summed: a cell's own work, longer
when two cells share the machine's memory bandwidth) and their ratio (how many cells ran at once on
average: the rest of the wall time is start-up, Ray's included), then the ratio sequential / ray.
No assertion: the numbers are the result.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "e2e" / "micro_four.yaml"
PROFILE = ROOT / "tests" / "e2e" / "micro_profile.yaml"


def _cell_seconds(home: Path) -> float:
    """Seconds the arm's cell runs were open, summed: the work, however it was spread over workers."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{home / 'mlflow.db'}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, "tags.`cft.stage` = 'cell'")
    return sum((r.info.end_time - r.info.start_time) / 1000 for r in runs)


def _ablation(home: Path, sets: list[str], executor: str, threads: int) -> float:
    env = dict(
        os.environ,
        OMP_WAIT_POLICY="PASSIVE",
        OMP_NUM_THREADS=str(threads),
        CFT_HOME=str(home / ".cft"),
        MLFLOW_TRACKING_URI=f"sqlite:///{home / 'mlflow.db'}",
        RAY_AUTH_MODE="disabled",
    )
    command = [sys.executable, "-m", "cft_lib.cli", "-q", "ablation", str(SPEC), "--profile", str(PROFILE)]
    command += [item for s in sets for item in ("--set", s)] + ["--executor", executor]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=home, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{executor} arm failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-size", type=int, default=6144, help="training records per cell")
    parser.add_argument("--limit", type=int, default=768, help="problems per benchmark")
    parser.add_argument("--two-threads", action="store_true", help="also time sequential cells on two threads")
    args = parser.parse_args()
    sets = [f"data.size={args.data_size}", f"eval.limit={args.limit}", f"validation.limit={args.limit}"]
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed"
        seed.mkdir()
        print("building the micro tiny base model once (not timed)...", flush=True)
        base_only = seed / "base.yaml"
        base_only.write_text(
            SPEC.read_text().split("cells:")[0] + "cells:\n  - {label: Base, method: base}\nbenchmarks: [MATH]\n"
        )
        subprocess.run(
            [sys.executable, "-m", "cft_lib.cli", "-q", "ablation", str(base_only), "--profile", str(PROFILE)],
            cwd=seed,
            env=dict(
                os.environ,
                OMP_WAIT_POLICY="PASSIVE",
                CFT_HOME=str(seed / ".cft"),
                MLFLOW_TRACKING_URI=f"sqlite:///{seed / 'mlflow.db'}",
            ),
            check=True,
            capture_output=True,
        )
        arms = [("sequential, 1 thread per cell", "local", 1), ("ray, 1 CPU per cell", "ray", 1)]
        if args.two_threads:
            arms.append(("sequential, 2 threads per cell", "local", 2))
        times, work = {}, {}
        for name, executor, threads in arms:
            home = Path(tmp) / executor / str(threads)
            shutil.copytree(seed / ".cft" / "models", home / ".cft" / "models")
            print(f"{name}: running...", flush=True)
            times[name] = _ablation(home, sets, executor, threads)
            work[name] = _cell_seconds(home)
            print(f"{name}: {times[name]:.1f} s", flush=True)
    print(f"\ncpus: {os.cpu_count()}; spec {SPEC.name} (4 cells), data.size={args.data_size}, limit={args.limit}")
    print(f"  {'arm':34s} {'wall':>8s} {'cell runs, summed':>18s} {'cells at once':>14s}")
    for name, seconds in times.items():
        print(f"  {name:34s} {seconds:7.1f}s {work[name]:17.1f}s {work[name] / seconds:14.2f}")
    sequential, ray = times["sequential, 1 thread per cell"], times["ray, 1 CPU per cell"]
    print(f"ratio sequential / ray (one thread per cell): {sequential / ray:.2f}x")
    if args.two_threads:
        print(f"ratio sequential on 2 threads / ray: {times['sequential, 2 threads per cell'] / ray:.2f}x")


if __name__ == "__main__":
    main()
