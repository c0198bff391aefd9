"""Build the paper's training sets from a source, a response source and a teacher.

Variants (Section 2.1): sft (raw responses), sft-verified (responses the teacher judges
correct), sft-teacher (the teacher's own solutions, "WebInstruct-GPT-4o") and cft
([question; response] → critique). Every record drawn from the source is accounted for: it is
built, or skipped and counted by reason (empty, too_long, no_verdict, teacher_error, rejected).
Built sets are saved under $CFT_HOME/data/<name>-<fingerprint>/ and reused when asked again.
"""

from __future__ import annotations

import collections
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from cft_lib.data.formats import FORMAT_VERSION, cft_record, sft_record
from cft_lib.data.hub_sources import HUB_SOURCES, parse_hub_source
from cft_lib.data.records import SourceExample, TrainingRecord, write_jsonl
from cft_lib.data.sources import micro_sources
from cft_lib.errors import ConfigError, DataError
from cft_lib.fingerprint import file_fingerprint, fingerprint
from cft_lib.paths import artifact_dir, fresh_dir, is_done, mark_done, read_done
from cft_lib.teachers.base import Teacher, parse_verdict
from cft_lib.teachers.config import TeacherConfig

VARIANTS = ("sft", "sft-verified", "sft-teacher", "cft")
RESPONSE_SOURCES = ("original",)


@dataclass(frozen=True)
class DataConfig:
    source: str = "micro-web"  # a registered source (micro-web, micro-meta, micro-numina)
    variant: str = "cft"  # one of VARIANTS
    size: int = 2000  # records wanted (sft-verified draws more until it has this many accepted)
    seed: int = 0
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    response_source: str = "original"  # the dataset's own responses
    max_chars: int = 8000  # records longer than this (prompt + completion) are skipped as too_long
    pool_factor: int = 4  # sft-verified: look at up to size * pool_factor source examples
    keep_consistent: bool = False  # cft: drop critiques whose verdict contradicts the known truth (audit)

    def check(self) -> None:
        problems = []
        if self.variant not in VARIANTS:
            problems.append(f"variant: {self.variant!r} not one of {VARIANTS}")
        if self.source not in micro_sources and not is_local_source(self.source) \
                and parse_hub_source(self.source) is None:
            problems.append(f"source: {self.source!r} is not a local .jsonl file, nor one of "
                            f"{micro_sources.names() + sorted(HUB_SOURCES)} (hub sources also take "
                            "'name:local_file.jsonl')")
        if self.response_source not in RESPONSE_SOURCES:
            problems.append(f"response_source: {self.response_source!r} not one of {RESPONSE_SOURCES}")
        if self.size < 1:
            problems.append(f"size: {self.size} must be >= 1")
        if problems:
            raise ConfigError("invalid data config:\n  " + "\n  ".join(problems))

    @property
    def fingerprint(self) -> str:
        # the teacher is irrelevant to plain SFT: leave it out so all SFT cells share one dataset
        teacher = None if self.variant == "sft" else self.teacher.identity()
        source = self.source
        if is_local_source(source):  # a local file is identified by its content, not its name
            source = f"file:{file_fingerprint(source)}"
        elif (hub := parse_hub_source(source)) is not None and hub[1]:
            source = f"{hub[0].name}:file:{file_fingerprint(hub[1])}"
        parts = ["data", FORMAT_VERSION, source, self.variant, self.size, self.seed, teacher, self.response_source,
                 self.max_chars, self.pool_factor]
        if self.keep_consistent:  # appended only when set, so existing datasets keep their fingerprints
            parts.append("keep_consistent")
        return fingerprint(*parts)

    @property
    def label(self) -> str:
        name = self.source.partition(":")[0] if parse_hub_source(self.source) else self.source
        return f"{self.variant}-{Path(name).stem if is_local_source(name) else name}"


@dataclass(frozen=True)
class BuiltDataset:
    path: Path  # the JSONL file of TrainingRecords
    fingerprint: str
    stats: dict[str, Any]


def dataset_dir(config: DataConfig) -> Path:
    return artifact_dir("data", f"{config.label}-{config.fingerprint}")


def is_built(config: DataConfig) -> bool:
    return is_done(dataset_dir(config))


def is_local_source(source: str) -> bool:
    return source.endswith((".jsonl", ".json")) and Path(source).is_file()


