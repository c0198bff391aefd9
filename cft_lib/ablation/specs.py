"""Load a spec and a profile, expand the spec into cells, and resolve each cell into stage configs.

Everything is checked here, before any stage runs or anything is written to the tracking store:
schema errors, names the profile does not bind, and hyper-parameters that do not exist. All
problems are collected and raised together as one SpecError.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from cft_lib.ablation.cell import (
    SELF_RESPONSE_SAMPLING,
    CurveConfig,
    EvalProtocol,
    ResolvedCell,
    SweepConfig,
    TrainStageConfig,
    ValidationConfig,
)
from cft_lib.ablation.schema import (
    RANGE_KINDS,
    CellOverrides,
    CellSpec,
    Profile,
    Spec,
    Sweep,
    parse_model,
    read_yaml,
)
from cft_lib.data.builders import DataConfig
from cft_lib.data.formats import COT_SYSTEM
from cft_lib.data.methods import methods
from cft_lib.errors import ConfigError, SpecError
from cft_lib.eval.benchmarks import benchmarks
from cft_lib.eval.evaluate import EvalConfig
from cft_lib.eval.inference import InferenceConfig
from cft_lib.fingerprint import fingerprint
from cft_lib.llm.base import BackendConfig, GenerationConfig
from cft_lib.paths import ablations_dir
from cft_lib.registry import unknown_name_message
from cft_lib.teachers.config import TeacherConfig
from cft_lib.train.config import TrainConfig
from cft_lib.train.launch import LaunchConfig
from cft_lib.train.recipe import TINY, TinyBaseRecipe

CHOICE_FIELDS = tuple(CellOverrides.model_fields)
BUILTIN_DEFAULTS = {"response_source": "original", "inference": "direct", "temperature": 0.0, "seed": 0}


def _find_yaml(name_or_path: str, folder: Path, kind: str) -> Path:
    """A path as given, or `<folder>/<name>.yaml`; unknown names list the known ones."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise SpecError(f"{path}: no such {kind} file")
        return path
    candidate = folder / f"{name_or_path}.yaml"
    if not candidate.exists():
        raise SpecError(unknown_name_message(kind, name_or_path, sorted(p.stem for p in folder.glob("*.yaml"))))
    return candidate


def find_spec(name_or_path: str) -> Path:
    return _find_yaml(name_or_path, ablations_dir(), "spec")


def find_profile(name_or_path: str) -> Path:
    return _find_yaml(name_or_path, ablations_dir() / "profiles", "profile")


@dataclass(frozen=True)
class Ablation:
    name: str
    spec_path: Path
    profile_name: str
    profile_path: Path
    spec: Spec
    profile: Profile
    cells: list[ResolvedCell]  # one per (cell, seed); cells of one label differ only in their seed
    seeds: list[int]
    overrides: dict[str, Any] = field(default_factory=dict)  # --set KEY=VALUE on the profile

    def run_name(self, cell: ResolvedCell) -> str:
        return cell.label if len(self.seeds) == 1 else f"{cell.label} (seed {cell.seed})"

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(c.label for c in self.cells))


def expand_cells(spec: Spec) -> list[CellSpec]:
    """Explicit cells, then the cartesian grid of `axes` (labelled by the `label` template)."""
    cells = list(spec.cells or [])
    if spec.axes:
        names = list(spec.axes)
        for values in itertools.product(*(spec.axes[n] for n in names)):
            choice = dict(zip(names, values, strict=True))
            label = (spec.label or " ".join("{" + n + "}" for n in names)).format(**choice)
            cells.append(CellSpec(label=label, **choice))
    return cells


