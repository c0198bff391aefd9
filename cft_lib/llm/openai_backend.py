"""OpenAI-compatible HTTP backend: the OpenAI API, `vllm serve` or `transformers serve`.

Chat requests go out with bounded concurrency; the `openai` client retries 429/5xx/dropped
connections with backoff and enforces a per-request timeout. The API key is read from the
environment variable named by `api_key_env` and is never logged or returned by describe().
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from tqdm.auto import tqdm

from cft_lib.errors import BackendError
from cft_lib.llm.base import GenerationConfig, Message, backends


@backends.register("openai")
class OpenAIBackend:
    """Generate through any server that speaks /v1/chat/completions."""

    name = "openai"

    def __init__(self, base_url: str, model: str, concurrency: int = 8, timeout_s: float = 600.0,
                 max_retries: int = 5, api_key_env: str = "OPENAI_API_KEY", progress: bool = True) -> None:
        from openai import OpenAI

        self.base_url, self.model, self.concurrency = base_url, model, concurrency
        self.timeout_s, self.max_retries, self.progress = timeout_s, max_retries, progress
        # local servers accept any key; the real one never leaves this client
        self._client = OpenAI(base_url=base_url, api_key=os.environ.get(api_key_env) or "EMPTY",
                              timeout=timeout_s, max_retries=max_retries)

    def describe(self) -> dict[str, str]:
        return {"backend": self.name, "base_url": self.base_url, "served_model": self.model,
                "concurrency": str(self.concurrency), "timeout_s": str(self.timeout_s),
                "max_retries": str(self.max_retries)}

    def _one(self, conversation: list[Message], config: GenerationConfig) -> str:
        try:
            response = self._client.chat.completions.create(
                model=self.model, messages=conversation, max_tokens=config.max_new_tokens,
                temperature=config.temperature, top_p=config.top_p, seed=config.seed,
                stop=list(config.stop) or None,
            )
        except Exception as exc:  # the client already retried; say which endpoint failed
            raise BackendError(f"{self.base_url}: chat completion failed after {self.max_retries} retries: "
                               f"{type(exc).__name__}: {exc}") from exc
        return response.choices[0].message.content or ""

    def generate(self, conversations: list[list[Message]], config: GenerationConfig) -> list[str]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = [pool.submit(self._one, c, config) for c in conversations]
            return [f.result() for f in tqdm(futures, desc="generate", disable=not self.progress)]
