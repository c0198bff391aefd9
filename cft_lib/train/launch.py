"""How a training is spread over processes and machines: `accelerate launch`, from one config.

A single process trains in the caller's process (CPU or one GPU). Anything more (several GPUs,
several machines, DeepSpeed ZeRO) runs the training under `accelerate launch` in a subprocess, so
the caller's process, which built the data and holds the MLflow run, never joins a process group
(ablation/launched.py is the other side). Data parallelism does not change what is trained (the
global batch is fixed: tests/train/test_parallel.py), so the launch is logged with a cell but is
not part of its fingerprint.

Shipped accelerate configs live in ablations/launch/ (single GPU, DDP, ZeRO-2, ZeRO-3, multi-node);
`config_file` names one, and `num_processes` / `num_machines` / `zero_stage`, where set, win over
the file. On a machine without CUDA the processes run on CPU with gloo (how this is tested here).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cft_lib.errors import ConfigError
from cft_lib.paths import ablations_dir

ZERO_STAGES = (0, 1, 2, 3)


@dataclass(frozen=True)
class LaunchConfig:
    num_processes: int = 1  # training processes per machine (GPUs per node); > 1 runs `accelerate launch`
    num_machines: int = 1  # nodes; the others run the same job (docs/DESIGN.md, "Multi-node")
    config_file: str | None = None  # an accelerate config, e.g. ablations/launch/zero3.yaml
    zero_stage: int | None = None  # DeepSpeed ZeRO stage without a config file (None: no DeepSpeed)
    main_process_port: int | None = None  # rendezvous port (None: accelerate's default, 29500)

    @property
    def launched(self) -> bool:
        """Whether training leaves this process (several processes, a config file, or DeepSpeed)."""
        return self.num_processes * self.num_machines > 1 or self.config_file is not None or self.zero_stage is not None

    def check(self) -> None:
        problems = []
        if self.num_processes < 1 or self.num_machines < 1:
            problems.append("launch.num_processes and launch.num_machines must be >= 1")
        if self.zero_stage is not None and self.zero_stage not in ZERO_STAGES:
            problems.append(f"launch.zero_stage: {self.zero_stage} not one of {ZERO_STAGES}")
        if self.config_file is not None and not resolve_config_file(self.config_file).is_file():
            problems.append(
                f"launch.config_file: {self.config_file} not found (relative paths are read from the working "
                f"directory, then from {ablations_dir()}; shipped: {', '.join(shipped_configs())})"
            )
        if problems:
            raise ConfigError("invalid launch:\n  " + "\n  ".join(problems))

    def command(self, module: str, *args: str) -> list[str]:
        """`accelerate launch` running `python -m module args...` in every process."""
        command = [sys.executable, "-m", "accelerate.commands.launch"]
        if self.config_file is not None:
            path = resolve_config_file(self.config_file)
            command += ["--config_file", str(path)]
            deepspeed_file = _deepspeed_file(path)
            if deepspeed_file is not None:  # accelerate would read it from the working directory
                command += ["--deepspeed_config_file", str(deepspeed_file)]
        elif self.zero_stage is None and self.num_processes * self.num_machines > 1:
            command += ["--multi_gpu"]  # plain data parallelism (gloo on CPU, NCCL on GPUs)
        if self.zero_stage is not None:
            command += ["--use_deepspeed", "--zero_stage", str(self.zero_stage)]
        command += ["--num_processes", str(self.num_processes * self.num_machines)]
        command += ["--num_machines", str(self.num_machines)]
        if self.main_process_port is not None:
            command += ["--main_process_port", str(self.main_process_port)]
        return [*command, "--module", module, *args]

    def environment(self) -> dict[str, str]:
        """The processes' environment: CPU when there is no GPU, and no spinning OpenMP threads."""
        import torch

        env = dict(os.environ)
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if not torch.cuda.is_available() and not self.deepspeed:  # DeepSpeed picks its CPU accelerator itself
            env["ACCELERATE_USE_CPU"] = "true"
        return env

    @property
    def shards_weights(self) -> bool:
        """ZeRO-3 over several processes: each holds a shard of the weights, so generating inside the
        training processes (validation.via: training, Figure 2's curves) would need every process to
        step in lockstep. Such runs validate saved models after training instead."""
        if self.num_processes * self.num_machines < 2 or not self.deepspeed:
            return self.zero_stage == 3 and self.num_processes * self.num_machines > 1
        if self.zero_stage is not None:
            return self.zero_stage == 3
        import json

        assert self.config_file is not None
        path = resolve_config_file(self.config_file)
        settings = _settings(path).get("deepspeed_config") or {}
        if "zero_stage" in settings:
            return int(settings["zero_stage"]) == 3
        deepspeed_file = _deepspeed_file(path)
        if deepspeed_file is None or not deepspeed_file.is_file():
            return False
        return json.loads(deepspeed_file.read_text()).get("zero_optimization", {}).get("stage") == 3

    @property
    def deepspeed(self) -> bool:
        if self.zero_stage is not None:
            return True
        if self.config_file is None:
            return False
        return _settings(resolve_config_file(self.config_file)).get("distributed_type") == "DEEPSPEED"


def resolve_config_file(name: str) -> Path:
    """A config path as given (absolute or from the working directory), else under ablations/."""
    path = Path(name)
    if path.is_absolute() or path.exists():
        return path.resolve()
    return (ablations_dir() / path).resolve()


def _settings(config_file: Path) -> dict[str, Any]:
    """An accelerate config file's settings."""
    import yaml

    return yaml.safe_load(config_file.read_text()) or {}


def _deepspeed_file(config_file: Path) -> Path | None:
    """The DeepSpeed JSON an accelerate config names, read beside that config when relative."""
    name = (_settings(config_file).get("deepspeed_config") or {}).get("deepspeed_config_file")
    if not name:
        return None
    path = Path(name)
    return path if path.is_absolute() else config_file.parent / path


def shipped_configs() -> list[str]:
    return sorted(f"launch/{p.name}" for p in (ablations_dir() / "launch").glob("*.yaml"))