def parse_overrides(overrides: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """["train.learning_rate=3e-4", ...] → {"train.learning_rate": 0.0003}; values read as YAML
    (numbers, booleans, null, [lists]); a malformed item raises SpecError."""
    parsed: dict[str, Any] = {}
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip() or any(not part for part in key.strip().split(".")):
            raise SpecError(
                f"--set {item!r}: expected KEY=VALUE with a dotted profile key, e.g. --set train.learning_rate=3e-4"
            )
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        if isinstance(value, str):  # YAML 1.1 reads 3e-4 as a string; a number is what is meant
            try:
                value = float(value) if any(c in value for c in ".eE") else int(value)
            except ValueError:
                pass
        parsed[key.strip()] = value
    return parsed


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of the profile's YAML data with each dotted key set (validated afterwards like the file).

    Names with dots in them (`base_models.qwen2.5-7b.tiny_base.hidden_size`) are matched against the
    keys that exist; a mapping value is merged into an existing mapping rather than replacing it.
    """
    out = copy.deepcopy(data)
    for key, value in overrides.items():
        node, parts, walked = out, key.split("."), []
        while len(parts) > 1 and ".".join(parts) not in node:  # a final name may hold dots too
            width = next((n for n in range(len(parts) - 1, 0, -1) if ".".join(parts[:n]) in node), 1)
            name, parts = ".".join(parts[:width]), parts[width:]
            walked.append(name)
            child = node.setdefault(name, {})
            if not isinstance(child, dict):
                raise SpecError(f"--set {key}: {'.'.join(walked)} is a value, not a section")
            node = child
        _merge(node, ".".join(parts), value)
    return out


def _merge(node: dict[str, Any], name: str, value: Any) -> None:
    if isinstance(value, dict) and isinstance(node.get(name), dict):
        for key, item in value.items():
            _merge(node[name], key, item)
    else:
        node[name] = copy.deepcopy(value)


def load_profile(profile_name: str, overrides: dict[str, Any] | None = None) -> tuple[Path, str, Profile]:
    """The profile's path, how errors name it (the file, plus any --set), and the validated profile."""
    profile_path = find_profile(profile_name)
    data = read_yaml(profile_path)
    where = str(profile_path)
    if overrides:
        data = apply_overrides(data, overrides)
        where = f"{profile_path} with --set {' '.join(f'{k}={v}' for k, v in overrides.items())}"
    return profile_path, where, parse_model(where, Profile, data)


def load_ablation(
    spec_name: str, profile_name: str = "tiny", seeds: int | None = None, overrides: dict[str, Any] | None = None
) -> Ablation:
    """Load, validate and resolve; raises one SpecError listing every problem found.

    Seeds: `seeds` (N: seeds 0..N-1) wins over the spec's `seeds`, which wins over the profile's;
    with none of them, each cell runs once with its own `seed` choice. `overrides` set dotted
    profile keys (`cft ablation --set train.learning_rate=3e-4`); they are validated like the
    file and change the fingerprint of every cell they change.
    """
    spec_path = find_spec(spec_name)
    spec = parse_model(spec_path, Spec, read_yaml(spec_path))
    return resolve_ablation(spec, spec_path, profile_name, seeds, overrides)


def one_cell(
    choices: dict[str, Any], profile_name: str = "tiny", overrides: dict[str, Any] | None = None, label: str = "cli"
) -> ResolvedCell:
    """A one-cell spec resolved like any other: how `cft train`, `cft evaluate` and `cft build-data`
    build their config, so the command line and the ablations cannot drift."""
    profile_path, where, profile = load_profile(profile_name, overrides)
    try:
        cell = CellSpec(label=label, **{k: v for k, v in choices.items() if v is not None})
    except Exception as exc:  # pydantic: a choice the schema does not allow
        raise SpecError(f"command line: {exc}") from None
    spec = Spec(table="command line", title=label, benchmarks=list(profile.benchmarks), cells=[cell])
    return resolve_ablation(spec, Path("<command line>"), profile_name, None, overrides).cells[0]


def resolve_ablation(
    spec: Spec, spec_path: Path, profile_name: str, seeds: int | None = None, overrides: dict[str, Any] | None = None
) -> Ablation:
    """Expand a validated spec into cells and resolve each against the profile (see load_ablation)."""
    profile_path, where, profile = load_profile(profile_name, overrides)
    problems: list[str] = []
    if spec.axes:
        for axis in spec.axes:
            if axis not in CHOICE_FIELDS:
                problems.append(f"{spec_path}: axes.{axis}: unknown axis; allowed: {', '.join(CHOICE_FIELDS)}")
    if spec.layout.group_by is not None and spec.layout.group_by not in CHOICE_FIELDS:
        problems.append(
            f"{spec_path}: layout.group_by: {spec.layout.group_by!r} is not a cell choice; allowed: "
            f"{', '.join(CHOICE_FIELDS)}"
        )
    if problems:
        raise SpecError(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems))
    try:
        cells = expand_cells(spec)
    except Exception as exc:  # pydantic errors from grid values, or a bad label template
        raise SpecError(f"{spec_path}: axes: {exc}") from None
    if not cells:
        problems.append(f"{spec_path}: the spec has neither cells nor axes")
    labels = [c.label for c in cells]
    for label in sorted({x for x in labels if labels.count(x) > 1}):
        problems.append(f"{spec_path}: cells: label {label!r} is used twice")
    problems += _check_table(spec, spec_path, labels)
    if seeds is not None and seeds < 1:
        problems.append(f"--seeds: {seeds} must be >= 1")
    replicas = list(range(seeds)) if seeds else (spec.seeds or profile.seeds)
    if replicas is not None and (not replicas or len(set(replicas)) != len(replicas)):
        problems.append(f"seeds: {replicas} must be a non-empty list of distinct seeds")
    critique = profile.eval.critique_benchmark
    if critique is not None and critique not in benchmarks:
        message = unknown_name_message("benchmark", critique, benchmarks.names())
        problems.append(f"{where}: eval.critique_benchmark: {message}")
    validation = profile.validation.benchmark
    if validation not in benchmarks:
        message = unknown_name_message("benchmark", validation, benchmarks.names())
        problems.append(f"{where}: validation.benchmark: {message}")
    if profile.validation.via == "backend" and profile.eval.backend == "openai":
        problems.append(
            f"{where}: validation.via: backend validates each saved model through eval.backend, which must load "
            "it (hf or vllm); an openai server serves one fixed model. Use via: training"
        )
    if profile.eval.backend == "openai" and not profile.eval.base_url:
        problems.append(f"{where}: eval.base_url: required with eval.backend: openai (the server of each cell's model)")
    train_config = _train_config(profile, where, problems)
    try:
        launch = LaunchConfig(**profile.launch.model_dump())
        launch.check()
        if launch.shards_weights and profile.validation.via == "training":
            problems.append(
                f"{where}: validation.via: training generates inside the training processes, which ZeRO-3 over "
                "several processes shards; use validation.via: backend (the saved models are evaluated after training)"
            )
    except ConfigError as exc:
        problems.append(f"{where}: {exc}")
    resolved = []
    for index, cell in enumerate(cells):
        cell_where = f"{spec_path}: cells[{index}] ({cell.label})"
        choices = _choices(spec, cell)
        cell_problems = _check_bindings(cell_where, choices, profile, where)
        problems += cell_problems
        if not cell_problems and train_config is not None:
            # the base model is evaluated greedily and does not depend on a seed: one cell, not one per seed
            cell_seeds = [choices["seed"]] if choices.get("method") == "base" or not replicas else replicas
            for seed in cell_seeds:
                resolved.append(_resolve(cell.label, choices | {"seed": seed}, spec, profile, train_config))
            data = resolved[-1].train.data if resolved[-1].train is not None else None
            if data is not None:
                try:  # an unknown source or a missing local file fails now, not after pre-training
                    data.check()
                except ConfigError as exc:
                    problems.append(f"{cell_where}.dataset ({choices['dataset']}): {exc}")
    if not any(name in profile.benchmarks for name in spec.benchmarks):
        wanted = ", ".join(spec.benchmarks)
        problems.append(f"{where}: benchmarks: binds none of the spec's benchmarks ({wanted})")
    if problems:
        problems = list(dict.fromkeys(problems))  # one line per problem, however many cells share it
        raise SpecError(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems))
    sweep = spec.sweep or profile.sweep
    if sweep is not None:
        problems += _check_sweep(sweep, spec_path if spec.sweep else where, labels, profile_path, overrides or {})
        if problems:
            raise SpecError(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems))
        tuned = set(sweep.cells or labels)
        resolved = [
            replace(cell, sweep=sweep_config(sweep)) if cell.label in tuned and cell.train is not None else cell
            for cell in resolved
        ]
    used = sorted({c.seed for c in resolved})
    return Ablation(
        spec_path.stem, spec_path, profile_path.stem, profile_path, spec, profile, resolved, used, dict(overrides or {})
    )


