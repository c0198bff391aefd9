"""The report's Markdown tables, read back cell by cell: ours beside the paper's numbers, AVG, Δ, both layouts.

Each test resolves a real spec against a real profile (`load_ablation`), gives its cells finished runs built
from synthetic per-problem records (the `CellRuns` shape `collect` returns: real MLflow `Run` entities, the
`eval/records.jsonl` rows), renders, and parses the tables back. Correctness is a prefix of the problems
(a cell with k right gets problems 0..k-1 right), so a better cell's right answers contain a worse one's and
every paired difference is known exactly. The tiny base model block queries the tracking store, so the module
points MLFLOW_TRACKING_URI at a real, empty sqlite store. No training, no subprocesses.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
import yaml
from mlflow.entities import Metric, Run, RunData, RunInfo, RunTag

from cft_lib.ablation.specs import Ablation, load_ablation
from cft_lib.report.tables import CellRuns, render, write_report

HERE = Path(__file__).parent
REPO = HERE.parent.parent
LAYOUT_SPEC = HERE / "layout_spec.yaml"  # default layout, AVG and DELTA, micro profile
MICRO = REPO / "tests" / "e2e" / "micro_profile.yaml"
N = 20  # problems per benchmark
DASH = "—"
DELTA = "Δ = CFT − SFT_best"

# layout_spec.yaml: problems right out of N, per cell and paper benchmark (Base is never run)
LAYOUT_SCORES = {
    "SFT": {"MATH": 8, "GSM8K": 14},  # 40.0, 70.0 -> AVG 55.0
    "SFT-verified": {"MATH": 6, "GSM8K": 15},  # 30.0, 75.0 -> AVG 52.5
    "CFT": {"MATH": 10, "GSM8K": 8},  # 50.0, 40.0 -> AVG 45.0
}


@pytest.fixture(scope="module", autouse=True)
def empty_store(shared_store_uri):
    """The shared test store (a real sqlite store, its schema created once per session) for the module,
    so nothing reads or writes the project's mlflow.db; it holds none of these specs' base-model runs."""
    import mlflow

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", shared_store_uri)
        yield
        mlflow.set_tracking_uri(None)  # mlflow_client() pins mlflow's global URI: leave it to the environment again


@pytest.fixture(scope="module")
def layout_ablation() -> Ablation:
    return load_ablation(str(LAYOUT_SPEC), str(MICRO))


# ---------------------------------------------------------------------------------------------
# Synthetic finished runs, in the shape collect() returns


def _records(cell, scores: dict[str, int]) -> list[dict]:
    """eval/records.jsonl rows: problems 0..k-1 of each bound benchmark right, the rest wrong."""
    rows = []
    for paper_name, right in scores.items():
        ours = cell.benchmark_map[paper_name]
        rows += [{"benchmark": ours, "id": f"{ours}-{i:04d}", "correct": i < right} for i in range(N)]
    return rows


def _run(cell, scores: dict[str, int]) -> Run:
    """A FINISHED cell run as the store returns it: the eval metrics and the cell's fingerprint tag."""
    metrics = []
    for paper_name, right in scores.items():
        ours = cell.benchmark_map[paper_name]
        metrics += [Metric(f"{ours}/accuracy", right / N, 0, 0), Metric(f"{ours}/n", float(N), 0, 0)]
    info = RunInfo(
        run_id=uuid.uuid4().hex,
        experiment_id="0",
        user_id="test",
        status="FINISHED",
        start_time=0,
        end_time=1,
        lifecycle_stage="active",
        run_name=cell.label,
    )
    tags = [RunTag("cft.stage", "cell"), RunTag("cft.fingerprint", cell.fingerprint)]
    return Run(info, RunData(metrics=metrics, tags=tags))


def _cell_runs(ablation: Ablation, scores: dict[str, dict[str, int]]) -> dict[str, CellRuns]:
    """label -> CellRuns as collect() builds them; labels missing from `scores` have no finished run."""
    out: dict[str, CellRuns] = {}
    for cell in ablation.cells:
        entry = out.setdefault(cell.label, CellRuns(cell.label, []))
        entry.cells.append(cell)
        if cell.label in scores:
            entry.runs.append(_run(cell, scores[cell.label]))
            entry.records.append(_records(cell, scores[cell.label]))
    return out


# ---------------------------------------------------------------------------------------------
# Reading the Markdown back


