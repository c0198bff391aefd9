"""The `cft` command line: one sub-command per stage. No logic here: parse, build configs, call.

    cft build-base                     # build (or reuse) the tiny base model
    cft build-data --variant cft       # build (or reuse) one training set
    cft train --method cft             # build data if needed, fine-tune, log to MLflow
    cft evaluate --model PATH          # evaluate a model on benchmarks, log to MLflow
    cft ablation teacher_model         # run a spec's cells (tiny profile) and regenerate its table
    cft report teacher_model           # regenerate reports/tiny/teacher_model.md from the store
    cft ablation --all [--dry-run]     # every table of the paper; shared cells run once
    cft report --all                   # every report and reports/<profile>/README.md

Runs are tracked in sqlite:///mlflow.db in the working directory unless MLFLOW_TRACKING_URI is
set; built data and models go under $CFT_HOME (default ./.cft).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

from cft_lib.errors import CftError, ConfigError

DEFAULT_BENCHMARKS = "micro-easy,micro-medium,micro-hard"


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("training data")
    group.add_argument("--source", default="micro-web",
                       help="dataset source: micro-web | micro-meta | micro-numina, or a local .jsonl file with "
                            "question, response[, answer] fields (default: %(default)s)")
    group.add_argument("--size", type=int, default=2000, help="records in the training set (default: %(default)s)")
    group.add_argument("--data-seed", type=int, default=0, help="seed for sampling the source (default: %(default)s)")
    group.add_argument("--teacher-error-rate", type=float, default=0.1,
                       help="oracle teacher: share of wrong critiques/judgements/solutions (default: %(default)s)")
    group.add_argument("--teacher-name", default="oracle",
                       help="label of the teacher in params and reports (default: %(default)s)")
    group.add_argument("--teacher-model", default=None,
                       help="an OpenAI-compatible model name: use an LLM teacher instead of the oracle "
                            "(the API key is read from $OPENAI_API_KEY and never logged)")
    group.add_argument("--teacher-base-url", default="https://api.openai.com/v1",
                       help="the LLM teacher's endpoint (default: %(default)s)")
    group.add_argument("--concurrency", type=int, default=8, help="LLM teacher: requests in flight (default: 8)")
    group.add_argument("--teacher-timeout", type=float, default=120.0,
                       help="LLM teacher: seconds per request before it is retried (default: %(default)s)")
    group.add_argument("--teacher-max-tokens", type=int, default=3200,
                       help="LLM teacher: max tokens per answer (default: %(default)s, the paper's)")


def _data_config(args: argparse.Namespace, variant: str):
    from cft_lib.data.builders import DataConfig
    from cft_lib.teachers.config import TeacherConfig

    if args.teacher_model:
        teacher = TeacherConfig(kind="llm", name=args.teacher_model, model=args.teacher_model,
                                base_url=args.teacher_base_url, concurrency=args.concurrency,
                                max_tokens=args.teacher_max_tokens, timeout_s=args.teacher_timeout)
    else:
        teacher = TeacherConfig(kind="oracle", name=args.teacher_name, error_rate=args.teacher_error_rate)
    return DataConfig(source=args.source, variant=variant, size=args.size, seed=args.data_seed, teacher=teacher,
                      keep_consistent=getattr(args, "keep_consistent", False))


def _tiny_recipe(profile: str, base_model: str | None = None):
    """The tiny base model's recipe as a profile sets it (one recipe for the CLI and the ablations)."""
    from cft_lib.ablation.schema import Profile, parse_model, read_yaml
    from cft_lib.ablation.specs import find_profile, tiny_recipe
    from cft_lib.registry import unknown_name_message

    path = find_profile(profile)
    parsed = parse_model(path, Profile, read_yaml(path))
    if base_model is not None and base_model not in parsed.base_models:
        raise ConfigError(f"{path}: {unknown_name_message('base model', base_model, list(parsed.base_models))}")
    return tiny_recipe(parsed, base_model)


def cmd_build_base(args: argparse.Namespace) -> int:
    from cft_lib.ablation.stages import base_model_stage
    from cft_lib.tracking import mlflow_client

    recipe = _tiny_recipe(args.profile, args.base_model)
    mlflow_client().set_experiment(args.experiment)
    model_dir = base_model_stage(recipe, "build-base", args.profile)
    print(model_dir)
    return 0


