"""An LLM teacher over any OpenAI-compatible endpoint, with the paper's prompts and sampling.

critique: system "You are a science expert. ..." and user "\\nQuestion: {q}\\n\\nSolution: {a}\\n"
(gpt-4o-2024-11-20, temperature 0.3, top_p 0.95, max_tokens 3200), verdict from "Conclusion:
right/wrong". judge: the verdict of that same critique (one call serves both). solve: the
qwen25-math-cot system prompt and the question.

Every call goes through a persistent cache (teachers/cache.py) before the network, so a rerun or
a crash never pays twice; `prefetch` runs the calls a build needs with bounded concurrency. The
network side is the project's one OpenAI client (llm/openai_backend.py), with the teacher's own
timeout and retries. The API key is read from the environment variable named by `api_key_env`
and stored nowhere.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm.auto import tqdm

from cft_lib.data.formats import COT_SYSTEM, TEACHER_SYSTEM, TEACHER_USER, parse_verdict
from cft_lib.llm.base import GenerationConfig
from cft_lib.llm.openai_backend import OpenAIBackend
from cft_lib.teachers.cache import CallCache, request_key


class LLMTeacher:
    """Critique, judge and solve through an OpenAI-compatible endpoint, every call cached."""

    def __init__(
        self,
        name: str,
        model: str,
        base_url: str,
        cache_path: str | Path,
        temperature: float = 0.3,
        top_p: float = 0.95,
        max_tokens: int = 3200,
        concurrency: int = 8,
        timeout_s: float = 120.0,
        max_retries: int = 8,
        api_key_env: str = "OPENAI_API_KEY",
        progress: bool = True,
    ) -> None:
        self.name, self.model, self.base_url = name, model, base_url
        # the cache key's sampling: its keys and values must not change, or every cached call is paid again
        self.sampling = {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens}
        self._generation = GenerationConfig(max_new_tokens=max_tokens, temperature=temperature, top_p=top_p)
        self.concurrency, self.progress = concurrency, progress
        self.cache = CallCache(cache_path)
        self.network_calls = 0
        self.prompt_tokens = 0  # paid in this process (cache hits cost nothing)
        self.completion_tokens = 0
        self._usage_lock = threading.Lock()
        self.backend = OpenAIBackend(
            base_url,
            model,
            concurrency=concurrency,
            timeout_s=timeout_s,
            max_retries=max_retries,
            api_key_env=api_key_env,
            progress=progress,
        )

    # -- the three jobs ---------------------------------------------------------------------
    def critique(self, question: str, response: str) -> str:
        return self._call(self._critique_messages(question, response))

    def judge(self, question: str, response: str) -> bool:
        return bool(parse_verdict(self.critique(question, response)))

    def solve(self, question: str) -> str:
        return self._call(self._solve_messages(question))

    # -- batching through the cache -----------------------------------------------------------
    def prefetch(self, job: str, pairs: list[tuple[str, str]]) -> None:
        """Make the calls `job` (critique/judge/solve) will need for these (question, response) pairs."""
        conversations = [self._solve_messages(q) if job == "solve" else self._critique_messages(q, r) for q, r in pairs]
        todo = [c for c in conversations if self.cache.get(self._key(c)) is None]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for _ in tqdm(
                pool.map(self._call, todo), total=len(todo), desc=f"{self.name} {job}", disable=not self.progress
            ):
                pass

    @staticmethod
    def _critique_messages(question: str, response: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": TEACHER_SYSTEM},
            {"role": "user", "content": TEACHER_USER.format(question=question, answer=response)},
        ]

    @staticmethod
    def _solve_messages(question: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": COT_SYSTEM}, {"role": "user", "content": question}]

    def _key(self, messages: list[dict[str, str]]) -> str:
        return request_key(self.model, messages, self.sampling)

    def _call(self, messages: list[dict[str, str]]) -> str:
        key = self._key(messages)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        # BackendError naming the endpoint once the client's retries (429/5xx/timeouts) are spent
        done = self.backend.complete(messages, self._generation, send_seed=False)
        self.cache.put(key, done.text, done.prompt_tokens, done.completion_tokens)
        with self._usage_lock:
            self.network_calls += 1
            self.prompt_tokens += done.prompt_tokens
            self.completion_tokens += done.completion_tokens
        return done.text

    def usage(self) -> dict[str, float]:
        """Calls and tokens paid by this process, and their estimated cost from ablations/prices/teachers.yaml."""
        out: dict[str, float] = {
            "network_calls": self.network_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }
        price = load_prices().get(self.model)
        if price:
            out["cost_usd"] = (self.prompt_tokens * price["input"] + self.completion_tokens * price["output"]) / 1e6
        return out


def load_prices() -> dict[str, dict[str, float]]:
    """The editable price table (USD per 1M tokens), if present."""
    import yaml

    from cft_lib.paths import ablations_dir

    path = ablations_dir() / "prices" / "teachers.yaml"
    return yaml.safe_load(path.read_text()) if path.exists() else {}
