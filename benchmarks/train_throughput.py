"""Training throughput: naive padded random batches vs the project's batching, side by side.

    python benchmarks/train_throughput.py [--records 512] [--repeats 2]

Every arm trains the same freshly initialised tiny model on the same micro-world CFT records with
the same global batch, and reports non-pad tokens per second of optimizer-step time; arms are
interleaved and repeated so drift on a shared machine hits all of them. Arms: naive padded
random batches, the project's default batching, and packing. No assertion: the numbers are the
result.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from dataclasses import replace

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from cft_lib.data.builders import DataConfig, build_dataset  # noqa: E402
from cft_lib.data.formats import COT_SYSTEM  # noqa: E402
from cft_lib.data.records import read_training_records  # noqa: E402
from cft_lib.models.tiny import TinyArchitecture, init_tiny_model  # noqa: E402
from cft_lib.models.tokenizer import build_tokenizer, collect_vocabulary  # noqa: E402
from cft_lib.train.config import TrainConfig  # noqa: E402
from cft_lib.train.tokenize import tokenize_records  # noqa: E402
from cft_lib.train.trainer import train  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=512, help="CFT records to train on")
    parser.add_argument("--repeats", type=int, default=2, help="runs per arm (interleaved)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CFT_HOME"] = tmp
        records = read_training_records(build_dataset(DataConfig(variant="cft", size=args.records),
                                                      progress=False).path)
        tokenizer = build_tokenizer(collect_vocabulary(
            [r.user_message for r in records] + [r.output for r in records] + [COT_SYSTEM, "system\nuser\nassistant"]))
        init = os.path.join(tmp, "init")
        init_tiny_model(tokenizer, TinyArchitecture(), seed=0).save_pretrained(init)
        tokenizer.save_pretrained(init)
        examples = tokenize_records(records, tokenizer, COT_SYSTEM, max_seq_len=512).examples
        lengths = [len(e.input_ids) for e in examples]
        print(f"{len(examples)} CFT examples, tokens per example: mean {statistics.mean(lengths):.0f}, "
              f"min {min(lengths)}, max {max(lengths)}")

        project = TrainConfig(num_validations=0)  # the project's default batching
        arms = {
            "naive: padded, random order": replace(project, batching="padded"),
            f"project: {project.batching}, {project.micro_batch_size} per micro-batch": project,
            "packed, 4 rows x 512 tokens": replace(project, batching="packed", micro_batch_size=4, pack_len=512),
        }
        speeds: dict[str, list[float]] = {name: [] for name in arms}
        for repeat in range(args.repeats):
            for name, config in arms.items():
                result = train(init, tokenizer, examples, os.path.join(tmp, f"run{repeat}"), config, progress=False)
                speeds[name].append(result.tokens_per_s)

    medians = {name: statistics.median(values) for name, values in speeds.items()}
    naive = next(iter(medians.values()))
    for name, values in speeds.items():
        runs = ", ".join(f"{v:,.0f}" for v in values)
        ratio = medians[name] / naive
        print(f"{name:<40} {medians[name]:>8,.0f} non-pad tokens/s  ({runs})  ratio vs naive {ratio:.2f}x")


if __name__ == "__main__":
    main()
