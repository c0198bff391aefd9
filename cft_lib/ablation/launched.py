"""One training stage in every process of an `accelerate launch` (train/launch.py says when).

    python -m accelerate.commands.launch ... --module cft_lib.ablation.launched JOB_DIR

The launching process has built the data and tokenised it, and holds the stage's MLflow run; it
writes JOB_DIR/job.pkl (the stage config, the base model path, the tokenised examples and the run
id). Every process trains its share; only the main process logs to that MLflow run (metrics, as a
one-process training would) and writes JOB_DIR/result.pkl for the launcher to read. Validation and
the training-curve evaluations run as in one process.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path


def main(job_dir: Path) -> None:
    from transformers import AutoTokenizer

    from cft_lib.ablation.stages import LAUNCH_JOB, LAUNCH_RESULT, training_validation
    from cft_lib.tracking import Tracker
    from cft_lib.train.trainer import train

    job = pickle.loads((job_dir / LAUNCH_JOB).read_bytes())
    config = job["config"]
    main_process = int(os.environ.get("RANK", "0")) == 0
    tracker = Tracker(job["run_id"]) if main_process and job["run_id"] else None
    try:
        result = train(
            job["base_path"],
            AutoTokenizer.from_pretrained(job["base_path"]),
            job["examples"],
            config.output_dir,
            config.train,
            log_metrics=tracker.log_metrics if tracker else None,
            progress=job["progress"] and main_process,
            desc=job["desc"],
            **training_validation(config),
        )
    finally:
        if tracker is not None:
            tracker.flush()
    if main_process:
        (job_dir / LAUNCH_RESULT).write_bytes(pickle.dumps(result))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
