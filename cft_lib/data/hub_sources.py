"""The paper's dataset sources through `datasets`: WebInstruct, MetaMathQA, NuminaMath-CoT.

Each maps a row to (question, response, reference answer where known). Rows come from the hub,
or from a local JSONL file with the same fields: `--source webinstruct:path/to/file.jsonl`.
Malformed rows are skipped and counted. Sampling is by seed over the whole split: a seeded order of
row indices is walked until `size` rows have been read, so a large hub split (NuminaMath-CoT: 860K
rows) is read from its memory-mapped Arrow file row by row, never turned into Python objects whole.
A hub source is pinned with `name@revision` (a commit of the dataset repository), which enters the
data fingerprint; `name@revision:file.jsonl` is not allowed (a local file is identified by content).

Field mappings were written from the datasets' cards and are checked here only on local files
in the same layout (no hub access on this project's machines).
"""

from __future__ import annotations

import collections
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from cft_lib.data.latex import last_boxed
from cft_lib.data.records import SourceExample, read_jsonl_tolerant

_CFT_INPUT_RE = re.compile(r"Question:\n(.*?)\n\nSolution:\n(.*?)\n?\Z", re.DOTALL)


def _webinstruct(row: dict[str, Any]) -> tuple[str, str, str | None]:
    if "input" in row and row.get("input"):  # WebInstruct-CFT: the CFT input holds question and solution
        match = _CFT_INPUT_RE.match(row["input"])
        if not match:
            raise ValueError("input is not in the CFT Question/Solution layout")
        return match.group(1), match.group(2), None
    return row["question"], row["answer"], None  # WebInstructSub


def _metamath(row: dict[str, Any]) -> tuple[str, str, str | None]:
    response = row["response"]
    answer = response.split("The answer is:")[-1].strip() if "The answer is:" in response else None
    return row["query"], response, answer


def _numina(row: dict[str, Any]) -> tuple[str, str, str | None]:
    return row["problem"], row["solution"], last_boxed(row["solution"])


@dataclass(frozen=True)
class HubSource:
    name: str
    hub: tuple[str, str | None, str]  # dataset id, config, split
    read: Callable[[dict[str, Any]], tuple[str, str, str | None]]
    revision: str | None = None  # a commit of the hub dataset (None: its newest)

    def rows(self, path: str | None) -> tuple[Sequence[dict[str, Any]], int]:
        """Rows from a local JSONL file (with a count of unreadable lines) or from the hub (an Arrow
        table indexed lazily: rows become Python objects only when read)."""
        if path:
            return read_jsonl_tolerant(path)
        from datasets import load_dataset

        dataset_id, config, split = self.hub
        return load_dataset(dataset_id, config, split=split, revision=self.revision), 0

    def sample(self, size: int, seed: int, path: str | None = None) -> tuple[list[SourceExample], collections.Counter]:
        """`size` well-formed rows in a seeded order over the whole split; malformed ones met on the way
        are skipped and counted."""
        rows, unreadable = self.rows(path)
        skipped: collections.Counter = collections.Counter({"malformed": unreadable} if unreadable else {})
        order = list(range(len(rows)))
        random.Random(f"{self.name}:{seed}").shuffle(order)
        examples: list[SourceExample] = []
        for index in order:
            if len(examples) == size:
                break
            try:
                question, response, answer = self.read(rows[index])
                if not isinstance(question, str) or not isinstance(response, str):
                    raise TypeError("question and response must be text")
            except (KeyError, TypeError, ValueError):
                skipped["malformed"] += 1
                continue
            examples.append(SourceExample(f"{self.name}-{index:07d}", question, response, answer, {}))
        return examples, skipped


HUB_SOURCES = {
    s.name: s
    for s in (
        HubSource("webinstruct", ("TIGER-Lab/WebInstruct-CFT", "WebInstruct-CFT-50K", "train"), _webinstruct),
        HubSource("metamathqa", ("meta-math/MetaMathQA", None, "train"), _metamath),
        HubSource("numinamath", ("AI-MO/NuminaMath-CoT", None, "train"), _numina),
    )
}


def parse_hub_source(source: str) -> tuple[HubSource, str | None] | None:
    """'webinstruct', 'webinstruct@REVISION' or 'webinstruct:path.jsonl' → (source, local path);
    None if not a hub source."""
    name, _, path = source.partition(":")
    name, _, revision = name.partition("@")
    if name not in HUB_SOURCES or (revision and path):
        return None
    return replace(HUB_SOURCES[name], revision=revision or None), path or None
