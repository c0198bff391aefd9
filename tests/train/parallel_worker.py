"""One training run, launched by tests/train/test_parallel.py under torchrun (several processes).

    torchrun --nproc_per_node N parallel_worker.py MODEL_DIR EXAMPLES.jsonl OUT_DIR CONFIG_JSON

SLOW_LOG_S makes the main process's metric logging slow (as MLflow can be), so that its clock and
the other processes' clocks disagree about when a checkpoint is due.
"""

import json
import os
import sys
import time

from transformers import AutoTokenizer

from cft_lib.train.config import TrainConfig
from cft_lib.train.tokenize import TokenizedExample
from cft_lib.train.trainer import train


def main() -> None:
    model_dir, examples_file, out_dir, config_json = sys.argv[1:5]
    with open(examples_file, encoding="utf-8") as handle:
        examples = [TokenizedExample(**json.loads(line)) for line in handle]
    losses: list[float] = []
    slow = float(os.environ.get("SLOW_LOG_S", "0"))

    def log(metrics: dict[str, float], step: int) -> None:
        losses.append(metrics["train/loss"])
        time.sleep(slow)

    result = train(
        model_dir,
        AutoTokenizer.from_pretrained(model_dir),
        examples,
        out_dir,
        TrainConfig(**json.loads(config_json)),
        progress=False,
        log_metrics=log,
    )
    if losses:  # only the main process logs
        with open(f"{out_dir}/result.json", "w", encoding="utf-8") as handle:
            json.dump({"losses": losses, "examples": result.examples, "target_tokens": result.target_tokens}, handle)


if __name__ == "__main__":
    main()
