"""The `cft` command line: parse, resolve a config tree, call the stages. Logic lives in the library.

    cft build-base                     # build (or reuse) the tiny base model
    cft build-data --variant cft       # build (or reuse) one training set
    cft train --method cft             # build data if needed, fine-tune, log to MLflow
    cft evaluate --model PATH          # evaluate a model on benchmarks, log to MLflow
    cft ablation teacher_model         # run a spec's cells (tiny profile) and regenerate its table
    cft ablation teacher_model --set train.learning_rate=3e-4 --set data.size=500
    cft report teacher_model           # regenerate reports/tiny/teacher_model.md from the store
    cft ablation --all [--dry-run]     # every table of the paper; shared cells run once
    cft report --all                   # every report and reports/<profile>/README.md

`cft train`, `cft evaluate` and `cft build-data` resolve a one-cell spec against the profile
exactly as `cft ablation` resolves its cells; their flags are shorthands for choices and `--set`
overrides of the profile, so the command line and the ablations cannot drift.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from cft_lib import __version__
from cft_lib.errors import CftError, ConfigError

ENVIRONMENT = """environment:
  MLFLOW_TRACKING_URI        tracking store (default sqlite:///mlflow.db in the working directory)
  CFT_HOME                   built data and models (default ./.cft)
  CFT_BENCHMARK_DIR          local benchmark files <dir>/<name>/test.jsonl (default: the hub)
  CFT_CHECKPOINT_INTERVAL_S  seconds between training checkpoints (default 600)
  OPENAI_API_KEY             key for LLM teachers and the openai backend (never logged)
  OPENAI_BASE_URL            default endpoint of an LLM teacher (--teacher-base-url)
  TQDM_DISABLE=1             no progress bars (as -q)"""


def _overrides(args: argparse.Namespace, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    from cft_lib.ablation.specs import parse_overrides

    return (extra or {}) | parse_overrides(getattr(args, "set", None) or [])


def _teacher_choice(args: argparse.Namespace, overrides: dict[str, Any]) -> str:
    """The teacher named on the command line: a profile teacher, or one the flags describe."""
    if args.teacher:
        return args.teacher
    if args.teacher_model:
        binding = {
            "kind": "llm",
            "model": args.teacher_model,
            "base_url": args.teacher_base_url,
            "max_tokens": args.teacher_max_tokens,
            "concurrency": args.concurrency,
            "timeout_s": args.teacher_timeout,
        }
        overrides.setdefault("teachers", {})[args.teacher_model] = binding
        return args.teacher_model
    overrides.setdefault("teachers", {})[args.teacher_name] = {"kind": "oracle", "error_rate": args.teacher_error_rate}
    return args.teacher_name


def _base_model_choice(name: str, profile: str, overrides: dict[str, Any]) -> str:
    """A base model the profile binds, "tiny" (the profile's tiny_base recipe), or a path / hub id."""
    from cft_lib.ablation.specs import load_profile

    _, _, bound = load_profile(profile, overrides)
    if name not in bound.base_models:
        binding = {"kind": "tiny"} if name == "tiny" else {"kind": "hub", "path": name}
        overrides.setdefault("base_models", {})[name] = binding
    return name


def _first_dataset(profile: str) -> str:
    """The default training set: the first the profile binds (tiny: webinstruct, i.e. micro-web)."""
    from cft_lib.ablation.specs import load_profile

    _, where, bound = load_profile(profile)
    if not bound.datasets:
        raise ConfigError(f"{where}: binds no dataset; name one with --source SOURCE")
    return next(iter(bound.datasets))


TRAIN_FLAGS = {  # cft train's optimisation flags: the profile's train.* keys they set
    "lr": "learning_rate",
    "epochs": "epochs",
    "warmup_ratio": "warmup_ratio",
    "global_batch_size": "global_batch_size",
    "micro_batch_size": "micro_batch_size",
    "batching": "batching",
    "max_seq_len": "max_seq_len",
    "pack_len": "pack_len",
    "mixed_precision": "mixed_precision",
    "num_validations": "num_validations",
}


def _flag_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The profile keys the command's own flags set (those given), as nested mappings."""
    sections: dict[str, dict[str, Any]] = {
        "data": {"size": args.size, "seed": args.data_seed, "keep_consistent": getattr(args, "keep_consistent", None)},
        "train": {key: getattr(args, flag, None) for flag, key in TRAIN_FLAGS.items()},
        "validation": {"limit": getattr(args, "val_limit", None)},
        "launch": {
            "num_processes": getattr(args, "num_processes", None),
            "config_file": getattr(args, "accelerate_config", None),
        },
    }
    if args.source:
        sections["datasets"] = {"cli": {"source": args.source}}
    out = {name: {k: v for k, v in keys.items() if v is not None and v is not False} for name, keys in sections.items()}
    return {name: keys for name, keys in out.items() if keys}


def _training_cell(args: argparse.Namespace, method: str):
    """The one cell `cft train` / `cft build-data` run, resolved like an ablation's cell."""
    from cft_lib.ablation.specs import one_cell

    overrides = _flag_overrides(args)
    dataset = args.dataset or ("cli" if args.source else _first_dataset(args.profile))
    teacher = _teacher_choice(args, overrides)
    base_model = _base_model_choice(args.base_model, args.profile, overrides)
    overrides = _overrides(args, overrides)
    choices = {
        "method": method,
        "base_model": base_model,
        "dataset": dataset,
        "teacher": teacher,
        "seed": args.seed,
        "response_source": args.response_source,
    }
    return one_cell(choices, args.profile, overrides, label=f"{method} {dataset}")


def cmd_build_base(args: argparse.Namespace) -> int:
    from cft_lib.ablation.specs import load_profile, tiny_recipe
    from cft_lib.ablation.stages import build_base
    from cft_lib.registry import unknown_name_message
    from cft_lib.tracking import TAG_PREFIX, project_run_id, tracked_run

    path, where, profile = load_profile(args.profile, _overrides(args))
    if args.base_model is not None and args.base_model not in profile.base_models:
        raise ConfigError(f"{where}: {unknown_name_message('base model', args.base_model, list(profile.base_models))}")
    recipe = tiny_recipe(profile, args.base_model)
    tags = {
        f"{TAG_PREFIX}stage": "base-model",
        f"{TAG_PREFIX}fingerprint": recipe.fingerprint,
        f"{TAG_PREFIX}profile": path.stem,
    }
    with tracked_run(args.experiment, "tiny base model", tags, run_id=project_run_id()) as tracker:
        model_dir = build_base(recipe, tracker, progress=not args.quiet)
    print(model_dir)
    return 0


def cmd_build_data(args: argparse.Namespace) -> int:
    from cft_lib.ablation.stages import base_model_path, build_data
    from cft_lib.tracking import stage_run

    cell = _training_cell(args, args.variant)
    config = cell.train
    with stage_run(
        args.experiment, "build-data", f"build {config.data.label}", config.data, config.data.fingerprint
    ) as tracker:
        base = (
            base_model_path(config.base_model, config.tiny_recipe)
            if config.data.response_source == "self"
            else config.base_model
        )
        built = build_data(config, base, tracker, progress=not args.quiet)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built.path, out / "train.jsonl")
        (out / "stats.json").write_text(json.dumps(built.stats, indent=2))
    print(json.dumps({"path": str(built.path), **built.stats}, indent=2))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from cft_lib.ablation.stages import train_model
    from cft_lib.tracking import stage_run

    cell = _training_cell(args, args.method)
    config = cell.train
    with stage_run(
        args.experiment,
        "train",
        f"train {config.method} {config.data.source}",
        cell.config_dict(stages=("train",)),
        config.fingerprint,
    ) as tracker:
        summary = train_model(config, tracker, progress=not args.quiet)
    print(json.dumps(summary, indent=2))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from cft_lib.ablation.specs import one_cell
    from cft_lib.ablation.stages import base_model_path, evaluate_model
    from cft_lib.tracking import stage_run

    overrides: dict[str, Any] = {}
    evaluation = {
        k: v
        for k, v in (
            ("backend", args.backend),
            ("base_url", args.base_url),
            ("served_model", args.served_model),
            ("concurrency", args.concurrency),
            ("timeout_s", args.request_timeout),
            ("max_new_tokens", args.max_new_tokens),
            ("batch_size", args.batch_size),
            ("limit", args.limit),
        )
        if v is not None
    }
    if evaluation:
        overrides["eval"] = evaluation
    base_model = _base_model_choice(args.model, args.profile, overrides)
    cell = one_cell(
        {"method": "base", "base_model": base_model, "seed": args.seed, "temperature": args.temperature},
        args.profile,
        _overrides(args, overrides),
        label=f"evaluate {args.model}",
    )
    names = tuple(b.strip() for b in args.benchmarks.split(",") if b.strip()) if args.benchmarks else None
    if names:
        cell = replace(cell, eval=replace(cell.eval, benchmarks=names))
    cell.eval.check()  # unknown benchmarks fail before a run is created or a model is built
    cell.backend.check()
    if args.data_dir:
        os.environ["CFT_BENCHMARK_DIR"] = str(Path(args.data_dir).resolve())
    model = base_model_path(cell.base_model, cell.tiny_recipe)
    run_name = f"evaluate {args.model if cell.base_model != 'tiny' else 'tiny base'}"
    with stage_run(
        args.experiment, "evaluate", run_name, cell.config_dict(stages=("eval",)), cell.fingerprint
    ) as tracker:
        result = evaluate_model(model, cell.eval, cell.backend, tracker, progress=not args.quiet)
    for score in result.scores:
        low, high = score.wilson_interval()
        ci = f"95% CI {100 * low:.1f}-{100 * high:.1f}"
        print(f"{score.benchmark:>14}: {100 * score.accuracy:5.1f}%  (n={score.n}, {ci})")
    print(f"{'average':>14}: {100 * result.average:5.1f}%   run {tracker.run_id}")
    return 0


def _spec_or_all(args: argparse.Namespace) -> None:
    if bool(args.spec) == bool(args.all):
        raise ConfigError("name one spec (e.g. teacher_model) or pass --all, not both")


def cmd_ablation(args: argparse.Namespace) -> int:
    from cft_lib.ablation.plan import plan, print_plan
    from cft_lib.ablation.specs import load_ablation
    from cft_lib.ablation.suite import load_all, print_suite

    _spec_or_all(args)
    overrides = _overrides(args)
    ablations = (
        load_all(args.profile, seeds=args.seeds, overrides=overrides)
        if args.all
        else [load_ablation(args.spec, args.profile, seeds=args.seeds, overrides=overrides)]
    )  # all checks first
    if args.dry_run:  # no torch imported on this path (tests/test_layering.py)
        done = set()
        for ablation in ablations:
            plans = plan(ablation)
            print_plan(ablation, plans)
            done |= {p.cell.fingerprint for p in plans if p.finished_run is not None}
        if args.all:
            print_suite(ablations, done)
        _annotate_project_run(
            {
                "command": "ablation --dry-run",
                "specs": ",".join(a.name for a in ablations),
                "profile": args.profile,
                "cells_done": len(done),
            }
        )
        return 0
    from cft_lib.ablation.executors import ExecutorConfig, executor_session
    from cft_lib.ablation.runner import check_backends, run_ablation
    from cft_lib.report.tables import write_report

    def report(ablation, tracker):  # the runner sits below report/: the table is written from here
        return write_report(ablation, tracker=tracker)

    check_backends(ablations)
    resources = ablations[0].profile.resources
    executor = ExecutorConfig(args.executor, args.address, resources.num_cpus, resources.num_gpus)
    executor.check()
    if not args.all:
        return run_ablation(ablations[0], progress=not args.quiet, report=report, executor=executor)
    from cft_lib.ablation.suite import build_tiny_bases
    from cft_lib.report.index import write_index
    from cft_lib.tracking import TAG_PREFIX, project_run_id, tracked_run

    failed = build_tiny_bases(ablations, args.profile, overrides=args.set or [])  # side by side, one core each
    tags = {f"{TAG_PREFIX}stage": "suite", f"{TAG_PREFIX}profile": ablations[0].profile_name}
    with (
        executor_session(executor),
        tracked_run("cft/all", f"all specs ({ablations[0].profile_name})", tags, run_id=project_run_id()) as top,
    ):
        status = max(
            run_ablation(a, progress=not args.quiet, parent_run_id=top.run_id, report=report, executor=executor)
            for a in ablations
        )
        index = write_index(ablations)
        top.log_artifact(index, "report")
    print_suite(ablations)
    print(f"index: {index}")
    return max(status, 1 if failed else 0)


def cmd_report(args: argparse.Namespace) -> int:
    from cft_lib.ablation.specs import load_ablation
    from cft_lib.ablation.suite import load_all
    from cft_lib.report.index import write_index
    from cft_lib.report.tables import NothingToReport, write_report

    _spec_or_all(args)
    overrides = _overrides(args)
    if not args.all:
        path = write_report(load_ablation(args.spec, args.profile, seeds=args.seeds, overrides=overrides))
        print(path.read_text())
        print(f"written to {path}")
        _annotate_project_run({"command": "report", "specs": args.spec, "profile": args.profile}, [path])
        return 0
    ablations = load_all(args.profile, seeds=args.seeds, overrides=overrides)
    written, empty = 0, []
    for ablation in ablations:
        try:
            print(f"written to {write_report(ablation)}")
            written += 1
        except NothingToReport:
            empty.append(ablation.name)
    if not written:
        raise NothingToReport(
            f"no spec has a finished cell in this store; reports/{args.profile}/ is left as it is "
            "(run `cft ablation --all` first, or set MLFLOW_TRACKING_URI to the store that has them)"
        )
    if empty:
        print(f"no finished cells yet, report left as it is: {', '.join(empty)}")
    index = write_index(ablations)
    print(f"index: {index}")
    _annotate_project_run({"command": "report --all", "profile": args.profile}, [index])
    return 0


def _annotate_project_run(params: dict[str, Any], artifacts: list[Path] | tuple = ()) -> None:
    """Under `mlflow run`, say in the project's run what this command did (no run is left empty)."""
    from cft_lib.tracking import Tracker, project_run_id

    run_id = project_run_id()
    if run_id is None:
        return
    tracker = Tracker(run_id)
    tracker.log_params(params)
    for path in artifacts:
        tracker.log_artifact(path, "report")


# ---------------------------------------------------------------------------------------------
# Parser


def _add_common(parser: argparse.ArgumentParser, profile_help: str = "") -> None:
    parser.add_argument(
        "--profile",
        default="tiny",
        help=profile_help or "profile name under ablations/profiles/ or a path (default: %(default)s)",
    )
    parser.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        default=[],
        help="override a profile key, e.g. --set train.learning_rate=3e-4 --set data.size=500 "
        "(repeatable; validated like the profile file; changes the fingerprints it affects)",
    )