def cmd_build_data(args: argparse.Namespace) -> int:
    import shutil

    import mlflow

    from cft_lib.ablation.stages import response_is_right
    from cft_lib.data.builders import build_dataset
    from cft_lib.tracking import log_training_input, stage_run

    config = _data_config(args, args.variant)
    config.check()
    with stage_run(args.experiment, "build-data", f"build {config.label}", config, config.fingerprint):
        built = build_dataset(config, truth=response_is_right)
        if "verdict_agreement" in built.stats:
            mlflow.log_metric("audit/verdict_agreement", built.stats["verdict_agreement"])
        log_training_input(built.path, config.label, built.fingerprint)
        mlflow.log_dict(built.stats, "data/stats.json")
        mlflow.log_metrics({"data/built": built.stats["built"],
                            "data/skipped": sum(built.stats["skipped"].values())})
        mlflow.log_metrics({f"teacher/{k}": v for k, v in built.stats.get("teacher_usage", {}).items()})
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built.path, out / "train.jsonl")
        (out / "stats.json").write_text(json.dumps(built.stats, indent=2))
    print(json.dumps({"path": str(built.path), **built.stats}, indent=2))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from cft_lib.ablation.stages import TrainStageConfig, ValidationConfig, train_stage
    from cft_lib.tracking import stage_run
    from cft_lib.train.config import TrainConfig

    train = TrainConfig(
        learning_rate=args.lr, epochs=args.epochs, warmup_ratio=args.warmup_ratio,
        global_batch_size=args.global_batch_size, micro_batch_size=args.micro_batch_size,
        batching=args.batching, max_seq_len=args.max_seq_len, pack_len=max(args.pack_len, args.max_seq_len),
        seed=args.seed, num_validations=args.num_validations, mixed_precision=args.mixed_precision,
    )
    config = TrainStageConfig(
        base_model=args.base_model, method=args.method, data=_data_config(args, args.method), train=train,
        validation=ValidationConfig(limit=args.val_limit), tiny_recipe=_tiny_recipe("tiny"),
    )
    config = config.resolved()
    with stage_run(args.experiment, "train", f"train {config.method} {config.data.source}", config,
                   config.fingerprint):
        summary = train_stage(config)
    print(json.dumps(summary, indent=2))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from cft_lib.ablation.stages import evaluate_stage, resolve_base_model
    from cft_lib.eval.benchmarks import benchmark_versions
    from cft_lib.eval.evaluate import EvalConfig
    from cft_lib.fingerprint import fingerprint
    from cft_lib.llm.base import GenerationConfig
    from cft_lib.tracking import stage_run

    if args.backend == "openai" and not args.base_url:
        raise ConfigError("--backend openai needs --base-url (e.g. http://127.0.0.1:8000/v1)")
    if args.backend == "vllm" and importlib.util.find_spec("vllm") is None:
        raise ConfigError("--backend vllm needs vLLM on a GPU machine (pip install 'cft-lab[gpu]'); or run "
                          "`vllm serve MODEL` and use --backend openai --base-url http://127.0.0.1:8000/v1")
    if args.data_dir:
        os.environ["CFT_BENCHMARK_DIR"] = str(Path(args.data_dir).resolve())
    model = resolve_base_model(args.model, _tiny_recipe("tiny"))
    config = EvalConfig(
        benchmarks=tuple(b.strip() for b in args.benchmarks.split(",") if b.strip()), limit=args.limit,
        generation=GenerationConfig(max_new_tokens=args.max_new_tokens, batch_size=args.batch_size),
    )
    config.check()  # unknown benchmarks fail before a run is created
    backend = None
    if args.backend == "openai":
        from cft_lib.llm.openai_backend import OpenAIBackend

        backend = OpenAIBackend(args.base_url, args.served_model or model, concurrency=args.concurrency,
                                timeout_s=args.request_timeout)
    elif args.backend == "vllm":
        from cft_lib.llm.vllm_backend import VLLMBackend

        backend = VLLMBackend(model)
    run_config = {"model": model, "eval": config, "backend": backend.describe() if backend else {"backend": "hf"}}
    with stage_run(args.experiment, "evaluate", f"evaluate {Path(model).name}", run_config,
                   fingerprint("evaluate", model, config, benchmark_versions(config.benchmarks))) as run:
        result = evaluate_stage(model, config, backend=backend)
    run_id = run.info.run_id
    for score in result.scores:
        low, high = score.wilson_interval()
        ci = f"95% CI {100 * low:.1f}-{100 * high:.1f}"
        print(f"{score.benchmark:>14}: {100 * score.accuracy:5.1f}%  (n={score.n}, {ci})")
    print(f"{'average':>14}: {100 * result.average:5.1f}%   run {run_id}")
    return 0


