"""Record types shared by sources, builders, trainers and evaluators, and their JSONL files.

Every training set, CFT or SFT, is a list of prompt/completion records (alpaca-style
instruction/input/output, as in the paper's LLaMA-Factory setup): the record format decides the
loss, which covers the completion (`output`) only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cft_lib.errors import DataError


@dataclass(frozen=True)
class SourceExample:
    """A question with a (possibly noisy) response, as a dataset source provides it."""

    id: str
    question: str
    response: str
    answer: str | None = None  # reference answer where known (for audits)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchmarkItem:
    """One evaluation problem with its gold answer."""

    id: str
    question: str
    answer: str


@dataclass(frozen=True)
class TrainingRecord:
    """A prompt/completion training example in alpaca fields; `output` is the only loss target."""

    id: str
    instruction: str
    input: str
    output: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def user_message(self) -> str:
        """Instruction and input joined by one newline, as LLaMA-Factory's alpaca converter does."""
        return f"{self.instruction}\n{self.input}" if self.input else self.instruction


def write_jsonl(path: str | Path, rows: Iterable[Any]) -> int:
    """Write dataclasses or dicts as JSON lines atomically (a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    count = 0
    with open(tmp, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(asdict(row) if hasattr(row, "__dataclass_fields__") else row) + "\n")
            count += 1
    os.replace(tmp, path)
    return count


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from exc


def read_jsonl_tolerant(path: str | Path) -> tuple[list[dict[str, Any]], int]:
    """Rows of a JSON-lines file that parse as objects, and how many lines did not (for skip counts)."""
    rows, malformed = [], 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                malformed += 1
                continue
            if isinstance(row, dict):
                rows.append(row)
            else:
                malformed += 1
    return rows, malformed


def read_training_records(path: str | Path) -> list[TrainingRecord]:
    """Load a built training set; a record missing a field names its file and line."""
    records = []
    for line_no, row in enumerate(read_jsonl(path), start=1):
        try:
            records.append(TrainingRecord(**row))
        except TypeError as exc:
            raise DataError(f"{path}:{line_no}: not a training record ({exc})") from exc
    return records
