"""Training throughput: naive padded random batches vs the project's batching, side by side.

    python benchmarks/train_throughput.py [--records 512] [--repeats 2]

Both arms train the same freshly initialised tiny model on the same micro-world CFT records with
the same global batch, and report non-pad tokens per second of optimizer-step time; arms are
interleaved and repeated so drift on a shared machine hits both. Prints both figures and the
ratio. No assertion: the number is the result.
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

        project = TrainConfig(num_validations=0)
        naive = replace(project, batching="padded")
        arms = {f"padded (random order, {naive.micro_batch_size} examples per micro-batch)": naive,
                f"{project.batching} ({project.micro_batch_size} rows x {project.pack_len} tokens)": project}
        speeds: dict[str, list[float]] = {name: [] for name in arms}
        for repeat in range(args.repeats):
            for name, config in arms.items():
                result = train(init, tokenizer, examples, os.path.join(tmp, f"run{repeat}"), config, progress=False)
                speeds[name].append(result.tokens_per_s)

    (naive_name, naive_speeds), (project_name, project_speeds) = speeds.items()
    naive_tps, project_tps = statistics.median(naive_speeds), statistics.median(project_speeds)
    print(f"{naive_name}: {naive_tps:,.0f} non-pad tokens/s  (runs: {', '.join(f'{s:,.0f}' for s in naive_speeds)})")
    print(f"{project_name}: {project_tps:,.0f} non-pad tokens/s  "
          f"(runs: {', '.join(f'{s:,.0f}' for s in project_speeds)})")
    print(f"ratio (project / naive): {project_tps / naive_tps:.2f}x")


if __name__ == "__main__":
    main()
