"""The tracking store shows every cell truthfully, through a real `mlflow server` and `mlflow run`.

Two specs share two cells. The first runs under `mlflow run` (its project run becomes the parent:
no empty run is left), the second with `cft ablation`. Then, through the server's REST API, each
spec's experiment lists every one of its cells with params and metrics (the shared ones as
`reused-cell` runs naming the run they came from), and every key of each cell's resolved config
(config/resolved.json) is among its params, the generation budget included.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.support.servers import free_port, serving

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PROFILE = Path(__file__).with_name("micro_profile.yaml")
DEFAULTS = {"base_model": "qwen2.5-math-7b", "dataset": "webinstruct", "teacher": "gpt-4o-2024-11-20"}
SPEC_A = {
    "table": "Table A",
    "title": "first",
    "defaults": DEFAULTS,
    "benchmarks": ["MATH", "GSM8K"],
    "cells": [{"label": "Base", "method": "base"}, {"label": "CFT", "method": "cft"}],
}
SPEC_B = {
    "table": "Table B",
    "title": "second",
    "defaults": DEFAULTS,
    "benchmarks": ["MATH", "GSM8K"],
    "cells": [
        {"label": "Base", "method": "base"},
        {"label": "SFT", "method": "sft"},
        {"label": "CFT", "method": "cft"},
    ],
}


@pytest.fixture
def mlflow_server(tmp_path):
    port = free_port()
    command = [
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{tmp_path / 'server.db'}",
        "--artifacts-destination",
        str(tmp_path / "artifacts"),
    ]
    with serving(command, f"http://127.0.0.1:{port}", timeout_s=120) as url:
        yield url


def _rest(url: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{url}/api/2.0/mlflow/{path}",
        method="POST" if body else "GET",
        data=json.dumps(body).encode() if body else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _runs(url: str, experiment: str) -> list[dict]:
    found = _rest(url, f"experiments/get-by-name?experiment_name={experiment}")["experiment"]
    return _rest(
        url,
        "runs/search",
        {"experiment_ids": [found["experiment_id"]], "max_results": 200, "filter": "attributes.status = 'FINISHED'"},
    ).get("runs", [])


def _as_dicts(run: dict) -> tuple[dict, dict, dict]:
    data = run["data"]
    return (
        {t["key"]: t["value"] for t in data.get("tags", [])},
        {p["key"]: p["value"] for p in data.get("params", [])},
        {m["key"]: m["value"] for m in data.get("metrics", [])},
    )


def test_every_cell_of_two_overlapping_specs_is_in_its_experiment(tmp_path, mlflow_server):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "mlproject", project / "mlproject")
    shutil.copy(ROOT / "MLproject", project / "MLproject")
    (project / "ablations" / "profiles").mkdir(parents=True)
    shutil.copy(PROFILE, project / "ablations" / "profiles" / "micro.yaml")
    (project / "ablations" / "table_a.yaml").write_text(yaml.safe_dump(SPEC_A, sort_keys=False))
    (project / "ablations" / "table_b.yaml").write_text(yaml.safe_dump(SPEC_B, sort_keys=False))
    env = dict(
        os.environ,
        OMP_WAIT_POLICY="PASSIVE",
        CFT_HOME=str(tmp_path / ".cft"),
        MLFLOW_TRACKING_URI=mlflow_server,
        TQDM_DISABLE="1",
    )

    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=1200)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout + done.stderr

    run("mlflow", "run", ".", "-e", "ablation", "-P", "spec=table_a", "-P", "profile=micro", "--env-manager", "local")
    out = run(sys.executable, "-m", "cft_lib", "ablation", "table_b", "--profile", "micro")
    assert out.count("reused") == 2  # Base and CFT were done by table_a
    run("mlflow", "run", ".", "-e", "report", "-P", "spec=table_b", "-P", "profile=micro", "--env-manager", "local")
    assert (project / "reports" / "micro" / "table_b.md").exists()

    from mlflow import MlflowClient

    from cft_lib.tracking import flatten

    client = MlflowClient(mlflow_server)
    project_runs = {r["info"]["run_id"]: _as_dicts(r) for r in _runs(mlflow_server, "Default")}
    assert len(project_runs) == 2 and all(params for _, params, _ in project_runs.values())  # none left empty
    cell_runs: dict[str, dict[str, tuple]] = {}
    for spec, labels in (("table_a", {"Base", "CFT"}), ("table_b", {"Base", "SFT", "CFT"})):
        runs = [(r["info"]["run_id"], *_as_dicts(r)) for r in _runs(mlflow_server, f"cft/{spec}")]
        cells = {
            tags["cft.cell"]: (run_id, tags, params, metrics)
            for run_id, tags, params, metrics in runs
            if tags.get("cft.stage") in ("cell", "reused-cell")
        }
        cell_runs[spec] = cells
        assert set(cells) == labels, spec
        for label, (run_id, _, params, metrics) in cells.items():
            assert metrics["micro-medium/accuracy"] >= 0 and metrics["avg/accuracy"] >= 0, (spec, label)
            assert params["spec"] == spec and params["eval.generation.max_new_tokens"] == "64", (spec, label)
            resolved = json.loads(
                Path(client.download_artifacts(run_id, "config/resolved.json", str(tmp_path / run_id))).read_text()
            )
            missing = [k for k in flatten(resolved) if k not in params]
            assert not missing, (spec, label, missing)
            if label != "Base":
                assert "train/loss" in metrics and "data/built" in metrics, (spec, label)
    for label in ("Base", "CFT"):  # the shared cells: shown in table_b, run once, in table_a
        _, tags, _, _ = cell_runs["table_b"][label]
        assert tags["cft.stage"] == "reused-cell" and tags["cft.reused_from"] == cell_runs["table_a"][label][0]
    assert cell_runs["table_b"]["SFT"][1]["cft.stage"] == "cell"
    parents = {tags["mlflow.parentRunId"] for _, tags, _, _ in cell_runs["table_a"].values()}
    assert parents <= set(project_runs), parents  # under `mlflow run` the project's run is the cells' parent