def _table(markdown: str, heading: str) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the first table after the line starting with `heading`."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    block: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            block.append(line)
        elif block:
            break
    split = [line.strip().removeprefix("|").removesuffix("|").split(" | ") for line in block]
    header, rule, rows = [c.strip() for c in split[0]], block[1], [[c.strip() for c in row] for row in split[2:]]
    assert set(rule) <= {"|", "-"}, rule
    assert all(len(row) == len(header) for row in rows), "a row with more or fewer cells than the header"
    return header, rows


def _by_first_column(header: list[str], rows: list[list[str]]) -> dict[str, dict[str, str]]:
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


_CI = re.compile(r"^(-?\d+\.\d) \[(-?\d+\.\d), (-?\d+\.\d)\](\*?)$")


def _ci(text: str) -> tuple[float, float, float, bool]:
    """'-35.0 [-55.0, -15.0]*' -> (value, low, high, starred)."""
    match = _CI.match(text)
    assert match, f"not a number with a CI: {text!r}"
    return float(match[1]), float(match[2]), float(match[3]), match[4] == "*"


def _percent(right: int) -> float:
    return 100 * right / N


def _main_table(ablation: Ablation, markdown: str) -> dict[str, dict[str, str]]:
    return _by_first_column(*_table(markdown, f"# {ablation.spec.table}:"))


# ---------------------------------------------------------------------------------------------
# Default layout: benchmarks as rows


def test_default_layout_has_benchmark_rows_cell_columns_and_the_papers_number_beside_ours(layout_ablation):
    markdown = render(layout_ablation, "cft report layout_spec", cells=_cell_runs(layout_ablation, LAYOUT_SCORES))
    header, rows = _table(markdown, "# Table T:")

    assert header == [
        "Task",
        "Base (ours)",
        "Base (paper)",
        "SFT (ours)",
        "SFT (paper)",
        "SFT-verified (ours)",
        "SFT-verified (paper)",
        "CFT (ours)",
        "CFT (paper)",
        f"{DELTA} (ours)",
        f"{DELTA} (paper)",
    ]
    assert [row[0] for row in rows] == ["MATH → micro-medium", "GSM8K → micro-easy", "AIME24*", "**AVG**"]
    table = _by_first_column(header, rows)
    for label, scores in LAYOUT_SCORES.items():
        for paper_name, row in (("MATH", "MATH → micro-medium"), ("GSM8K", "GSM8K → micro-easy")):
            value, low, high, _ = _ci(table[row][f"{label} (ours)"])
            assert value == _percent(scores[paper_name]), (label, paper_name)
            assert low <= value <= high
            assert float(table[row][f"{label} (paper)"]) == layout_ablation.spec.paper[paper_name][label]
    assert _ci(table["MATH → micro-medium"]["CFT (ours)"])[0] == 50.0  # 10 of 20
    assert _ci(table["GSM8K → micro-easy"]["SFT (ours)"])[0] == 70.0  # 14 of 20


def test_avg_row_averages_the_bound_benchmarks_and_marks_paper_averages_it_derived(layout_ablation):
    markdown = render(layout_ablation, "cft report layout_spec", cells=_cell_runs(layout_ablation, LAYOUT_SCORES))
    avg = _main_table(layout_ablation, markdown)["**AVG**"]

    for label, scores in LAYOUT_SCORES.items():  # over MATH and GSM8K only: AIME24 is not bound
        assert _ci(avg[f"{label} (ours)"])[0] == pytest.approx(
            (_percent(scores["MATH"]) + _percent(scores["GSM8K"])) / 2, abs=0.05
        )
    assert _ci(avg["SFT-verified (ours)"])[0] == 52.5
    assert avg["SFT (paper)"] == "33.3"  # the paper's own average, printed as is
    assert avg["CFT (paper)"] == "42.9†"  # (45.5 + 70.0 + 13.3) / 3: derived, so marked
    assert "† marks the mean of the paper's numbers" in markdown


