"""Where an ablation's unfinished cells run: one after another here (local), or as Ray tasks.

Both executors run the same function on each cell (`runner.run_cell_once`), so the reuse and resume
rules are the same: a cell whose fingerprint another process finished meanwhile is reused, one it
is running now is waited for (a lock per fingerprint), and a trained model or built dataset is
reused by every cell that needs it (a lock per artifact directory). Work shared by several cells
(the tiny base models) is built by the runner before any cell is handed out.

Ray: `cft ablation SPEC --executor ray` starts a local cluster on this machine's cores; `--address
auto` joins a running one (`ray start --head` here) and `--address ray://HOST:10001` a remote one.
Each cell is one task asking for the profile's `resources:` (tiny: one CPU, so a 2-core machine
runs two cells at once, each torch on one thread; paper: `num_gpus: 8`). The tasks log into the
same tracking store as this process: a SQLite file on one machine (its absolute path is handed to
the workers), a tracking server (`MLFLOW_TRACKING_URI=http://...`) on a cluster, where CFT_HOME must
also be a shared file system that every node mounts at the same path.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cft_lib.errors import ConfigError
from cft_lib.paths import cft_home, sqlite_file
from cft_lib.tracking import tracking_uri

if TYPE_CHECKING:
    from cft_lib.ablation.cell import ResolvedCell
    from cft_lib.ablation.specs import Ablation

EXECUTORS = ("local", "ray")
# passed on to Ray workers as they are set here (HF_HUB_OFFLINE etc.: the workers load what this process would)
# what a task needs that a worker on another node does not inherit: hub and cft settings, and the
# credentials of an LLM teacher, the hub and a tracking server (through Ray's runtime env; never logged)
FORWARDED_ENV = (
    "HF_HOME",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "HF_TOKEN",
    "CFT_HEARTBEAT_S",
    "CFT_CHECKPOINT_INTERVAL_S",
    "CFT_SWEEP_STORAGE",
    "OPENAI_API_KEY",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
)


@dataclass(frozen=True)
class CellOutcome:
    """How one cell ended: `status` finished (trained and evaluated here), reused (finished by another
    process meanwhile) or failed (`error` says why; the traceback is on the cell's run)."""

    label: str
    status: str
    seconds: float
    average: float | None = None
    error: str = ""
    run_id: str = ""


CellRunner = Callable[["Ablation", "ResolvedCell", str, bool], CellOutcome]


@dataclass(frozen=True)
class ExecutorConfig:
    """`cft ablation --executor NAME [--address ADDR]`; `resources` are the profile's, per cell."""

    name: str = "local"
    address: str | None = None  # ray: None starts a local cluster; auto; ray://host:port
    num_cpus: float = 1.0
    num_gpus: float = 0.0

    def check(self) -> None:
        if self.name not in EXECUTORS:
            raise ConfigError(f"--executor {self.name!r}: unknown executor; known: {', '.join(EXECUTORS)}")
        if self.address and self.name != "ray":
            raise ConfigError("--address is for --executor ray")
        if self.name == "ray":
            try:
                import ray  # noqa: F401
            except ImportError:
                raise ConfigError("--executor ray needs Ray: pip install 'cft-lab[ray]'") from None


def run_cells(
    ablation: Ablation,
    cells: list[ResolvedCell],
    parent_run_id: str,
    progress: bool,
    executor: ExecutorConfig,
    run_one: CellRunner,
    announce: Callable[[CellOutcome], None],
) -> list[CellOutcome]:
    """Run `cells` with `executor`; `announce` is called as each one ends (in the order they end)."""
    if executor.name == "local" or not cells:
        outcomes = []
        for cell in cells:
            outcomes.append(run_one(ablation, cell, parent_run_id, progress))
            announce(outcomes[-1])
        return outcomes
    return _run_on_ray(ablation, cells, parent_run_id, executor, run_one, announce)


@contextmanager
def executor_session(executor: ExecutorConfig) -> Iterator[None]:
    """One Ray cluster connection for several ablations (`--all`), instead of one per spec."""
    if executor.name != "ray":
        yield
        return
    import ray

    _init_ray(executor)
    try:
        yield
    finally:
        ray.shutdown()


def _init_ray(executor: ExecutorConfig) -> None:
    import ray

    ray.init(
        address=executor.address,
        runtime_env={"env_vars": worker_environment(executor.num_cpus)},
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=True,
    )


def worker_environment(num_cpus: float) -> dict[str, str]:
    """What a Ray worker needs to see the same store and artifacts as this process, on its own threads."""
    uri = tracking_uri()
    store_file = sqlite_file(uri)  # absolute: a worker starts in another directory
    uri = f"sqlite:///{store_file}" if store_file is not None else uri
    threads = str(max(1, int(num_cpus)))
    env = {
        "CFT_HOME": str(cft_home()),
        "MLFLOW_TRACKING_URI": uri,
        "OMP_WAIT_POLICY": "PASSIVE",
        "OMP_NUM_THREADS": threads,  # every thread pool a cell's libraries start: as many as its CPUs
        "MKL_NUM_THREADS": threads,
        "RAYON_NUM_THREADS": threads,  # the tokenizers' pool (by default one thread per core of the machine)
        "CFT_TORCH_THREADS": threads,
        "TQDM_DISABLE": "1",  # a dozen interleaved bars in the driver's log read as noise
        "CFT_WORKDIR": os.getcwd(),  # relative paths (ablations/, a spec's path) as the driver reads them
    }
    return env | {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}


def _cell_task(ablation: Ablation, cell: ResolvedCell, parent_run_id: str, run_one: CellRunner) -> CellOutcome:
    """One cell on a Ray worker, in the driver's working directory (where it exists on this node: on a
    cluster, a shared path), torch on as many threads as the task has CPUs."""
    import torch

    workdir = os.environ.get("CFT_WORKDIR", "")
    if workdir and os.path.isdir(workdir):
        os.chdir(workdir)
    torch.set_num_threads(int(os.environ.get("CFT_TORCH_THREADS", "1")))
    return run_one(ablation, cell, parent_run_id, False)


def _run_on_ray(
    ablation: Ablation,
    cells: list[ResolvedCell],
    parent_run_id: str,
    executor: ExecutorConfig,
    run_one: CellRunner,
    announce: Callable[[CellOutcome], None],
) -> list[CellOutcome]:
    import ray

    env = worker_environment(executor.num_cpus)
    started_here = not ray.is_initialized()
    if started_here:
        _init_ray(executor)
    task: Any = ray.remote(_cell_task).options(
        num_cpus=executor.num_cpus, num_gpus=executor.num_gpus, max_retries=0, runtime_env={"env_vars": env}
    )
    started = time.perf_counter()
    pending = {task.remote(ablation, cell, parent_run_id, run_one): cell for cell in cells}
    outcomes = []
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            cell = pending.pop(ready[0])
            try:
                outcome = ray.get(ready[0])
            except Exception as error:  # the worker died (out of memory, a lost node): the cell failed
                outcome = CellOutcome(
                    cell.label, "failed", time.perf_counter() - started, error=f"{type(error).__name__}: {error}"
                )
            outcomes.append(outcome)
            announce(outcome)
    finally:
        for ref in pending:  # Ctrl-C: the cells still running stop with this process
            ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()
    return outcomes
