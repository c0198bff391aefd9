"""Tune a cell's training with an Optuna study, so every method is compared at its own best settings.

A tuned cell (a spec's or profile's `sweep:`) runs `trials` trials. Each trial is the cell trained
with sampled values of the swept profile keys (as `--set` would set them), in its own MLflow run
nested under the cell's run; its objective is the best validation accuracy of that training, never
a test benchmark. A median pruner stops a trial whose validation accuracy at a validation point is
below the median of earlier trials there. The best trial's model is the cell's model: the cell's
run records the sweep and evaluates that model.

The study lives in Optuna RDB storage, named by the untuned training's fingerprint and the sweep
(`train-<fp>`, shared by every spec that tunes the same training): `sqlite:///$CFT_HOME/optuna.db`,
or any SQLAlchemy URL in `CFT_SWEEP_STORAGE` (a database server, so that workers on several machines
share one study). A killed sweep, rerun, keeps its finished trials: the trial the kill interrupted is
marked FAIL (its owner is gone) and the study runs on to its budget. Each trial is sampled by a TPE
sampler seeded with `seed` plus the number of finished trials, so a resumed study samples what an
uninterrupted one would have, and a trial's training is content-addressed like any other (a trial
that repeats an earlier one's values reuses its model). `optuna-dashboard <storage URL>` shows the studies.
"""

from __future__ import annotations

import logging
import os
import shutil
from typing import TYPE_CHECKING, Any

from cft_lib.ablation.stages import train_model
from cft_lib.ablation.store import cell_tags, experiment_name, spec_params
from cft_lib.errors import CftError
from cft_lib.fingerprint import fingerprint
from cft_lib.owners import Heartbeat, owner_alive, owner_tags
from cft_lib.paths import artifact_dir, building, cft_home, is_done, opening_store, sqlite_file
from cft_lib.tracking import TAG_PREFIX, Tracker, safe_uri, tracked_run

if TYPE_CHECKING:
    import optuna

    from cft_lib.ablation.cell import ResolvedCell, SweepConfig
    from cft_lib.ablation.specs import Ablation

TRIAL = "trial"  # cft.stage of a trial's run
log = logging.getLogger(__name__)


def storage_url() -> str:
    """Where studies live: CFT_SWEEP_STORAGE (any SQLAlchemy URL), else SQLite under CFT_HOME."""
    return os.environ.get("CFT_SWEEP_STORAGE") or f"sqlite:///{cft_home() / 'optuna.db'}"


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's RDB storage; a new SQLite file is created under a lock, as the MLflow store is."""
    import optuna

    with opening_store(url):
        if sqlite_file(url) is None:
            return optuna.storages.RDBStorage(url)
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})


def study_name(cell: ResolvedCell) -> str:
    """The untuned training and the sweep: two specs that tune the same training share one study."""
    assert cell.train is not None
    return f"train-{fingerprint('study', cell.train.fingerprint, cell.sweep)}"


