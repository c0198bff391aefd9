"""Generation throughput of the in-process backend: one prompt at a time vs batched.

    python benchmarks/eval_throughput.py [--model PATH] [--prompts 64] [--batch-size 64]

Without --model, a small tiny base model is built in a temporary CFT_HOME (about 20 s); speed
depends on the architecture, not on how well the model solves. Both arms generate greedily for
the same micro-world validation prompts with the same token budget; generated tokens are counted
from the decoded outputs. Prints both figures and their ratio; no assertion.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from cft_lib.eval.benchmarks import benchmarks  # noqa: E402
from cft_lib.eval.prompts import prompt_templates  # noqa: E402
from cft_lib.llm.base import GenerationConfig  # noqa: E402
from cft_lib.llm.hf import HFBackend  # noqa: E402


def measure(backend: HFBackend, conversations: list, config: GenerationConfig) -> tuple[float, int]:
    started = time.perf_counter()
    outputs = backend.generate(conversations, config)
    elapsed = time.perf_counter() - started
    tokens = sum(len(backend.tokenizer(o, add_special_tokens=False)["input_ids"]) + 1 for o in outputs)
    return tokens / elapsed, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model directory (default: build a small tiny base model)")
    parser.add_argument("--prompts", type=int, default=64, help="validation prompts to generate for")
    parser.add_argument("--batch-size", type=int, default=64, help="prompts per batch in the batched arm")
    parser.add_argument("--max-new-tokens", type=int, default=96, help="generation budget per prompt")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            os.environ["CFT_HOME"] = tmp
            from cft_lib.train.pretrain import TinyBaseRecipe, build_tiny_base

            recipe = TinyBaseRecipe(problems=600, fact_exposures=10, copy_documents=60)
            model = str(build_tiny_base(recipe, progress=False))
        backend = HFBackend.from_pretrained(model, progress=False)
        template = prompt_templates.get("qwen25-math-cot")
        conversations = [template.messages(i.question) for i in benchmarks.get("micro-val").load(args.prompts)]
        single = GenerationConfig(max_new_tokens=args.max_new_tokens, batch_size=1)
        batched = GenerationConfig(max_new_tokens=args.max_new_tokens, batch_size=args.batch_size)
        measure(backend, conversations[:4], batched)  # warm-up
        one_tps, one_tokens = measure(backend, conversations, single)
        many_tps, many_tokens = measure(backend, conversations, batched)
    print(f"{args.prompts} prompts, greedy, up to {args.max_new_tokens} new tokens each")
    print(f"one prompt at a time : {one_tps:8,.0f} generated tokens/s  ({one_tokens} tokens)")
    print(f"batched ({args.batch_size:>3} a batch) : {many_tps:8,.0f} generated tokens/s  ({many_tokens} tokens)")
    print(f"ratio (batched / one at a time): {many_tps / one_tps:.1f}x")


if __name__ == "__main__":
    main()
