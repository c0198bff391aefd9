"""Load a spec and a profile, expand the spec into cells, and resolve each cell into stage configs.

Everything is checked here, before any stage runs or anything is written to the tracking store:
schema errors, names the profile does not bind, and hyper-parameters that do not exist. All
problems are collected and raised together as one SpecError.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from cft_lib.ablation.schema import CellOverrides, CellSpec, Profile, Spec, parse_model, read_yaml
from cft_lib.ablation.stages import SELF_RESPONSE_SAMPLING, CurveConfig, TrainStageConfig, ValidationConfig
from cft_lib.data.builders import DataConfig
from cft_lib.errors import SpecError
from cft_lib.eval.benchmarks import benchmark_versions, benchmarks
from cft_lib.eval.evaluate import EvalConfig
from cft_lib.eval.inference import InferenceConfig
from cft_lib.fingerprint import fingerprint
from cft_lib.llm.base import GenerationConfig
from cft_lib.models.registry import TINY
from cft_lib.paths import ablations_dir
from cft_lib.registry import unknown_name_message
from cft_lib.teachers.config import TeacherConfig
from cft_lib.train.config import TrainConfig
from cft_lib.train.pretrain import TinyBaseRecipe

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
class ResolvedCell:
    """One fully resolved run: what it means (choices) and how it runs (stage configs)."""

    label: str
    choices: dict[str, Any]  # the paper's vocabulary, defaults applied
    base_model: str  # "tiny" or a path / hub id
    tiny_recipe: TinyBaseRecipe
    train: TrainStageConfig | None  # None for the base model (method: base)
    eval: EvalConfig
    benchmark_map: dict[str, str]  # paper benchmark -> registered benchmark

    @property
    def fingerprint(self) -> str:
        model = self.train.fingerprint if self.train else (
            self.tiny_recipe.fingerprint if self.base_model == TINY else self.base_model)
        return fingerprint("cell", model, self.eval, benchmark_versions(self.eval.benchmarks))

    def params(self) -> dict[str, Any]:
        return {f"cell.{k}": v for k, v in self.choices.items()} | {"cell.label": self.label}

    @property
    def seed(self) -> int:
        return int(self.choices["seed"])


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


def load_ablation(spec_name: str, profile_name: str = "tiny", seeds: int | None = None) -> Ablation:
    """Load, validate and resolve; raises one SpecError listing every problem found.

    Seeds: `seeds` (N: seeds 0..N-1) wins over the spec's `seeds`, which wins over the profile's;
    with none of them, each cell runs once with its own `seed` choice.
    """
    spec_path, profile_path = find_spec(spec_name), find_profile(profile_name)
    spec = parse_model(spec_path, Spec, read_yaml(spec_path))
    profile = parse_model(profile_path, Profile, read_yaml(profile_path))
    problems: list[str] = []
    if spec.axes:
        for axis in spec.axes:
            if axis not in CHOICE_FIELDS:
                problems.append(f"{spec_path}: axes.{axis}: unknown axis; allowed: {', '.join(CHOICE_FIELDS)}")
    if spec.layout.group_by is not None and spec.layout.group_by not in CHOICE_FIELDS:
        problems.append(f"{spec_path}: layout.group_by: {spec.layout.group_by!r} is not a cell choice; allowed: "
                        f"{', '.join(CHOICE_FIELDS)}")
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
        problems.append(f"{profile_path}: eval.critique_benchmark: {message}")
    train_config = _train_config(profile, profile_path, problems)
    resolved = []
    for index, cell in enumerate(cells):
        where = f"{spec_path}: cells[{index}] ({cell.label})"
        choices = _choices(spec, cell)
        cell_problems = _check_bindings(where, choices, profile, profile_path)
        problems += cell_problems
        if not cell_problems and train_config is not None:
            # the base model is evaluated greedily and does not depend on a seed: one cell, not one per seed
            seeds = [choices["seed"]] if choices.get("method") == "base" or not replicas else replicas
            for seed in seeds:
                resolved.append(_resolve(cell.label, choices | {"seed": seed}, spec, profile, train_config))
    if not any(name in profile.benchmarks for name in spec.benchmarks):
        wanted = ", ".join(spec.benchmarks)
        problems.append(f"{profile_path}: benchmarks: binds none of the spec's benchmarks ({wanted})")
    if problems:
        raise SpecError(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems))
    used = sorted({c.seed for c in resolved})
    return Ablation(spec_path.stem, spec_path, profile_path.stem, profile_path, spec, profile, resolved, used)


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
                problems.append(f"{spec_path}: paper.{benchmark}.{label}: "
                                f"{unknown_name_message('cell or reference', label, sorted(rows))}")
    for column, values in spec.paper_info.items():
        for label in values:
            if label not in rows:
                problems.append(f"{spec_path}: paper_info.{column}.{label}: "
                                f"{unknown_name_message('cell or reference', label, sorted(rows))}")
    for index, hypothesis in enumerate(spec.hypotheses):
        for side in ("better", "worse"):
            for label in getattr(hypothesis, side):
                if label not in labels:
                    problems.append(f"{spec_path}: hypotheses[{index}].{side}: "
                                    f"{unknown_name_message('cell', label, labels)}")
        if hypothesis.benchmark not in columns:
            problems.append(f"{spec_path}: hypotheses[{index}].benchmark: "
                            f"{unknown_name_message('benchmark', hypothesis.benchmark, columns)}")
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


def _check_bindings(where: str, choices: dict[str, Any], profile: Profile, profile_path: Path) -> list[str]:
    problems = []
    required = ["base_model", "method"] + (["dataset"] if choices.get("method") not in (None, "base") else [])
    if choices.get("method") in ("sft-verified", "sft-teacher", "cft", "cft-shuffled"):
        required.append("teacher")
    for key in required:
        if key not in choices:
            problems.append(f"{where}.{key}: required (set it in the cell or in defaults)")
    for key, table in (("base_model", profile.base_models), ("dataset", profile.datasets),
                       ("teacher", profile.teachers)):
        name = choices.get(key)
        if key in required and name is not None and name not in table:
            message = unknown_name_message(key.replace("_", " "), name, list(table))
            problems.append(f"{where}.{key}: {message} (not bound by {profile_path})")
    return problems


def _train_config(profile: Profile, profile_path: Path, problems: list[str]) -> TrainConfig | None:
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(profile.train) - known)
    for key in unknown:
        problems.append(f"{profile_path}: train.{key}: unknown key; allowed keys: {', '.join(sorted(known))}")
    if unknown:
        return None
    try:
        config = TrainConfig(**profile.train)
        config.check()
    except Exception as exc:  # wrong types surface as TypeError/ConfigError from the dataclass
        problems.append(f"{profile_path}: train: {exc}")
        return None
    return config


def tiny_recipe(profile: Profile, base_model: str | None = None) -> TinyBaseRecipe:
    """The tiny base model's recipe as the profile sets it, with `base_model`'s own changes applied."""
    tb = profile.tiny_base
    binding = profile.base_models.get(base_model) if base_model else None
    if binding is not None and binding.tiny_base is not None:
        tb = tb.model_copy(update=binding.tiny_base.model_dump(exclude_none=True))
    recipe = TinyBaseRecipe(problems=tb.problems, fact_exposures=tb.fact_exposures, critique_share=tb.critique_share,
                            critique_response_noise=tb.critique_response_noise, copy_documents=tb.copy_documents,
                            solution_noise=tb.solution_noise, critique_error_rate=tb.critique_error_rate,
                            loss_on_questions=tb.loss_on_questions, seed=tb.seed)
    architecture = replace(recipe.architecture, hidden_size=tb.hidden_size, intermediate_size=4 * tb.hidden_size,
                           num_hidden_layers=tb.num_hidden_layers)
    train = replace(recipe.train, global_batch_size=tb.global_batch_size,
                    micro_batch_size=min(recipe.train.micro_batch_size, tb.global_batch_size),
                    learning_rate=tb.learning_rate)
    return replace(recipe, architecture=architecture, train=train)


def _resolve(label: str, choices: dict[str, Any], spec: Spec, profile: Profile, train: TrainConfig) -> ResolvedCell:
    base = profile.base_models[choices["base_model"]]
    base_model = TINY if base.kind == "tiny" else (base.path or choices["base_model"])
    recipe = tiny_recipe(profile, choices["base_model"])
    benchmark_map = {name: profile.benchmarks[name] for name in spec.benchmarks if name in profile.benchmarks}
    generation = GenerationConfig(max_new_tokens=profile.eval.max_new_tokens, temperature=choices["temperature"],
                                  seed=choices["seed"], batch_size=profile.eval.batch_size)
    critique = [profile.eval.critique_benchmark] if profile.eval.critique_benchmark else []
    evaluated = [*benchmark_map.values(), *critique]
    judge = profile.eval.self_critique
    inference = InferenceConfig(choices["inference"]) if choices["inference"] == "direct" else InferenceConfig(
        choices["inference"], max_attempts=judge.max_attempts, critique_temperature=judge.critique_temperature,
        critique_max_new_tokens=judge.critique_max_new_tokens)
    eval_config = EvalConfig(benchmarks=tuple(dict.fromkeys(evaluated)), limit=profile.eval.limit,
                             generation=generation, inference=inference)
    train_stage = None
    if choices["method"] != "base":
        dataset = profile.datasets[choices["dataset"]]
        teacher_name = choices.get("teacher", "none")
        binding = profile.teachers.get(teacher_name)
        if binding is not None and binding.kind == "llm":
            teacher = TeacherConfig(kind="llm", name=teacher_name, model=binding.model or teacher_name,
                                    base_url=binding.base_url or "", temperature=binding.temperature,
                                    top_p=binding.top_p, max_tokens=binding.max_tokens)
        else:
            teacher = TeacherConfig(kind="oracle", name=teacher_name, seed=profile.data.seed,
                                    error_rate=(binding.error_rate or 0.0) if binding else 0.0)
        responder = ""
        if choices["response_source"] == "self":  # the base model generated the responses: fingerprint it
            base_identity = recipe.fingerprint if base_model == TINY else base_model
            responder = fingerprint("responder", base_identity, SELF_RESPONSE_SAMPLING)
        # each seed is a replicate of the whole recipe: another sample of the source and another training order
        size = profile.data.size
        if choices.get("data_size"):  # in the paper's units: scaled as the profile's size is to the paper's
            size = max(1, round(choices["data_size"] * size / (profile.data.paper_size or size)))
        data = DataConfig(source=dataset.source, variant="cft", size=size,
                          seed=profile.data.seed + choices["seed"],
                          teacher=teacher, response_source=choices["response_source"], max_chars=profile.data.max_chars,
                          responder=responder)
        validation = ValidationConfig(profile.validation.benchmark, profile.validation.limit,
                                      profile.validation.max_new_tokens)
        curve = None
        if spec.figure is not None:  # evaluations during training, for the figure only
            curve = CurveConfig(benchmarks=tuple(profile.benchmarks[n] for n in spec.figure.benchmarks
                                                 if n in profile.benchmarks),
                                points=spec.figure.points, limit=spec.figure.limit,
                                max_new_tokens=profile.eval.max_new_tokens)
        train_stage = TrainStageConfig(base_model=base_model, method=choices["method"], data=data,
                                       train=replace(train, seed=choices["seed"]), validation=validation,
                                       tiny_recipe=recipe, curve=curve).resolved()
    return ResolvedCell(label, choices, base_model, recipe, train_stage, eval_config, benchmark_map)