def test_delta_column_is_cft_minus_the_best_sft_on_each_row(layout_ablation):
    markdown = render(layout_ablation, "cft report layout_spec", cells=_cell_runs(layout_ablation, LAYOUT_SCORES))
    table = _main_table(layout_ablation, markdown)
    ours, paper = f"{DELTA} (ours)", f"{DELTA} (paper)"
    sft, sft_verified, cft = (LAYOUT_SCORES[label] for label in ("SFT", "SFT-verified", "CFT"))

    # MATH: 50.0 − max(40.0, 30.0) = +10.0, printed without a sign; 2 problems differ, so the CI touches 0
    value, low, high, starred = _ci(table["MATH → micro-medium"][ours])
    assert value == _percent(cft["MATH"]) - max(_percent(sft["MATH"]), _percent(sft_verified["MATH"])) == 10.0
    assert table["MATH → micro-medium"][ours].startswith("10.0 [")
    assert low == 0.0 and high > value and not starred

    # GSM8K: 40.0 − max(70.0, 75.0) = −35.0 against SFT-verified; 7 problems differ, so the CI excludes 0 (*)
    value, low, high, starred = _ci(table["GSM8K → micro-easy"][ours])
    assert value == _percent(cft["GSM8K"]) - max(_percent(sft["GSM8K"]), _percent(sft_verified["GSM8K"])) == -35.0
    assert table["GSM8K → micro-easy"][ours].startswith("-35.0 [")
    assert low < value < high < 0 and starred

    # AVG: the best SFT on the average (SFT, 55.0), not the mean of the per-benchmark Δs (−12.5)
    assert _ci(table["**AVG**"][ours])[0] == 45.0 - 55.0

    # the paper's Δ from the paper's numbers: MATH 45.5 − 35.0, GSM8K 70.0 − 65.0, AIME24 13.3 − 10.0
    assert [table[row][paper] for row in ("MATH → micro-medium", "GSM8K → micro-easy", "AIME24*")] == [
        "10.5",
        "5.0",
        "3.3",
    ]
    assert "Δ (ours) is the best CFT cell minus the best SFT cell" in markdown


def test_unbound_benchmark_shows_the_papers_number_only(layout_ablation):
    markdown = render(layout_ablation, "cft report layout_spec", cells=_cell_runs(layout_ablation, LAYOUT_SCORES))
    aime = _main_table(layout_ablation, markdown)["AIME24*"]

    for label in layout_ablation.labels:
        assert aime[f"{label} (ours)"] == DASH
        assert float(aime[f"{label} (paper)"]) == layout_ablation.spec.paper["AIME24"][label]
    assert aime[f"{DELTA} (ours)"] == DASH
    assert "\\* not bound in profile `micro_profile`" in markdown
    problems = _by_first_column(*_table(markdown, "## Benchmarks"))
    assert problems["AIME24"]["ours (micro_profile)"] == DASH and problems["AIME24"]["problems"] == DASH
    assert problems["MATH"]["ours (micro_profile)"] == "micro-medium" and problems["MATH"]["problems"] == str(N)


def test_cell_without_a_finished_run_shows_dashes_and_not_run(layout_ablation):
    markdown = render(layout_ablation, "cft report layout_spec", cells=_cell_runs(layout_ablation, LAYOUT_SCORES))
    table = _main_table(layout_ablation, markdown)

    for row in ("MATH → micro-medium", "GSM8K → micro-easy", "AIME24*", "**AVG**"):
        assert table[row]["Base (ours)"] == DASH
    assert table["MATH → micro-medium"]["Base (paper)"] == "20.0"
    assert table["**AVG**"]["Base (paper)"] == "24.4†"  # (20.0 + 50.0 + 3.3) / 3
    cells = _by_first_column(*_table(markdown, "## Cells"))
    assert cells["Base"]["MLflow run"] == "not run"
    assert all(cells[label]["MLflow run"] != "not run" for label in LAYOUT_SCORES)
    pairs = [row[0] for row in _table(markdown, "## Paired differences")[1]]
    assert pairs == ["SFT-verified − SFT", "CFT − SFT", "CFT − SFT-verified"]  # Base has nothing to pair


def test_delta_is_a_dash_when_a_cft_or_sft_cell_has_no_run(layout_ablation):
    scores = {label: s for label, s in LAYOUT_SCORES.items() if label != "SFT-verified"}
    markdown = render(layout_ablation, "cft report layout_spec", cells=_cell_runs(layout_ablation, scores))
    table = _main_table(layout_ablation, markdown)

    for row in ("MATH → micro-medium", "GSM8K → micro-easy", "**AVG**"):
        assert table[row][f"{DELTA} (ours)"] == DASH  # the best SFT is unknown without SFT-verified
        assert table[row]["SFT-verified (ours)"] == DASH
    assert table["MATH → micro-medium"][f"{DELTA} (paper)"] == "10.5"


# ---------------------------------------------------------------------------------------------
# rows: cell (the shipped Table 2 spec on the tiny profile): one row per cell, a Δ row per base model


# Right out of N: the base model's row, each method's gain, and a per-benchmark offset; SFT gets 3 more on GSM8K
# so that the best SFT is sft-verified on MATH and OlympiadBench but plain SFT on GSM8K. CFT moves with the
# base model: behind the best SFT on DeepSeek-Math-7B, ahead on Qwen2.5-Math-7B.
TABLE2_METHOD = {"base": 5, "sft": 7, "sft-verified": 9, "sft-teacher": 8, "cft": 12}
TABLE2_BENCHMARK = {"MATH": 0, "GSM8K": 4, "OlympiadBench": -2}
TABLE2_CFT_SHIFT = {"deepseek-math-7b": -6, "qwen2.5-7b": 0, "qwen2.5-math-7b": 2}


