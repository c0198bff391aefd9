"""Training throughput, side by side in one run: batching modes, threads, and fp32 against bf16.

    python benchmarks/train_throughput.py [--records 512] [--repeats 2] [--precision-examples 64]

Every arm trains the same freshly initialised tiny model on the same micro-world CFT records with
the same global batch, and reports non-pad tokens per second of optimizer-step time; arms are
interleaved and repeated so drift on a shared machine hits all of them.
- batching (fp32): naive padded random batches, the project's default batching, packing;
- threads: the tiny base model's pre-training step shape (8 short documents) at one thread and at
  the default count (train/pretrain.py pre-trains with PRETRAIN_THREADS);
- precision: fp32 ("no") against bf16 autocast, on the first --precision-examples records only,
  because without native bf16 (an AVX2 CPU) a bf16 step is ~40-60x slower. `auto`, the tiny
  profile's default, resolves to the value printed at the end (train/precision.py).
No assertion: the numbers are the result.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from dataclasses import replace

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from cft_lib.data.builders import DataConfig, build_dataset  # noqa: E402
from cft_lib.data.formats import COT_SYSTEM  # noqa: E402
from cft_lib.data.records import read_training_records  # noqa: E402
from cft_lib.models.tiny import TinyArchitecture, init_tiny_model  # noqa: E402
from cft_lib.models.tokenizer import build_tokenizer, collect_vocabulary  # noqa: E402
from cft_lib.train.config import TrainConfig  # noqa: E402
from cft_lib.train.precision import native_cpu_bf16, resolve_precision  # noqa: E402
from cft_lib.train.tokenize import tokenize_records  # noqa: E402
from cft_lib.train.trainer import train  # noqa: E402


def _arms(
    tmp: str,
    init: str,
    tokenizer,
    examples,
    arms: dict[str, TrainConfig],
    repeats: int,
    threads: dict[str, int] | None = None,
) -> dict[str, float]:
    speeds: dict[str, list[float]] = {name: [] for name in arms}
    default_threads = torch.get_num_threads()
    for repeat in range(repeats):
        for index, (name, config) in enumerate(arms.items()):
            out = os.path.join(tmp, f"run{len(os.listdir(tmp))}-{repeat}-{index}")
            torch.set_num_threads((threads or {}).get(name, default_threads))
            try:
                speeds[name].append(train(init, tokenizer, examples, out, config, progress=False).tokens_per_s)
            finally:
                torch.set_num_threads(default_threads)
    medians = {name: statistics.median(values) for name, values in speeds.items()}
    first = next(iter(medians.values()))
    for name, values in speeds.items():
        runs = ", ".join(f"{v:,.0f}" for v in values)
        print(f"  {name:<44} {medians[name]:>8,.0f} non-pad tokens/s  ({runs})  ratio {medians[name] / first:.2f}x")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=512, help="CFT records to train on")
    parser.add_argument("--repeats", type=int, default=2, help="runs per arm (interleaved)")
    parser.add_argument(
        "--precision-examples",
        type=int,
        default=64,
        help="records for the fp32-vs-bf16 arms (bf16 is very slow without native support)",
    )
    args = parser.parse_args()

    default_threads = torch.get_num_threads()
    print(
        f"CPU capability {torch.backends.cpu.get_cpu_capability()}, native bf16: {native_cpu_bf16()}, "
        f"threads {torch.get_num_threads()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CFT_HOME"] = tmp
        records = read_training_records(
            build_dataset(DataConfig(variant="cft", size=args.records), progress=False).path
        )
        tokenizer = build_tokenizer(
            collect_vocabulary(
                [r.user_message for r in records]
                + [r.output for r in records]
                + [COT_SYSTEM, "system\nuser\nassistant"]
            )
        )
        init = os.path.join(tmp, "init")
        init_tiny_model(tokenizer, TinyArchitecture(), seed=0).save_pretrained(init)
        tokenizer.save_pretrained(init)
        examples = tokenize_records(records, tokenizer, COT_SYSTEM, max_seq_len=1024).examples
        lengths = [len(e.input_ids) for e in examples]
        print(
            f"{len(examples)} CFT examples, tokens per example: mean {statistics.mean(lengths):.0f}, "
            f"min {min(lengths)}, max {max(lengths)}; model {TinyArchitecture()}"
        )

        project = TrainConfig(num_validations=0, mixed_precision="no")  # the project's default batching, fp32
        print("batching (fp32):")
        _arms(
            tmp,
            init,
            tokenizer,
            examples,
            {
                "naive: padded, random order": replace(project, batching="padded"),
                f"project: {project.batching}, {project.micro_batch_size} per micro-batch": project,
                "packed, 4 rows x 1024 tokens": replace(project, batching="packed", micro_batch_size=4, pack_len=1024),
            },
            args.repeats,
        )
        print(f"precision ({project.batching} batching, first {args.precision_examples} records):")
        speeds = _arms(
            tmp,
            init,
            tokenizer,
            examples[: args.precision_examples],
            {
                "fp32 (mixed_precision: no)": project,
                "bf16 autocast (mixed_precision: bf16)": replace(project, mixed_precision="bf16"),
            },
            args.repeats,
        )
        sft = read_training_records(build_dataset(DataConfig(variant="sft", size=args.records), progress=False).path)
        short = tokenize_records(sft, tokenizer, COT_SYSTEM, max_seq_len=1024).examples
        pretrain = replace(project, global_batch_size=8, micro_batch_size=8)
        print(
            f"threads (pre-training shape: 8 short documents a step, mean "
            f"{statistics.mean(len(e.input_ids) for e in short):.0f} tokens; fp32):"
        )
        _arms(
            tmp,
            init,
            tokenizer,
            short,
            {f"{n} thread(s)": pretrain for n in (1, default_threads)},
            args.repeats,
            threads={f"{n} thread(s)": n for n in (1, default_threads)},
        )
    fp32, bf16 = speeds.values()
    print(
        f"fp32 / bf16 = {fp32 / bf16:.1f}x;  mixed_precision: auto resolves to {resolve_precision('auto')!r} "
        "on this machine ('no' = fp32)"
    )


if __name__ == "__main__":
    main()