def _add_training_cell(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the cell (shorthands for choices and --set overrides of the profile)")
    group.add_argument(
        "--base-model",
        default="tiny",
        help="a base model the profile binds (e.g. qwen2.5-7b), 'tiny' (the profile's tiny_base "
        "recipe), or a model directory / hub id (default: %(default)s)",
    )
    group.add_argument(
        "--dataset", default=None, help="a dataset the profile binds (default: its first, e.g. webinstruct)"
    )
    group.add_argument(
        "--source",
        default=None,
        help="or a source: micro-web | micro-meta | micro-numina, webinstruct | metamathqa | "
        "numinamath (hub), name:file.jsonl, or a local .jsonl with question, response[, answer]",
    )
    group.add_argument(
        "--response-source",
        default=None,
        choices=["original", "self"],
        help="original: the dataset's responses; self: the base model's own (Table 7)",
    )
    group.add_argument(
        "--size", type=int, default=None, help="records in the training set (default: the profile's data.size)"
    )
    group.add_argument(
        "--data-seed",
        type=int,
        default=None,
        help="seed for sampling the source (default: the profile's data.seed; the cell's --seed is added to it)",
    )
    group.add_argument(
        "--seed", type=int, default=None, help="the cell's seed: training order and data sample (default: 0)"
    )
    group.add_argument("--teacher", default=None, help="a teacher the profile binds (e.g. gpt-4o-mini)")
    group.add_argument(
        "--teacher-error-rate",
        type=float,
        default=0.1,
        help="otherwise an oracle teacher: share of wrong critiques/judgements/solutions (default: %(default)s)",
    )
    group.add_argument(
        "--teacher-name", default="oracle", help="that oracle's name in params and reports (default: %(default)s)"
    )
    group.add_argument(
        "--teacher-model",
        default=None,
        help="or an LLM teacher: an OpenAI-compatible model name (key from $OPENAI_API_KEY)",
    )
    group.add_argument(
        "--teacher-base-url",
        default=os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1"),
        help="the LLM teacher's endpoint (default: $OPENAI_BASE_URL, else %(default)s)",
    )
    group.add_argument("--concurrency", type=int, default=8, help="LLM teacher: requests in flight (default: 8)")
    group.add_argument(
        "--teacher-timeout",
        type=float,
        default=120.0,
        help="LLM teacher: seconds per request before it is retried (default: %(default)s)",
    )
    group.add_argument(
        "--teacher-max-tokens",
        type=int,
        default=3200,
        help="LLM teacher: max tokens per answer (default: %(default)s, the paper's)",
    )


def build_parser() -> argparse.ArgumentParser:
    from cft_lib.data.methods import TRAINING_METHODS as METHODS

    parser = argparse.ArgumentParser(
        prog="cft",
        description="Critique Fine-Tuning ablations tracked in MLflow.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cft-lab {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and results only, no progress bars")
    sub = parser.add_subparsers(dest="command", required=True)

    base = sub.add_parser("build-base", help="build (or reuse) the tiny base model, tracked as an MLflow run")
    _add_common(base, "the profile whose tiny_base recipe to build (default: %(default)s)")
    base.add_argument(
        "--base-model",
        default=None,
        help="a tiny base model the profile binds (e.g. qwen2.5-7b); "
        "default: the profile's tiny_base recipe as it stands",
    )
    base.add_argument("--experiment", default="cft/build-base", help="MLflow experiment (default: %(default)s)")
    base.set_defaults(func=cmd_build_base)

    data = sub.add_parser("build-data", help="build (or reuse) one training set")
    data.add_argument("--variant", default="cft", choices=METHODS, help="which training set (default: %(default)s)")
    _add_common(data)
    _add_training_cell(data)
    data.add_argument(
        "--keep-consistent",
        action="store_true",
        help="cft: drop critiques whose verdict contradicts the reference answer (critique audit)",
    )
    data.add_argument("--out", default=None, help="also copy train.jsonl and stats.json into this directory")
    data.add_argument("--experiment", default="cft/build-data", help="MLflow experiment (default: %(default)s)")
    data.set_defaults(func=cmd_build_data)

    train = sub.add_parser("train", help="fine-tune a base model by SFT or CFT and log it to MLflow")
    train.add_argument(
        "--method",
        default="cft",
        choices=METHODS,
        help="training method; picks the data variant (default: %(default)s)",
    )
    _add_common(train)
    _add_training_cell(train)
    hyper = train.add_argument_group("optimisation (shorthands for --set train.KEY=VALUE; default: the profile's)")
    hyper.add_argument("--lr", type=float, default=None, help="peak learning rate")
    hyper.add_argument("--epochs", type=float, default=None, help="passes over the data")
    hyper.add_argument("--warmup-ratio", type=float, default=None, help="warm-up share of steps")
    hyper.add_argument("--global-batch-size", type=int, default=None, help="examples per optimizer step")
    hyper.add_argument("--micro-batch-size", type=int, default=None, help="examples (or packed rows) per forward pass")
    hyper.add_argument(
        "--batching", default=None, choices=["grouped", "packed", "padded"], help="how examples are batched"
    )
    hyper.add_argument("--max-seq-len", type=int, default=None, help="longer examples are skipped and counted")
    hyper.add_argument("--pack-len", type=int, default=None, help="tokens per packed row")
    hyper.add_argument(
        "--mixed-precision",
        default=None,
        choices=["auto", "no", "bf16", "fp16"],
        help="autocast precision; auto = bf16 only where this machine computes it natively and faster",
    )
    hyper.add_argument(
        "--num-validations", type=int, default=None, help="validation points; the best checkpoint is kept"
    )
    hyper.add_argument("--val-limit", type=int, default=None, help="validation problems per check")
    launch = train.add_argument_group("processes (shorthands for --set launch.KEY=VALUE; default: the profile's)")
    launch.add_argument(
        "--num-processes",
        type=int,
        default=None,
        help="training processes (GPUs) per machine; > 1 trains under `accelerate launch` (gloo on CPU)",
    )
    launch.add_argument(
        "--accelerate-config",
        default=None,
        metavar="FILE",
        help="an accelerate config file, e.g. launch/zero3.yaml (shipped under ablations/launch/)",
    )
    train.add_argument("--experiment", default="cft/train", help="MLflow experiment (default: %(default)s)")
    train.set_defaults(func=cmd_train)

    ev = sub.add_parser("evaluate", help="evaluate a model on benchmarks and log it to MLflow")
    ev.add_argument(
        "--model",
        required=True,
        help="model directory, hub id, a base model the profile binds, or 'tiny' (the profile's tiny base model)",
    )
    _add_common(ev)
    ev.add_argument(
        "--benchmarks",
        default=None,
        help="comma-separated registered benchmark names, e.g. "
        "micro-easy,micro-medium or math500,gsm8k (default: those the profile binds)",
    )
    ev.add_argument("--limit", type=int, default=None, help="only the first N problems of each benchmark")
    ev.add_argument(
        "--backend",
        default=None,
        choices=["hf", "openai", "vllm"],
        help="hf: in-process transformers; openai: any OpenAI-compatible server (default: the profile's)",
    )
    ev.add_argument("--base-url", default=None, help="openai backend: the server's /v1 URL")
    ev.add_argument(
        "--served-model",
        default=None,
        help="openai backend: model name on the server "
        "(default: --model); the API key is read from $OPENAI_API_KEY and never logged",
    )
    ev.add_argument("--concurrency", type=int, default=None, help="openai backend: requests in flight")
    ev.add_argument("--request-timeout", type=float, default=None, help="openai backend: seconds per request")
    ev.add_argument(
        "--data-dir",
        default=None,
        help="local benchmark files as <dir>/<name>/test.jsonl (default: $CFT_BENCHMARK_DIR, else the hub)",
    )
    ev.add_argument(
        "--max-new-tokens",
        type=int,
        default=None,
        help="generation budget per problem (default: the profile's eval.max_new_tokens; the paper: 2048)",
    )
    ev.add_argument("--batch-size", type=int, default=None, help="prompts per generation batch")
    ev.add_argument("--temperature", type=float, default=None, help="sampling temperature (default: 0, greedy)")
    ev.add_argument("--seed", type=int, default=None, help="sampling seed (default: 0)")
    ev.add_argument("--experiment", default="cft/evaluate", help="MLflow experiment (default: %(default)s)")
    ev.set_defaults(func=cmd_evaluate)

    ab = sub.add_parser("ablation", help="run a declarative ablation spec into MLflow and regenerate its table")
    ab.add_argument("spec", nargs="?", help="spec name under ablations/ (e.g. teacher_model) or a path to a YAML file")
    ab.add_argument(
        "--all",
        action="store_true",
        help="every spec of a paper table under ablations/ (not lr_sweep, run by name), in "
        "table order; shared cells run once; writes reports/<profile>/README.md",
    )
    _add_common(ab)
    ab.add_argument(
        "--dry-run", action="store_true", help="print the cells and stages, say which are done, run nothing"
    )
    ab.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="train every cell with seeds 0..N-1 and report means with CIs over seeds and problems "
        "(default: the spec's or profile's `seeds`, else one run per cell)",
    )
    ab.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where unfinished cells run: here, one after another (default), or as Ray tasks, each with "
        "the profile's `resources:` (ablation/executors.py)",
    )
    ab.add_argument(
        "--address",
        default=None,
        help="--executor ray: the cluster to join (auto, or ray://HOST:10001); default: a local cluster on this "
        "machine's cores",
    )
    ab.set_defaults(func=cmd_ablation)

    rep = sub.add_parser("report", help="regenerate reports/<profile>/<spec>.md from the tracking store")
    rep.add_argument("spec", nargs="?", help="spec name or path")
    rep.add_argument(
        "--all", action="store_true", help="every paper table's spec, and the index reports/<profile>/README.md"
    )
    _add_common(rep)
    rep.add_argument("--seeds", type=int, default=None, help="as for `cft ablation`: which seeds' runs to report")
    rep.set_defaults(func=cmd_report)
    return parser


def configure_logging(verbose: int, quiet: bool) -> None:
    """cft_lib's loggers through rich; -q also turns progress bars off (tqdm reads TQDM_DISABLE)."""
    from rich.logging import RichHandler

    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    handler = RichHandler(show_path=verbose > 1, show_time=verbose > 0, markup=False)
    logger = logging.getLogger("cft_lib")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    if quiet:
        os.environ["TQDM_DISABLE"] = "1"
    if not verbose:  # the libraries' own INFO chatter is not news to a user
        for name in ("transformers", "datasets", "httpx", "accelerate"):
            logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose, args.quiet)
    try:
        return args.func(args)
    except CftError as exc:
        print(f"cft: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
