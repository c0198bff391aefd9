"""Teacher request throughput at concurrency 1 and 32, against a local endpoint with set latency.

    python benchmarks/teacher_throughput.py [--latency 0.2] [--requests 64]

The endpoint is tests/support/openai_stub.py on 127.0.0.1 (answers after `latency` seconds, like a
remote API). Each arm critiques the same micro-world responses through a fresh cache, so every
request goes over the network. Prints requests/s of both and their ratio; no assertion.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root: the stub lives in tests/support

from cft_lib.data.sources import micro_sources  # noqa: E402
from cft_lib.teachers.llm import LLMTeacher  # noqa: E402
from tests.support.openai_stub import StubEndpoint  # noqa: E402


def measure(base_url: str, pairs: list[tuple[str, str]], concurrency: int, cache: Path) -> float:
    teacher = LLMTeacher("stub", "stub", base_url, cache, concurrency=concurrency, progress=False)
    started = time.perf_counter()
    teacher.prefetch("critique", pairs)
    elapsed = time.perf_counter() - started
    assert teacher.network_calls == len(pairs)
    return len(pairs) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the endpoint takes per answer")
    parser.add_argument("--requests", type=int, default=256, help="requests in the concurrency-32 arm")
    args = parser.parse_args()
    examples = [e for _, e in micro_sources.get("micro-web").sample(args.requests, seed=0)]
    pairs = [(e.question, e.response) for e in examples]
    with StubEndpoint(latency_s=args.latency) as endpoint, tempfile.TemporaryDirectory() as tmp:
        serial = measure(endpoint.base_url, pairs[:16], 1, Path(tmp) / "serial.sqlite")
        parallel = measure(endpoint.base_url, pairs, 32, Path(tmp) / "parallel.sqlite")
    print(f"endpoint latency {args.latency * 1000:.0f} ms per request")
    print(f"concurrency  1: {serial:6.1f} requests/s  (16 requests)")
    print(f"concurrency 32: {parallel:6.1f} requests/s  ({len(pairs)} requests)")
    print(f"ratio: {parallel / serial:.1f}x")


if __name__ == "__main__":
    main()