SWEEPABLE = ("train.", "data.", "format.")  # what changes a training (the objective is its validation accuracy)


def sweep_config(sweep: Sweep) -> SweepConfig:
    params = []
    for key, search in sweep.params.items():
        kind = next(k for k in RANGE_KINDS if getattr(search, k) is not None)
        params.append((key, kind, tuple(getattr(search, kind))))
    return SweepConfig(tuple(params), sweep.trials, sweep.seed, sweep.startup_trials, sweep.pruner)


def _check_sweep(
    sweep: Sweep, where: Path | str, labels: list[str], profile_path: Path, overrides: dict[str, Any]
) -> list[str]:
    """Tuned cells exist and every swept key is a profile key that changes the training, valid at its bounds."""
    problems = []
    for label in sweep.cells or []:
        if label not in labels:
            problems.append(f"{where}: sweep.cells: {unknown_name_message('cell', label, labels)}")
    data = read_yaml(profile_path)
    for key, search in sweep.params.items():
        if not key.startswith(SWEEPABLE) or key in overrides:
            why = (
                "is set by --set" if key in overrides else f"is not a training key (allowed: {', '.join(SWEEPABLE)}...)"
            )
            problems.append(f"{where}: sweep.params.{key}: {why}")
            continue
        values = (
            search.choice
            if search.choice is not None
            else [v for v in (search.log_uniform or search.uniform or search.int or ())]
        )
        for value in values:
            at = f"{where}: sweep.params.{key}={value}"
            try:
                varied = parse_model(at, Profile, apply_overrides(data, overrides | {key: value}))
            except SpecError as exc:
                problems.append(str(exc).split("\n", 1)[-1].strip())
                break
            if _train_config(varied, at, problems) is None:  # values the types allow, the trainer does not
                break
    return problems


