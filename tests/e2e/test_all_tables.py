"""`cft ablation --all` end to end at micro sizes: tiny bases built side by side, a table with a
reference row, two-stage self-critique and a hypothesis, a training-curve figure, and the index; the
cells run as Ray tasks (`--executor ray`), and a second `--all` (here, sequential) reuses them all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

PROFILE = Path(__file__).with_name("micro_profile.yaml")

TABLE = {
    "table": "Table 9",
    "title": "micro table",
    "defaults": {"base_model": "qwen2.5-math-7b", "dataset": "webinstruct", "teacher": "gpt-4o-2024-11-20"},
    "references": ["Someone else's model"],
    "cells": [
        {"label": "Base", "method": "base"},
        {"label": "CFT", "method": "cft"},
        {"label": "CFT two-stage", "method": "cft", "inference": "two-stage", "temperature": 0.6},
        {"label": "General CFT", "base_model": "qwen2.5-7b", "method": "cft"},
    ],
    "benchmarks": ["MATH", "GSM8K"],
    "layout": {"rows": "cell", "columns": "benchmark", "extra": ["AVG"], "info": ["data", "compute"]},
    "paper": {"MATH": {"Base": 55.4, "CFT": 80.2, "Someone else's model": 70.0}},
    "paper_info": {"compute": {"CFT": "8 H100-hours"}},
    "hypotheses": [{"claim": "CFT beats the base", "better": ["CFT"], "worse": ["Base"]}],
}
FIGURE = {
    "table": "Figure 2",
    "title": "micro curves",
    "defaults": {"base_model": "qwen2.5-math-7b", "dataset": "webinstruct", "teacher": "gpt-4o-2024-11-20"},
    "cells": [{"label": "SFT-V", "method": "sft-verified"}, {"label": "CFT", "method": "cft"}],
    "benchmarks": ["MATH"],
    "figure": {"benchmarks": ["MATH"], "points": 2, "limit": 8, "file": "figure2.png"},
    "hypotheses": [{"claim": "CFT ends above SFT-V", "better": ["CFT"], "worse": ["SFT-V"], "benchmark": "MATH"}],
}


def test_all_tables_run_once_and_index(tmp_path):
    profiles = tmp_path / "ablations" / "profiles"
    profiles.mkdir(parents=True)
    profile = yaml.safe_load(PROFILE.read_text())
    profile["base_models"]["qwen2.5-7b"] = {"kind": "tiny", "tiny_base": {"fact_exposures": 5}}
    profile["eval"]["self_critique"] = {"max_attempts": 3}
    (profiles / "micro.yaml").write_text(yaml.safe_dump(profile))
    (tmp_path / "ablations" / "micro_table.yaml").write_text(yaml.safe_dump(TABLE, sort_keys=False))
    (tmp_path / "ablations" / "micro_figure.yaml").write_text(yaml.safe_dump(FIGURE, sort_keys=False))
    env = dict(
        os.environ,
        OMP_WAIT_POLICY="PASSIVE",
        CFT_HOME=str(tmp_path / ".cft"),
        MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'mlflow.db'}",
        RAY_AUTH_MODE="disabled",
    )

    def cft(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "cft_lib.cli", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    dry = cft("ablation", "--all", "--profile", "micro", "--dry-run")
    # the two-stage cell evaluates Table CFT's model: 6 cells, 4 trainings
    assert (
        "2 specs: 6 cells in total, 6 unique cell fingerprints (each evaluated once), 4 unique trainings, 2 tiny "
        "base model(s)" in " ".join(dry.split())
    )
    out = cft("ablation", "--all", "--profile", "micro", "--executor", "ray")  # one Ray session for both specs
    assert "pre-training 2 tiny base model(s), 2 at a time" in out
    assert out.count("queued") == 6  # every cell a Ray task (two of them share a training: built once)

    reports = tmp_path / "reports" / "micro"
    index = (reports / "README.md").read_text()
    assert "| Table 9 | [micro_table](micro_table.md) |" in index and "complete (4/4 cells)" in index
    assert "[figure2.png](figure2.png)" in index
    table = (reports / "micro_table.md").read_text()
    assert "Someone else's model (reference)" in table
    assert "## Two-stage self-critique" in table and "| CFT two-stage |" in table
    assert table.rstrip().splitlines()[-1].startswith("| CFT beats the base |")  # the report ends with its verdict
    assert any(v in table.rstrip().splitlines()[-1] for v in ("supported", "contradicted", "inconclusive"))
    assert "8 H100-hours" in table
    figure = (reports / "micro_figure.md").read_text()
    assert "![Figure 2](figure2.png)" in figure
    assert (reports / "figure2.png").stat().st_size > 10_000

    from mlflow.tracking import MlflowClient

    client = MlflowClient(env["MLFLOW_TRACKING_URI"])
    everything = [e.experiment_id for e in client.search_experiments()]
    bases = client.search_runs(everything, "tags.`cft.stage` = 'base-model' and attributes.status = 'FINISHED'")
    assert len(bases) == 2
    cells = client.search_runs(everything, "tags.`cft.stage` = 'cell' and attributes.status = 'FINISHED'")
    assert len(cells) == 6
    curve = next(r for r in cells if "curve/micro-medium/accuracy" in r.data.metrics)
    assert len(client.get_metric_history(curve.info.run_id, "curve/micro-medium/accuracy")) == 2
    two_stage = next(r for r in cells if r.data.tags["cft.cell"] == "CFT two-stage")
    assert 1.0 <= two_stage.data.metrics["selfcritique/mean_attempts"] <= 3.0
    assert two_stage.data.params["eval.inference.mode"] == "two-stage"
    parent = client.search_runs(
        [client.get_experiment_by_name("cft/micro_figure").experiment_id], "tags.`cft.stage` = 'ablation'"
    )[0]
    assert "report/figure2.png" in [a.path for a in client.list_artifacts(parent.info.run_id, "report")]
    # a second --all does nothing but reuse
    again = cft("ablation", "--all", "--profile", "micro")
    assert "pre-training" not in again and again.count("reused") == 6
