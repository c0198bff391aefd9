"""The layering holds: no import cycle inside cft_lib, and planning and reporting never load torch."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cft_lib

PACKAGE = Path(cft_lib.__file__).parent


def import_graph() -> dict[str, set[str]]:
    """module → the cft_lib modules it imports anywhere (module level or inside functions); a package
    __init__ is a module, and a submodule depends on its parent package (importing it runs it)."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        parts = name.split(".")
        graph[name] |= {".".join(parts[:i]) for i in range(1, len(parts))} & set(modules)
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
                    break
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


# Packages from the top down: a module imports only modules of its own layer or of layers below.
LAYERS = [
    ("cft_lib.cli", "cft_lib.__main__"),
    ("cft_lib.report",),
    ("cft_lib.ablation",),
    ("cft_lib.eval",),
    ("cft_lib.train",),
    ("cft_lib.teachers",),
    ("cft_lib.llm",),
    ("cft_lib.models",),
    ("cft_lib.data",),
    (
        "cft_lib.tracking",
        "cft_lib.owners",
        "cft_lib.registry",
        "cft_lib.errors",
        "cft_lib.fingerprint",
        "cft_lib.paths",
    ),
]
# The one import upwards, on purpose: building a training set composes the data's sources and methods
# with a teacher (data/builders.py builds the TeacherConfig it is given). No other may appear.
UPWARD = {("cft_lib.data.builders", "cft_lib.teachers.config")}


def layer_of(module: str) -> int:
    if module == "cft_lib":
        return len(LAYERS) - 1  # the package itself: its version string
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{module} is in no layer of tests/test_layering.py: add it")


def test_no_import_cycle_inside_cft_lib():
    graph = import_graph()
    assert "cft_lib.ablation.store" in graph["cft_lib.report.tables"]  # the graph sees imports
    assert cycles(graph) == []


def test_imports_point_down_the_layers():
    upward = {(a, b) for a, targets in import_graph().items() for b in targets if layer_of(a) > layer_of(b)}
    assert upward == UPWARD


def test_the_cycle_check_can_fail():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_package_inits_import_nothing():
    """Registration is explicit (lazy registry entries), never a side effect of importing a package."""
    for init in PACKAGE.rglob("__init__.py"):
        if init.parent == PACKAGE:
            continue
        imports = [n for n in ast.walk(ast.parse(init.read_text())) if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert imports == [], init


def _fake_cell_runs(workdir: Path) -> None:
    """Finished runs for every cell of teacher_model (tiny), as a real evaluation would log them."""
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{workdir / 'mlflow.db'}"
    from cft_lib.ablation.specs import load_ablation
    from cft_lib.ablation.store import cell_tags
    from cft_lib.tracking import tracked_run

    ablation = load_ablation("teacher_model")
    for offset, cell in enumerate(ablation.cells):
        with tracked_run("cft/teacher_model", cell.label, cell_tags(ablation, cell)) as tracker:
            records = [
                {"benchmark": b, "id": f"{b}-{i}", "correct": (i + offset) % 3 == 0}
                for b in cell.eval.benchmarks
                for i in range(30)
            ]
            tracker.log_metrics(
                {f"{b}/accuracy": 0.4 for b in cell.eval.benchmarks} | {f"{b}/n": 30 for b in cell.eval.benchmarks}
            )
            tracker.log_text("\n".join(json.dumps(r) for r in records), "eval/records.jsonl")


def _run_without_torch(commands: list[list[str]], workdir: Path) -> subprocess.CompletedProcess:
    """Run `cft` commands in one fresh interpreter; it prints which heavy libraries got imported."""
    code = (
        "import json, sys\nfrom cft_lib.cli import main\n"
        "for args in json.loads(sys.argv[1]):\n    rc = main(args)\n    print('RC:', rc)\n"
        "loaded = [m for m in ('torch', 'transformers', 'accelerate') if m in sys.modules]\n"
        "print('HEAVY:', loaded)"
    )
    env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{workdir / 'mlflow.db'}", CFT_HOME=str(workdir / ".cft"))
    return subprocess.run(
        [sys.executable, "-c", code, json.dumps(commands)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dry_run_and_report_do_not_import_torch(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    _fake_cell_runs(tmp_path)
    result = _run_without_torch([["ablation", "teacher_model", "--dry-run"], ["report", "teacher_model"]], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("RC: 0") == 2, result.stdout[-3000:] + result.stderr[-3000:]
    assert "HEAVY: []" in result.stdout and "nothing: done" in result.stdout
    written = (tmp_path / "reports" / "tiny" / "teacher_model.md").read_text()
    assert re.search(r"\| 33\.3 \[\d+\.\d, \d+\.\d\] \|", written)  # SFT-verified: 10 of 30 right


def test_report_on_an_empty_store_is_a_clear_error_and_writes_nothing(tmp_path, monkeypatch, capsys, store_uri):
    from cft_lib.cli import main

    monkeypatch.chdir(tmp_path)  # a store without the spec's cells (the shared test store holds no tiny cell)
    target = tmp_path / "reports" / "tiny" / "teacher_model.md"
    target.parent.mkdir(parents=True)
    target.write_text("committed report\n")
    assert main(["report", "teacher_model"]) == 2
    error = capsys.readouterr().err
    assert "none of its 3 cells has a finished run" in error and "left as it is" in error
    assert target.read_text() == "committed report\n"
    assert main(["report", "--all"]) == 2
    assert not (tmp_path / "reports" / "tiny" / "README.md").exists()