def trial_cell(ablation: Ablation, cell: ResolvedCell, params: dict[str, Any]) -> ResolvedCell:
    """`cell` with a sweep trial's values for the swept profile keys: resolved as `--set` would resolve it."""
    # the trial is the untuned cell at these values: neither the spec's sweep nor the profile's applies
    spec = ablation.spec.model_copy(update={"seeds": ablation.seeds, "sweep": None})
    overrides = ablation.overrides | params | {"sweep": None}
    retuned = resolve_ablation(spec, ablation.spec_path, str(ablation.profile_path), None, overrides)
    return next(replace(c, sweep=None) for c in retuned.cells if c.label == cell.label and c.seed == cell.seed)


def _check_table(spec: Spec, spec_path: Path, labels: list[str]) -> list[str]:
    """References, paper numbers, hypotheses and the figure name only cells, references and benchmarks
    the spec has."""
    problems = []
    rows = set(labels) | set(spec.references)
    columns = [*spec.benchmarks, "AVG"]
    for label in spec.references:
        if label in labels:
            problems.append(f"{spec_path}: references: {label!r} is also a cell (a reference row is never run)")
    for benchmark, values in spec.paper.items():
        if benchmark not in columns:
            problems.append(f"{spec_path}: paper.{benchmark}: {unknown_name_message('benchmark', benchmark, columns)}")
        for label in values:
            if label not in rows:
                problems.append(
                    f"{spec_path}: paper.{benchmark}.{label}: "
                    f"{unknown_name_message('cell or reference', label, sorted(rows))}"
                )
    for column, texts in spec.paper_info.items():
        for label in texts:
            if label not in rows:
                problems.append(
                    f"{spec_path}: paper_info.{column}.{label}: "
                    f"{unknown_name_message('cell or reference', label, sorted(rows))}"
                )
    for index, hypothesis in enumerate(spec.hypotheses):
        for side in ("better", "worse"):
            for label in getattr(hypothesis, side):
                if label not in labels:
                    problems.append(
                        f"{spec_path}: hypotheses[{index}].{side}: {unknown_name_message('cell', label, labels)}"
                    )
        if hypothesis.benchmark not in columns:
            problems.append(
                f"{spec_path}: hypotheses[{index}].benchmark: "
                f"{unknown_name_message('benchmark', hypothesis.benchmark, columns)}"
            )
    if spec.figure is not None:
        for benchmark in spec.figure.benchmarks:
            if benchmark not in spec.benchmarks:
                problems.append(f"{spec_path}: figure.benchmarks: {benchmark!r} is not in the spec's benchmarks")
    return problems


