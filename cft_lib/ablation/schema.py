"""Spec and profile schemas, validated on load with every problem reported at once.

A *spec* says what is compared, in the paper's vocabulary (base model, dataset, response source,
teacher, method, inference, temperature, seed), which paper table it reproduces, its layout and
the paper's numbers. A *profile* binds each of those names to a concrete resource and sets
hyper-parameters, so the same spec runs at the tiny and at the paper scale.

Errors name the file, the key path and the allowed values:
    ablations/teacher_model.yaml: cells[2].method: 'cfft' is not allowed; allowed: base, sft, ...
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cft_lib.errors import SpecError

Method = Literal["base", "sft", "sft-verified", "sft-teacher", "cft"]
Inference = Literal["direct"]  # the paper's self-critique modes (Table 9) are not implemented yet
ResponseSource = Literal["original"]  # "self" (Table 7) comes with paper-scale data building
ExtraRow = Literal["AVG", "DELTA"]
LayoutAxis = Literal["benchmark", "cell"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CellOverrides(Strict):
    """Symbolic choices of one cell; unset fields fall back to the spec's defaults."""

    base_model: str | None = None
    dataset: str | None = None
    response_source: ResponseSource | None = None
    teacher: str | None = None
    method: Method | None = None
    inference: Inference | None = None
    temperature: float | None = Field(default=None, ge=0.0)
    seed: int | None = None


class CellSpec(CellOverrides):
    label: str


class Layout(Strict):
    """Where benchmarks and cells go in the table, and which summary rows follow."""

    rows: LayoutAxis = "benchmark"
    columns: LayoutAxis = "cell"
    extra: list[ExtraRow] = Field(default_factory=lambda: ["AVG"])  # DELTA = CFT - best SFT


class Spec(Strict):
    table: str  # e.g. "Table 8"
    title: str
    description: str = ""
    defaults: CellOverrides = Field(default_factory=CellOverrides)
    axes: dict[str, list[Any]] | None = None  # a cartesian grid over CellOverrides fields
    label: str | None = None  # label template for grid cells, e.g. "{dataset} {method}"
    cells: list[CellSpec] | None = None
    layout: Layout = Field(default_factory=Layout)
    paper: dict[str, dict[str, float | None]] = Field(default_factory=dict)  # row -> column -> number
    benchmarks: list[str]  # paper benchmark names, in table order


class BaseModelBinding(Strict):
    kind: Literal["tiny", "hub"]
    path: str | None = None  # hub id or local directory (kind: hub)


class DatasetBinding(Strict):
    kind: Literal["micro", "hub"] = "micro"
    source: str  # a micro-world source, or a hub source name (webinstruct, metamathqa, numinamath)
    path: str | None = None  # hub id or local file (kind: hub)


class TeacherBinding(Strict):
    kind: Literal["oracle", "llm"]
    error_rate: float | None = Field(default=None, ge=0.0, le=1.0)  # oracle
    model: str | None = None  # llm: the endpoint's model name
    base_url: str | None = None  # llm: OpenAI-compatible endpoint
    temperature: float = 0.3
    top_p: float = 0.95
    max_tokens: int = 3200


class ValidationBinding(Strict):
    benchmark: str
    limit: int | None = None
    max_new_tokens: int = 2048


class DataBinding(Strict):
    size: int = Field(default=2000, ge=1)
    seed: int = 0
    max_chars: int = 8000


class EvalBinding(Strict):
    backend: Literal["hf", "vllm", "openai"] = "hf"
    base_url: str | None = None  # openai backend: the server that serves each cell's model
    concurrency: int = 8  # openai backend: requests in flight
    max_new_tokens: int = 2048
    batch_size: int = 64
    limit: int | None = None


class TinyBaseBinding(Strict):
    documents: int = 9000
    critique_share: float = 0.25
    solution_noise: float = 0.3
    critique_error_rate: float = 0.1
    seed: int = 0
    global_batch_size: int = 16
    learning_rate: float = 2e-3


class Profile(Strict):
    description: str = ""
    base_models: dict[str, BaseModelBinding]
    datasets: dict[str, DatasetBinding]
    teachers: dict[str, TeacherBinding]
    benchmarks: dict[str, str]  # paper benchmark name -> registered benchmark
    validation: ValidationBinding
    data: DataBinding = Field(default_factory=DataBinding)
    train: dict[str, Any] = Field(default_factory=dict)  # TrainConfig fields (checked when resolved)
    eval: EvalBinding = Field(default_factory=EvalBinding)
    tiny_base: TinyBaseBinding = Field(default_factory=TinyBaseBinding)


# ---------------------------------------------------------------------------------------------
# Loading with file-and-key-path errors


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise SpecError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top>"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class found by walking `loc` from `model` (None if it leads elsewhere)."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        else:  # list[X] / dict[str, X] / X | None: step into the element type
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[-1] if args else None
        while typing.get_origin(current) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[0] if args else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    args = [a for a in typing.get_args(current) if isinstance(a, type) and issubclass(a, BaseModel)]
    return args[-1] if args else None


def format_errors(path: Path, model: type[BaseModel], error: ValidationError) -> list[str]:
    """One line per problem: file, key path, what is wrong and what is allowed."""
    lines = []
    for item in error.errors():
        loc = tuple(item["loc"])
        where = f"{path}: {key_path(loc)}"
        if item["type"] == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            allowed = sorted(parent.model_fields) if parent else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            lines.append(f"{where}: unknown key.{hint} Allowed keys: {', '.join(allowed)}")
        elif item["type"] == "literal_error":
            expected = item.get("ctx", {}).get("expected", "")
            lines.append(f"{where}: {item['input']!r} is not allowed; allowed: {expected}")
        elif item["type"] == "missing":
            lines.append(f"{where}: required key is missing")
        else:
            lines.append(f"{where}: {item['msg']} (got {item.get('input')!r})")
    return lines


def parse_model(path: Path, model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = format_errors(path, model, exc)
        raise SpecError(f"{len(problems)} problem(s) in {path}:\n  " + "\n  ".join(problems)) from None