def _spec_or_all(args: argparse.Namespace) -> None:
    if bool(args.spec) == bool(args.all):
        raise ConfigError("name one spec (e.g. teacher_model) or pass --all, not both")


def cmd_ablation(args: argparse.Namespace) -> int:
    from cft_lib.ablation.runner import plan, run_ablation
    from cft_lib.ablation.specs import load_ablation
    from cft_lib.ablation.suite import build_tiny_bases, load_all, print_suite

    _spec_or_all(args)
    if not args.all:
        ablation = load_ablation(args.spec, args.profile, seeds=args.seeds)  # every check before any run starts
        return run_ablation(ablation, dry_run=args.dry_run)
    ablations = load_all(args.profile, seeds=args.seeds)  # every spec checked before any run starts
    if args.dry_run:
        done = {p.cell.fingerprint for a in ablations for p in plan(a) if p.finished_run is not None}
        for ablation in ablations:
            run_ablation(ablation, dry_run=True)
        print_suite(ablations, done)
        return 0
    from cft_lib.report.index import write_index

    failed = build_tiny_bases(ablations, args.profile)  # side by side: pre-training uses one core each
    status = max(run_ablation(ablation) for ablation in ablations)
    status = max(status, 1 if failed else 0)
    print_suite(ablations)
    print(f"index: {write_index(ablations)}")
    return status