def _choices(spec: Spec, cell: CellSpec) -> dict[str, Any]:
    out = dict(BUILTIN_DEFAULTS)
    for source in (spec.defaults, cell):
        out |= {k: v for k, v in source.model_dump(exclude={"label"}).items() if v is not None}
    return out


def _check_bindings(where: str, choices: dict[str, Any], profile: Profile, profile_path: Path | str) -> list[str]:
    problems = []
    required = ["base_model", "method"] + (["dataset"] if choices.get("method") not in (None, "base") else [])
    method = str(choices.get("method"))
    if method in methods and methods.get(method).job is not None:  # the method asks the teacher for something
        required.append("teacher")
    for key in required:
        if key not in choices:
            problems.append(f"{where}.{key}: required (set it in the cell or in defaults)")
    for key, table in (
        ("base_model", profile.base_models),
        ("dataset", profile.datasets),
        ("teacher", profile.teachers),
    ):
        name = choices.get(key)
        if key in required and name is not None and name not in table:
            message = unknown_name_message(key.replace("_", " "), name, list(table))
            problems.append(f"{where}.{key}: {message} (not bound by {profile_path})")
    teacher = profile.teachers.get(choices.get("teacher", "")) if "teacher" in required else None
    if teacher is not None and teacher.kind == "llm" and not teacher.base_url:
        problems.append(
            f"{profile_path}: teachers.{choices['teacher']}.base_url: required for an llm teacher "
            "(e.g. https://api.openai.com/v1)"
        )
    return problems


def _train_config(profile: Profile, profile_path: Path | str, problems: list[str]) -> TrainConfig | None:
    """The profile's `train:` section (its keys and types already checked by the schema) as a TrainConfig."""
    try:
        config = TrainConfig(**profile.train.model_dump())
        config.check()
    except ConfigError as exc:  # values the types allow but the trainer does not (an unknown scheduler)
        problems.append(f"{profile_path}: train: {exc}")
        return None
    return config


def _shared_fields(binding: BaseModel, config: type) -> dict[str, Any]:
    """The binding's set values for the keys its config dataclass also has (copied, not listed by hand)."""
    names = {f.name for f in fields(config)}
    return {k: v for k, v in binding.model_dump().items() if k in names and v is not None}


def tiny_recipe(profile: Profile, base_model: str | None = None) -> TinyBaseRecipe:
    """The tiny base model's recipe as the profile sets it, with `base_model`'s own changes applied."""
    tb = profile.tiny_base
    binding = profile.base_models.get(base_model) if base_model else None
    if binding is not None and binding.tiny_base is not None:
        tb = tb.model_copy(update=binding.tiny_base.model_dump(exclude_none=True))
    recipe = TinyBaseRecipe(**_shared_fields(tb, TinyBaseRecipe))
    architecture = replace(
        recipe.architecture,
        hidden_size=tb.hidden_size,
        intermediate_size=4 * tb.hidden_size,
        num_hidden_layers=tb.num_hidden_layers,
    )
    train = replace(
        recipe.train,
        global_batch_size=tb.global_batch_size,
        micro_batch_size=min(recipe.train.micro_batch_size, tb.global_batch_size),
        learning_rate=tb.learning_rate,
    )
    return replace(recipe, architecture=architecture, train=train)