def _table2_scores(ablation: Ablation) -> dict[str, dict[str, int]]:
    """label -> bound paper benchmark -> right out of N; the shuffled-critiques control is left without a run."""
    out = {}
    for cell in ablation.cells:
        method, base = cell.choices["method"], cell.choices["base_model"]
        if method == "cft-shuffled":
            continue
        out[cell.label] = {
            name: TABLE2_METHOD[method]
            + TABLE2_BENCHMARK[name]
            + (TABLE2_CFT_SHIFT[base] if method == "cft" else 0)
            + (3 if method == "sft" and name == "GSM8K" else 0)
            for name in cell.benchmark_map
        }
    return out


@pytest.fixture(scope="module")
def table2() -> Ablation:
    return load_ablation("sft_vs_cft", "tiny")


def test_rows_cell_layout_has_one_row_per_cell_and_a_delta_row_after_each_base_model(table2):
    scores = _table2_scores(table2)
    markdown = render(table2, "cft report sft_vs_cft", cells=_cell_runs(table2, scores))
    header, rows = _table(markdown, "# Table 2:")

    bound = table2.cells[0].benchmark_map
    assert set(bound) == {"MATH", "GSM8K", "OlympiadBench"}
    expected_header = ["Cell"]
    for name in [*table2.spec.benchmarks, "AVG"]:
        label = "**AVG**" if name == "AVG" else f"{name} → {bound[name]}" if name in bound else f"{name}*"
        expected_header += [f"{label} (ours)", f"{label} (paper)"]
    assert header == expected_header

    expected_rows = []
    for base in ("deepseek-math-7b", "qwen2.5-7b", "qwen2.5-math-7b"):  # the spec's order of base models
        expected_rows += [c.label for c in table2.cells if c.choices["base_model"] == base]
        expected_rows.append(f"{DELTA} ({base})")
    assert [row[0] for row in rows] == expected_rows

    table = _by_first_column(header, rows)
    for label, per_benchmark in scores.items():
        for name, right in per_benchmark.items():
            assert _ci(table[label][f"{name} → {bound[name]} (ours)"])[0] == _percent(right), (label, name)
        assert table[label]["Minerva-Math* (ours)"] == DASH
        assert float(table[label]["Minerva-Math* (paper)"]) == table2.spec.paper["Minerva-Math"][label]
        avg = sum(_percent(r) for r in per_benchmark.values()) / len(per_benchmark)
        assert _ci(table[label]["**AVG** (ours)"])[0] == pytest.approx(avg, abs=0.05), label
    control = "Qwen2.5-Math-7B CFT-shuffled-critiques (control)"
    assert all(table[control][column] == DASH for column in header[1:])  # no run, no paper numbers


def test_rows_cell_delta_rows_compare_cft_with_the_best_sft_of_the_same_base_model(table2):
    scores = _table2_scores(table2)
    markdown = render(table2, "cft report sft_vs_cft", cells=_cell_runs(table2, scores))
    table = _main_table(table2, markdown)
    bound = table2.cells[0].benchmark_map
    paper = table2.spec.paper

    signs = {}
    for base in ("deepseek-math-7b", "qwen2.5-7b", "qwen2.5-math-7b"):
        members = [c for c in table2.cells if c.choices["base_model"] == base]
        cft = [c.label for c in members if c.choices["method"] == "cft"]
        sft = [c.label for c in members if c.choices["method"] in ("sft", "sft-verified", "sft-teacher")]
        row = table[f"{DELTA} ({base})"]
        for name in bound:
            expected = max(_percent(scores[c][name]) for c in cft) - max(_percent(scores[c][name]) for c in sft)
            assert _ci(row[f"{name} → {bound[name]} (ours)"])[0] == pytest.approx(expected, abs=0.05), (base, name)
        for name in table2.spec.benchmarks:
            column = f"{name} → {bound[name]} (paper)" if name in bound else f"{name}* (paper)"
            expected = max(paper[name][c] for c in cft) - max(paper[name][c] for c in sft)
            assert float(row[column]) == pytest.approx(expected, abs=0.05), (base, name)
            if name not in bound:
                assert row[f"{name}* (ours)"] == DASH
        signs[base] = _ci(row["**AVG** (ours)"])[0]
    # CFT 12 − 6 = 6 right vs the best SFT's 9 on DeepSeek; 12 + 2 = 14 vs 9 on Qwen2.5-Math
    assert signs["deepseek-math-7b"] < 0 < signs["qwen2.5-math-7b"]
    assert table[f"{DELTA} (deepseek-math-7b)"]["MATH → micro-medium (ours)"].startswith("-15.0 [")
    assert table[f"{DELTA} (qwen2.5-math-7b)"]["MATH → micro-medium (ours)"].startswith("25.0 [")