def source_examples(source: str, size: int, seed: int) -> tuple[list[SourceExample], collections.Counter]:
    """`size` examples from a micro-world source or a local JSONL file (question, response[, answer]).

    Local records are sampled by seed; malformed ones are skipped and counted, never silently dropped.
    """
    skipped: collections.Counter = collections.Counter()
    hub = parse_hub_source(source)
    if hub is not None:
        hub_source, path = hub
        return hub_source.sample(size, seed, path)
    if not is_local_source(source):
        return [example for _, example in micro_sources.get(source).sample(size, seed)], skipped
    examples = []
    with open(source, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                question, response = row["question"], row["response"]
                if not isinstance(question, str) or not isinstance(response, str):
                    raise TypeError
            except (json.JSONDecodeError, KeyError, TypeError):
                skipped["malformed"] += 1
                continue
            answer = row.get("answer")
            examples.append(SourceExample(str(row.get("id", f"{Path(source).stem}-{line_no}")), question, response,
                                          None if answer is None else str(answer), {}))
    random.Random(seed).shuffle(examples)
    return examples[:size], skipped


Truth = Callable[[SourceExample], "bool | None"]


def build_dataset(config: DataConfig, progress: bool = True, truth: Truth | None = None) -> BuiltDataset:
    """The dataset for `config`, built now unless a finished build with the same fingerprint exists.

    `truth(example)` says whether a response is right where the reference answer is known (the
    CLI grades with math-verify); it feeds the critique audit: the agreement rate of verdicts
    with the truth, and with `keep_consistent` the removal of contradicting critiques.
    """
    config.check()
    out = dataset_dir(config)
    path = out / "train.jsonl"
    if is_done(out):
        return BuiltDataset(path, config.fingerprint, read_done(out))
    fresh_dir(out)
    draw = config.size * (config.pool_factor if config.variant == "sft-verified" else 1)
    examples, skipped = source_examples(config.source, draw, config.seed)
    teacher = config.teacher.build(progress=progress)
    job = {"sft": None, "sft-verified": "judge", "sft-teacher": "solve", "cft": "critique"}[config.variant]
    records: list[TrainingRecord] = []
    bar = tqdm(total=config.size, desc=f"build {config.label}", disable=not progress)
    # Chunks of `size`: an LLM teacher makes one chunk's calls concurrently (through its cache),
    # and sft-verified never pays for judgements beyond the chunk that completes the set.
    for start in range(0, len(examples), config.size):
        if len(records) >= config.size:
            break
        chunk = examples[start:start + config.size]
        if job and hasattr(teacher, "prefetch"):
            teacher.prefetch(job, [(e.question, e.response) for e in chunk])
        for example in chunk:
            if len(records) >= config.size:
                break
            try:
                if truth is not None and "response_correct" not in example.meta and example.answer is not None:
                    example = SourceExample(example.id, example.question, example.response, example.answer,
                                            example.meta | {"response_correct": truth(example)})
                record = _make_record(config.variant, example, teacher, config.max_chars)
                known = record.meta.get("response_correct")
                if config.keep_consistent and "verdict" in record.meta and known is not None \
                        and record.meta["verdict"] != known:
                    raise _Skip("inconsistent_verdict")
            except _Skip as skip:
                skipped[skip.reason] += 1
                continue
            records.append(record)
            bar.update()
    bar.close()
    write_jsonl(path, records)
    stats = _stats(config, records, skipped)
    if hasattr(teacher, "usage"):
        stats["teacher_usage"] = teacher.usage()
    mark_done(out, stats)
    return BuiltDataset(path, config.fingerprint, stats)


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _make_record(variant: str, example: SourceExample, teacher: Teacher, max_chars: int) -> TrainingRecord:
    if not example.question.strip() or not example.response.strip():
        raise _Skip("empty")
    meta: dict[str, Any] = {"source_id": example.id, **example.meta}
    try:
        if variant == "sft":
            record = sft_record(example.id, example.question, example.response, meta)
        elif variant == "sft-verified":
            if not teacher.judge(example.question, example.response):
                raise _Skip("rejected")
            record = sft_record(example.id, example.question, example.response, meta)
        elif variant == "sft-teacher":
            # the teacher's solution replaces the response: the source's correctness no longer applies
            meta.pop("response_correct", None)
            record = sft_record(example.id, example.question, teacher.solve(example.question), meta)
        else:
            critique = teacher.critique(example.question, example.response)
            verdict = parse_verdict(critique)
            if verdict is None:  # stated rule: a critique without a verdict is not used
                raise _Skip("no_verdict")
            record = cft_record(example.id, example.question, example.response, critique,
                                meta | {"verdict": verdict})
    except DataError:
        raise _Skip("teacher_error") from None
    if len(record.user_message) + len(record.output) > max_chars:
        raise _Skip("too_long")
    return record


def _stats(config: DataConfig, records: list[TrainingRecord], skipped: collections.Counter) -> dict[str, Any]:
    stats: dict[str, Any] = {"built": len(records), "skipped": dict(skipped),
                             "seen": len(records) + sum(skipped.values()), "fingerprint": config.fingerprint}
    truth = [r.meta.get("response_correct") for r in records]
    if truth and all(t is not None for t in truth):
        stats["response_correct_share"] = sum(truth) / len(truth)
    verdicts = [(r.meta["verdict"], r.meta.get("response_correct")) for r in records if "verdict" in r.meta]
    if verdicts:
        stats["verdict_right_share"] = sum(v for v, _ in verdicts) / len(verdicts)
        known = [(v, t) for v, t in verdicts if t is not None]
        if known:
            stats["verdict_agreement"] = sum(v == t for v, t in known) / len(known)
    if len(records) < config.size:
        stats["short_by"] = config.size - len(records)
    return stats