def _resolve(label: str, choices: dict[str, Any], spec: Spec, profile: Profile, train: TrainConfig) -> ResolvedCell:
    base = profile.base_models[choices["base_model"]]
    base_model = TINY if base.kind == "tiny" else (base.path or choices["base_model"])
    if base.kind == "hub" and base.revision:  # pinned: the commit is part of every fingerprint
        base_model = f"{base_model}@{base.revision}"
    recipe = tiny_recipe(profile, choices["base_model"])
    benchmark_map = {name: profile.benchmarks[name] for name in spec.benchmarks if name in profile.benchmarks}
    generation = GenerationConfig(
        max_new_tokens=profile.eval.max_new_tokens,
        temperature=choices["temperature"],
        seed=choices["seed"],
        stop=tuple(profile.eval.stop),
        stop_token_ids=tuple(base.stop_token_ids),
        batch_size=profile.eval.batch_size,
    )
    critique = [profile.eval.critique_benchmark] if profile.eval.critique_benchmark else []
    evaluated = [*benchmark_map.values(), *critique]
    judge = profile.eval.self_critique
    inference = (
        InferenceConfig(choices["inference"])
        if choices["inference"] == "direct"
        else InferenceConfig(
            choices["inference"],
            max_attempts=judge.max_attempts,
            critique_temperature=judge.critique_temperature,
            critique_max_new_tokens=judge.critique_max_new_tokens,
        )
    )
    eval_config = EvalConfig(
        benchmarks=tuple(dict.fromkeys(evaluated)),
        limit=profile.eval.limit,
        generation=generation,
        inference=inference,
        prompt_overrides=(("qwen25-math-cot", base.eval_prompt),) if base.eval_prompt else (),
        grader=profile.eval.grader,
    )
    train_stage = None
    if choices["method"] != "base":
        dataset = profile.datasets[choices["dataset"]]
        teacher_name = choices.get("teacher", "none")
        binding = profile.teachers.get(teacher_name)
        if binding is not None and binding.kind == "llm":
            endpoint = {
                "name": teacher_name,
                "model": binding.model or teacher_name,
                "base_url": binding.base_url or "",
            }
            teacher = TeacherConfig(**(_shared_fields(binding, TeacherConfig) | endpoint))
        else:
            teacher = TeacherConfig(
                kind="oracle",
                name=teacher_name,
                seed=profile.data.seed,
                error_rate=(binding.error_rate or 0.0) if binding else 0.0,
            )
        responder = ""
        self_response = replace(SELF_RESPONSE_SAMPLING, max_new_tokens=profile.data.self_response_max_new_tokens)
        if choices["response_source"] == "self":  # the base model generated the responses: fingerprint it
            base_identity = recipe.fingerprint if base_model == TINY else base_model
            responder = fingerprint("responder", base_identity, self_response)
        # each seed is a replicate of the whole recipe: another sample of the source and another training order
        size = profile.data.size
        if choices.get("data_size"):  # in the paper's units: scaled as the profile's size is to the paper's
            size = max(1, round(choices["data_size"] * size / (profile.data.paper_size or size)))
        data = DataConfig(
            source=f"{dataset.source}@{dataset.revision}" if dataset.revision else dataset.source,
            variant=choices["method"],
            size=size,
            seed=profile.data.seed + choices["seed"],
            teacher=teacher,
            response_source=choices["response_source"],
            max_chars=profile.data.max_chars,
            keep_consistent=profile.data.keep_consistent,
            responder=responder,
        )
        protocol = EvalProtocol(
            generation.stop, generation.stop_token_ids, eval_config.grader, eval_config.prompt_overrides
        )
        validation = ValidationConfig(
            profile.validation.benchmark,
            profile.validation.limit,
            profile.validation.max_new_tokens,
            via=profile.validation.via,
            backend=BackendConfig(name=profile.eval.backend, tensor_parallel_size=profile.eval.tensor_parallel_size)
            if profile.validation.via == "backend"
            else BackendConfig(),
            protocol=protocol,
        )
        curve = None
        if spec.figure is not None:  # evaluations during training, for the figure only
            curve = CurveConfig(
                benchmarks=tuple(profile.benchmarks[n] for n in spec.figure.benchmarks if n in profile.benchmarks),
                points=spec.figure.points,
                limit=spec.figure.limit,
                max_new_tokens=profile.eval.max_new_tokens,
                protocol=protocol,
            )
        train_stage = TrainStageConfig(
            base_model=base_model,
            method=choices["method"],
            data=data,
            train=replace(train, seed=choices["seed"]),
            validation=validation,
            tiny_recipe=recipe,
            curve=curve,
            launch=LaunchConfig(**profile.launch.model_dump()),
            self_response=self_response,
            system_prompt=profile.format.system_prompt if profile.format.system_prompt is not None else COT_SYSTEM,
            target_end=profile.format.target_end,
            overlength=profile.format.overlength,
        )
    served = profile.eval
    backend = BackendConfig(
        name=served.backend,
        base_url=served.base_url or "",
        concurrency=served.concurrency,
        served_model=served.served_model or "",
        timeout_s=served.timeout_s,
        tensor_parallel_size=served.tensor_parallel_size,
    )
    return ResolvedCell(label, choices, base_model, recipe, train_stage, eval_config, benchmark_map, backend)