# ---------------------------------------------------------------------------------------------
# The store's address in the report


def _hub_profile(tmp_path: Path) -> Path:
    """The micro profile with a hub base model: no tiny base model block, so nothing queries the store."""
    profile = yaml.safe_load(MICRO.read_text())
    profile["base_models"] = {"qwen2.5-math-7b": {"kind": "hub", "path": "Qwen/Qwen2.5-Math-7B"}}
    profile.pop("tiny_base", None)
    path = tmp_path / "hub_profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    return path


def test_tracking_uri_credentials_never_reach_the_report(tmp_path, monkeypatch):
    ablation = load_ablation(str(LAYOUT_SPEC), str(_hub_profile(tmp_path)))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "postgresql://cft:s3cret-pw@db.example.org:5432/mlflow")
    markdown = render(ablation, "cft report layout_spec", cells=_cell_runs(ablation, LAYOUT_SCORES))

    assert "s3cret-pw" not in markdown and "cft:" not in markdown
    assert "from the MLflow store `postgresql://db.example.org:5432/mlflow`" in markdown
    assert _ci(_main_table(ablation, markdown)["MATH → micro-medium"]["CFT (ours)"])[0] == 50.0


def test_a_password_with_a_slash_never_reaches_the_report(tmp_path, monkeypatch):
    ablation = load_ablation(str(LAYOUT_SPEC), str(_hub_profile(tmp_path)))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "postgresql://cft:ab/cd+ef@db.example.org:5432/mlflow")
    markdown = render(ablation, "cft report layout_spec", cells=_cell_runs(ablation, LAYOUT_SCORES))

    assert "ab/cd+ef" not in markdown  # base64 passwords hold '/': the userinfo runs to the last '@'


# ---------------------------------------------------------------------------------------------
# write_report: the same table from runs logged to a real store


def test_write_report_reads_the_newest_finished_run_of_each_cell_from_the_store(
    layout_ablation, tmp_path, monkeypatch, store_uri
):
    import mlflow

    from cft_lib.tracking import mlflow_client

    monkeypatch.setenv("MLFLOW_TRACKING_URI", store_uri)  # the shared test store (created once per session)
    monkeypatch.chdir(tmp_path)
    mlflow_client()
    mlflow.set_experiment("report-test")
    logged = {}
    for cell in layout_ablation.cells:
        for status, scores in (("FINISHED", LAYOUT_SCORES.get(cell.label)), ("FAILED", {"MATH": N, "GSM8K": N})):
            if scores is None:
                continue  # Base: never run
            with mlflow.start_run(run_name=cell.label) as run:  # the FAILED one is newer: it must be ignored
                mlflow.set_tags({"cft.stage": "cell", "cft.fingerprint": cell.fingerprint})
                mlflow.log_metrics(_run(cell, scores).data.metrics)
                mlflow.log_text("\n".join(json.dumps(r) for r in _records(cell, scores)), "eval/records.jsonl")
            if status == "FAILED":
                mlflow.MlflowClient().set_terminated(run.info.run_id, status="FAILED")
            else:
                logged[cell.label] = run.info.run_id

    path = write_report(layout_ablation, root=tmp_path / "reports")
    assert path == tmp_path / "reports" / "micro_profile" / "layout_spec.md"
    markdown = path.read_text()
    assert markdown.startswith(
        "<!-- Generated file: do not edit by hand. Regenerate with "
        "`cft report layout_spec --profile micro_profile`. -->"
    )
    table = _main_table(layout_ablation, markdown)
    assert _ci(table["MATH → micro-medium"]["CFT (ours)"])[0] == 50.0
    assert _ci(table["GSM8K → micro-easy"]["SFT-verified (ours)"])[0] == 75.0
    assert _ci(table["GSM8K → micro-easy"][f"{DELTA} (ours)"])[0] == -35.0
    assert table["**AVG**"]["Base (ours)"] == DASH
    cells = _by_first_column(*_table(markdown, "## Cells"))
    assert {label: cells[label]["MLflow run"] for label in logged} == logged
    assert cells["Base"]["MLflow run"] == "not run"
