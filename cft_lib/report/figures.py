"""Figure 2: accuracy against training step, drawn from the MLflow metric history of each cell.

The cells of a spec with a `figure:` section evaluate the figure's benchmarks during training
(curve/<benchmark>/accuracy and /n by step, cft_lib/ablation/stages.py). Each point is drawn with
its Wilson 95% interval; a base-model cell, when the spec has one, is the dashed line at step 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cft_lib.eval.evaluate import BenchmarkScore
from cft_lib.tracking import mlflow_client


def curve_points(run_id: str, benchmark: str) -> list[tuple[int, BenchmarkScore]]:
    """(step, score) of every evaluation of `benchmark` during the run's training, in step order."""
    client = mlflow_client().MlflowClient()
    accuracy = {m.step: m.value for m in client.get_metric_history(run_id, f"curve/{benchmark}/accuracy")}
    sizes = {m.step: int(m.value) for m in client.get_metric_history(run_id, f"curve/{benchmark}/n")}
    return [
        (step, BenchmarkScore(benchmark, sizes[step], round(accuracy[step] * sizes[step])))
        for step in sorted(accuracy)
        if step in sizes
    ]


def draw_training_curves(title: str, panels: list[tuple[str, str]], cells: dict[str, Any]) -> Any:
    """One panel per (paper name, our benchmark); one line per trained cell (its first seed's run)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, max(1, len(panels)), figsize=(5.5 * max(1, len(panels)), 4), squeeze=False)
    for axis, (paper_name, ours) in zip(axes[0], panels, strict=False):
        for label, entry in cells.items():
            if not entry.runs:
                continue
            if entry.method == "base":
                accuracy = entry.runs[0].data.metrics.get(f"{ours}/accuracy")
                if accuracy is not None:
                    axis.axhline(100 * accuracy, linestyle="--", color="grey", label=f"{label} (step 0)")
                continue
            points = curve_points(entry.runs[0].info.run_id, ours)
            if not points:
                continue
            steps = [step for step, _ in points]
            values = [100 * score.accuracy for _, score in points]
            lows = [100 * score.wilson_interval()[0] for _, score in points]
            highs = [100 * score.wilson_interval()[1] for _, score in points]
            (line,) = axis.plot(steps, values, marker="o", label=label)
            axis.fill_between(steps, lows, highs, alpha=0.2, color=line.get_color())
        axis.set_title(f"{paper_name} → {ours}")
        axis.set_xlabel("training step")
        axis.set_ylabel("accuracy (%), 95% interval")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    import textwrap

    figure.suptitle(textwrap.fill(title, 70 * max(1, len(panels))), fontsize=9)
    figure.tight_layout()
    return figure


def save_figure(figure: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
