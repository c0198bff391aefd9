"""Data building with an LLM teacher served by `transformers serve` on 127.0.0.1."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cft_lib.data.builders import DataConfig, build_dataset
from cft_lib.data.records import read_training_records
from cft_lib.data.sources import micro_sources
from cft_lib.teachers.config import TeacherConfig

pytestmark = pytest.mark.integration


def _teacher(server: str, small_base_model) -> TeacherConfig:
    return TeacherConfig(
        kind="llm", name="tiny-served", model=str(small_base_model), base_url=server, max_tokens=48, concurrency=4
    )


def test_cft_build_of_200_records_accounts_for_every_record(server, small_base_model, tmp_path, monkeypatch):
    monkeypatch.setenv("CFT_HOME", str(tmp_path / "home"))
    source = tmp_path / "noisy.jsonl"
    rows = [
        {"id": e.id, "question": e.question, "response": e.response, "answer": e.answer}
        for _, e in micro_sources.get("micro-web").sample(198, seed=3)
    ]
    lines = [json.dumps(r) for r in rows] + ['{"question": "no response field"}', "not json at all"]
    source.write_text("\n".join(lines) + "\n")
    config = DataConfig(source=str(source), variant="cft", size=200, teacher=_teacher(server, small_base_model))
    built = build_dataset(config, progress=False)
    stats = built.stats
    assert stats["skipped"].get("malformed") == 2
    assert stats["built"] + sum(stats["skipped"].values()) == 200  # every input line accounted for
    records = read_training_records(built.path)
    assert len(records) == stats["built"]
    for record in records:
        assert record.instruction == "Please critique whether the following solution to the question is correct."
        assert record.output.startswith("Critique:\n")

    teacher = config.teacher.build(progress=False)  # a rebuild elsewhere hits the cache, not the server
    for row in rows[:20]:
        teacher.critique(row["question"], row["response"])
    assert teacher.network_calls == 0


def test_api_key_is_written_nowhere(server, small_base_model, tmp_path):
    secret = "sk-cftlab-SENTINEL-7f3a9c"
    env = dict(
        os.environ,
        OPENAI_API_KEY=secret,
        CFT_HOME=str(tmp_path / "home"),
        MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'mlflow.db'}",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cft_lib.cli",
            "build-data",
            "--variant",
            "cft",
            "--size",
            "12",
            "--teacher-model",
            str(small_base_model),
            "--teacher-base-url",
            server,
            "--teacher-max-tokens",
            "32",
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert secret not in done.stdout + done.stderr
    files = [p for p in Path(tmp_path).rglob("*") if p.is_file()]
    assert any(p.name == "mlflow.db" for p in files) and any(p.name == "teacher-cache.sqlite" for p in files)
    for path in files:
        assert secret.encode() not in path.read_bytes(), path