def cmd_report(args: argparse.Namespace) -> int:
    from cft_lib.ablation.specs import load_ablation
    from cft_lib.ablation.suite import load_all
    from cft_lib.report.index import write_index
    from cft_lib.report.tables import write_report

    _spec_or_all(args)
    if args.all:
        ablations = load_all(args.profile, seeds=args.seeds)
        for ablation in ablations:
            print(f"written to {write_report(ablation)}")
        print(f"index: {write_index(ablations)}")
        return 0
    path = write_report(load_ablation(args.spec, args.profile, seeds=args.seeds))
    print(path.read_text())
    print(f"written to {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cft", description="Critique Fine-Tuning ablations tracked in MLflow.")
    sub = parser.add_subparsers(dest="command", required=True)

    base = sub.add_parser("build-base", help="build (or reuse) the tiny base model, tracked as an MLflow run")
    base.add_argument("--profile", default="tiny", help="the profile whose tiny_base recipe to build (default: "
                      "%(default)s)")
    base.add_argument("--base-model", default=None, help="a tiny base model the profile binds (e.g. qwen2.5-7b); "
                      "default: the profile's tiny_base recipe as it stands")
    base.add_argument("--experiment", default="cft/build-base", help="MLflow experiment (default: %(default)s)")
    base.set_defaults(func=cmd_build_base)

    data = sub.add_parser("build-data", help="build (or reuse) one training set")
    data.add_argument("--variant", default="cft", choices=["sft", "sft-verified", "sft-teacher", "cft", "cft-shuffled"],
                      help="which training set (default: %(default)s)")
    _add_data_options(data)
    data.add_argument("--keep-consistent", action="store_true",
                      help="cft: drop critiques whose verdict contradicts the reference answer (critique audit)")
    data.add_argument("--out", default=None, help="also copy train.jsonl and stats.json into this directory")
    data.add_argument("--experiment", default="cft/build-data", help="MLflow experiment (default: %(default)s)")
    data.set_defaults(func=cmd_build_data)

    train = sub.add_parser("train", help="fine-tune a base model by SFT or CFT and log it to MLflow")
    train.add_argument("--method", default="cft", choices=["sft", "sft-verified", "sft-teacher", "cft", "cft-shuffled"],
                       help="training method; picks the data variant (default: %(default)s)")
    train.add_argument("--base-model", default="tiny",
                       help="'tiny' (built locally) or a model directory / hub id (default: %(default)s)")
    _add_data_options(train)
    hyper = train.add_argument_group("optimisation")
    hyper.add_argument("--lr", type=float, default=1e-4, help="peak learning rate (default: %(default)s)")
    hyper.add_argument("--epochs", type=float, default=1.0, help="passes over the data (default: %(default)s)")
    hyper.add_argument("--warmup-ratio", type=float, default=0.1, help="warm-up share of steps (default: %(default)s)")
    hyper.add_argument("--global-batch-size", type=int, default=32,
                       help="examples per optimizer step (default: %(default)s)")
    hyper.add_argument("--micro-batch-size", type=int, default=16,
                       help="examples (or packed rows) per forward pass (default: %(default)s)")
    hyper.add_argument("--batching", default="grouped", choices=["grouped", "packed", "padded"],
                       help="how examples are batched (default: %(default)s)")
    hyper.add_argument("--max-seq-len", type=int, default=512,
                       help="longer examples are skipped and counted (default: %(default)s)")
    hyper.add_argument("--pack-len", type=int, default=1024, help="tokens per packed row (default: %(default)s)")
    hyper.add_argument("--mixed-precision", default="auto", choices=["auto", "no", "bf16", "fp16"],
                       help="autocast precision; auto = bf16 only where this machine computes it natively and "
                            "faster (default: %(default)s)")
    hyper.add_argument("--seed", type=int, default=0, help="training seed (default: %(default)s)")
    hyper.add_argument("--num-validations", type=int, default=4,
                       help="validation points; the best checkpoint is kept (default: %(default)s)")
    hyper.add_argument("--val-limit", type=int, default=200,
                       help="validation problems per check (default: %(default)s)")
    train.add_argument("--experiment", default="cft/train", help="MLflow experiment (default: %(default)s)")
    train.set_defaults(func=cmd_train)

    ev = sub.add_parser("evaluate", help="evaluate a model on benchmarks and log it to MLflow")
    ev.add_argument("--model", required=True, help="model directory, hub id, or 'tiny' (the tiny base model)")
    ev.add_argument("--benchmarks", default=DEFAULT_BENCHMARKS,
                    help="comma-separated benchmark names (default: %(default)s)")
    ev.add_argument("--limit", type=int, default=None, help="only the first N problems of each benchmark")
    ev.add_argument("--backend", default="hf", choices=["hf", "openai", "vllm"],
                    help="hf: in-process transformers; openai: any OpenAI-compatible server (default: %(default)s)")
    ev.add_argument("--base-url", default=None, help="openai backend: the server's /v1 URL")
    ev.add_argument("--served-model", default=None, help="openai backend: model name on the server "
                    "(default: --model); the API key is read from $OPENAI_API_KEY and never logged")
    ev.add_argument("--concurrency", type=int, default=8, help="openai backend: requests in flight (default: 8)")
    ev.add_argument("--request-timeout", type=float, default=600.0,
                    help="openai backend: seconds per request before a retry (default: 600)")
    ev.add_argument("--data-dir", default=None,
                    help="local benchmark files as <dir>/<name>/test.jsonl (default: $CFT_BENCHMARK_DIR, else the hub)")
    ev.add_argument("--max-new-tokens", type=int, default=160,
                    help="generation budget per problem (default: %(default)s; the paper: 2048)")
    ev.add_argument("--batch-size", type=int, default=64, help="prompts per generation batch (default: %(default)s)")
    ev.add_argument("--experiment", default="cft/evaluate", help="MLflow experiment (default: %(default)s)")
    ev.set_defaults(func=cmd_evaluate)

    ab = sub.add_parser("ablation", help="run a declarative ablation spec into MLflow and regenerate its table")
    ab.add_argument("spec", nargs="?", help="spec name under ablations/ (e.g. teacher_model) or a path to a YAML file")
    ab.add_argument("--all", action="store_true", help="every spec under ablations/ (every table of the paper), in "
                    "table order; shared cells run once; writes reports/<profile>/README.md")
    ab.add_argument("--profile", default="tiny", help="profile name under ablations/profiles/ or a path "
                    "(default: %(default)s)")
    ab.add_argument("--dry-run", action="store_true",
                    help="print the cells and stages, say which are done, run nothing")
    ab.add_argument("--seeds", type=int, default=None,
                    help="train every cell with seeds 0..N-1 and report means with CIs over seeds and problems "
                         "(default: the spec's or profile's `seeds`, else one run per cell)")
    ab.set_defaults(func=cmd_ablation)

    rep = sub.add_parser("report", help="regenerate reports/<profile>/<spec>.md from the tracking store")
    rep.add_argument("spec", nargs="?", help="spec name or path")
    rep.add_argument("--all", action="store_true", help="every spec, and the index reports/<profile>/README.md")
    rep.add_argument("--profile", default="tiny", help="profile name or path (default: %(default)s)")
    rep.add_argument("--seeds", type=int, default=None, help="as for `cft ablation`: which seeds' runs to report")
    rep.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CftError as exc:
        print(f"cft: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