def tune(ablation: Ablation, cell: ResolvedCell, tracker: Tracker, progress: bool = True) -> ResolvedCell:
    """Run the cell's study to its budget (keeping finished trials) and return the best trial's cell,
    whose model is trained; the sweep is logged into `tracker` (the cell's run)."""
    import optuna

    sweep = cell.sweep
    if sweep is None:
        raise CftError(f"cell {cell.label} has no sweep")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    name = study_name(cell)
    storage = open_storage(storage_url())
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize", load_if_exists=True)
    tracker.set_tags(
        {
            f"{TAG_PREFIX}tuned": "true",
            f"{TAG_PREFIX}sweep.study": name,
            f"{TAG_PREFIX}sweep.storage": safe_uri(storage_url()),
        }
    )
    # one process runs a study at a time (another spec tuning the same training waits, then finds it done)
    with building(artifact_dir("studies", name), f"the sweep {name}"):
        _fail_orphans(study)
        while (done := len(_finished(study))) < sweep.trials:
            study.sampler = _sampler(sweep, done)
            study.pruner = _pruner(sweep)
            log.info("%s: sweep trial %d of %d", ablation.run_name(cell), done + 1, sweep.trials)
            study.optimize(lambda trial: _objective(trial, ablation, cell, tracker, progress), n_trials=1, catch=())
    finished = _finished(study)
    complete = [t for t in finished if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise CftError(f"{ablation.run_name(cell)}: every trial of the sweep was pruned; no model to keep")
    best = max(complete, key=lambda t: (t.value, -t.number))  # the earliest of equals
    tracker.log_params({f"sweep.best.{k}": v for k, v in best.params.items()} | {"sweep.best_trial": best.number})
    tracker.log_metrics(
        {
            "sweep/trials": len(finished),
            "sweep/complete": len(complete),
            "sweep/pruned": len(finished) - len(complete),
            "sweep/best_val_accuracy": best.value,
        }
    )
    tracker.log_dict(
        [{"number": t.number, "state": t.state.name, "params": t.params, "value": t.value} for t in finished],
        "sweep/trials.json",
    )
    return _trial_cell(ablation, cell, best.params)


def _finished(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    import optuna

    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return study.get_trials(deepcopy=False, states=states)


def _sampler(sweep: SweepConfig, finished: int) -> optuna.samplers.BaseSampler:
    """Seeded by the finished trials' count: the next trial depends on the history only, not on when
    the sweep was interrupted."""
    import optuna

    return optuna.samplers.TPESampler(seed=sweep.seed + finished, n_startup_trials=sweep.startup_trials)


def _pruner(sweep: SweepConfig) -> optuna.pruners.BasePruner:
    import optuna

    if sweep.pruner == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=sweep.startup_trials, n_warmup_steps=0)


def _fail_orphans(study: optuna.Study) -> None:
    """Trials left RUNNING by a process that is gone (a killed sweep) are marked FAIL: not counted."""
    import optuna

    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if not owner_alive(trial.user_attrs):
            study._storage.set_trial_state_values(trial._trial_id, state=optuna.trial.TrialState.FAIL)
            log.warning("sweep trial %d was interrupted (its process is gone): marked FAIL", trial.number)


def _suggest(trial: optuna.Trial, key: str, kind: str, bounds: tuple[Any, ...]) -> Any:
    if kind == "log_uniform":
        return trial.suggest_float(key, bounds[0], bounds[1], log=True)
    if kind == "uniform":
        return trial.suggest_float(key, bounds[0], bounds[1])
    if kind == "int":
        return trial.suggest_int(key, bounds[0], bounds[1])
    return trial.suggest_categorical(key, list(bounds))


def _trial_cell(ablation: Ablation, cell: ResolvedCell, params: dict[str, Any]) -> ResolvedCell:
    from cft_lib.ablation.specs import trial_cell

    return trial_cell(ablation, cell, params)


def _objective(trial: optuna.Trial, ablation: Ablation, cell: ResolvedCell, parent: Tracker, progress: bool) -> float:
    """Train the cell at the trial's values in a run nested under the cell's; its best validation accuracy."""

    def mark(tags: dict[str, str]) -> None:
        for key, value in tags.items():
            trial.set_user_attr(key, value)

    mark(owner_tags())  # a rerun fails this trial only once this process is gone (its heartbeat, off this host)
    with Heartbeat(mark):
        return _train_trial(trial, ablation, cell, parent, progress)


def _train_trial(trial: optuna.Trial, ablation: Ablation, cell: ResolvedCell, parent: Tracker, progress: bool) -> float:
    import optuna

    assert cell.sweep is not None
    params = {key: _suggest(trial, key, kind, bounds) for key, kind, bounds in cell.sweep.params}
    variant = _trial_cell(ablation, cell, params)
    assert variant.train is not None
    name = f"{ablation.run_name(cell)} trial {trial.number}"
    tags = cell_tags(ablation, cell, TRIAL) | {
        f"{TAG_PREFIX}trial": str(trial.number),
        f"{TAG_PREFIX}sweep.study": trial.study.study_name,
    }
    reported: set[int] = set()

    def report(step: int, score: float) -> None:
        trial.report(score, step)
        reported.add(step)
        if trial.should_prune():
            run.log_metrics({"val/accuracy": score}, step=step)  # training logs its step after this; it stops here
            raise optuna.TrialPruned(f"validation accuracy {score:.3f} at step {step} is below the median")

    pruned: optuna.TrialPruned | None = None
    with tracked_run(experiment_name(ablation.name), name, tags, parent=parent.run_id) as run:
        run.log_params(spec_params(ablation) | {f"trial.{k}": v for k, v in params.items()})
        run.log_config(variant.config_dict(stages=("train",)))
        try:
            summary = train_model(variant.train, run, progress, after_validation=report)
            for step, score in summary.get("validation") or []:  # reused, or validated after training
                if step not in reported:
                    trial.report(score, step)
        except optuna.TrialPruned as stop:
            pruned = stop
            run.set_tags({f"{TAG_PREFIX}trial.state": "PRUNED", f"{TAG_PREFIX}trial.pruned": str(stop)})
        else:
            run.set_tags({f"{TAG_PREFIX}trial.state": "COMPLETE"})
    if pruned is not None:
        out = variant.train.output_dir
        with building(out, f"removing the pruned training {out.name}"):  # another process may train it now
            if not is_done(out):
                shutil.rmtree(out, ignore_errors=True)  # a stopped training: nothing to keep
        raise pruned
    best = summary.get("best_val_accuracy")
    if best is None:
        raise CftError(f"{name}: the training has no validation accuracy (train.num_validations: 0?)")
    return float(best)
