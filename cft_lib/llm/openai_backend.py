"""OpenAI-compatible HTTP backend: the OpenAI API, `vllm serve` or `transformers serve`.

The one OpenAI client of cft-lab: evaluation generates through it, and the LLM teacher
(teachers/llm.py) makes its paid calls through `complete`, which also returns token usage.
Chat requests go out with bounded concurrency; the `openai` client retries 429/5xx/dropped
connections with backoff and enforces a per-request timeout. The API key is read from the
environment variable named by `api_key_env` and is never logged or returned by describe().

A raw prompt (llm/base.py RAW_ROLE) goes to /v1/completions as `prompt`, the way the official
harness hands vLLM a plain string. `stop_token_ids` is sent (as an extra body field) only when set:
vLLM's server accepts it, the OpenAI API rejects it, and the OpenAI API also takes at most 4 stop
strings, fewer than the official stop lists (eval/protocol.py) - use those with a vLLM server.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tqdm.auto import tqdm

from cft_lib.errors import BackendError
from cft_lib.llm.base import BackendConfig, GenerationConfig, Message, raw_prompt


@dataclass(frozen=True)
class Completion:
    """One (chat) completion and the tokens the server billed for it (0 where it reports none)."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class OpenAIBackend:
    """Generate through any server that speaks /v1/chat/completions (and /v1/completions for raw prompts)."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        concurrency: int = 8,
        timeout_s: float = 600.0,
        max_retries: int = 5,
        api_key_env: str = "OPENAI_API_KEY",
        progress: bool = True,
    ) -> None:
        from openai import OpenAI

        self.base_url, self.model, self.concurrency = base_url, model, concurrency
        self.timeout_s, self.max_retries, self.progress = timeout_s, max_retries, progress
        # local servers accept any key; the real one never leaves this client
        self._client = OpenAI(
            base_url=base_url,
            api_key=os.environ.get(api_key_env) or "EMPTY",
            timeout=timeout_s,
            max_retries=max_retries,
        )

    @classmethod
    def from_config(cls, config: BackendConfig, model: str, progress: bool = True) -> OpenAIBackend:
        """`make_backend`'s entry: `config.served_model` on the server, else the model path itself."""
        return cls(
            config.base_url,
            config.served_model or model,
            concurrency=config.concurrency,
            timeout_s=config.timeout_s,
            progress=progress,
        )

    def describe(self) -> dict[str, str]:
        return {
            "backend": self.name,
            "base_url": self.base_url,
            "served_model": self.model,
            "concurrency": str(self.concurrency),
            "timeout_s": str(self.timeout_s),
            "max_retries": str(self.max_retries),
        }

    def complete(self, conversation: list[Message], config: GenerationConfig, send_seed: bool = True) -> Completion:
        """One completion of `conversation` with its token usage; BackendError (naming the endpoint)
        once the client's retries are spent.

        `send_seed=False` leaves the seed out of the request: the LLM teacher sends the paper's sampling
        (temperature, top_p, max_tokens) and nothing else, as its requests always have.
        """
        request: dict[str, Any] = {
            "max_tokens": config.max_new_tokens,
            "temperature": config.temperature,
            "top_p": config.top_p,
        }
        if send_seed:
            request["seed"] = config.seed
        if config.stop:
            request["stop"] = list(config.stop)
        if config.stop_token_ids:  # a vLLM extension: never sent unless asked for
            request["extra_body"] = {"stop_token_ids": list(config.stop_token_ids)}
        raw = raw_prompt(conversation)
        try:
            if raw is None:
                chat = self._client.chat.completions.create(model=self.model, messages=conversation, **request)  # type: ignore[arg-type]  # plain role/content dicts
                text, usage = chat.choices[0].message.content or "", chat.usage
            else:
                plain = self._client.completions.create(model=self.model, prompt=raw, **request)
                text, usage = plain.choices[0].text or "", plain.usage
        except Exception as exc:  # the client already retried; say which endpoint failed
            kind = "chat completion" if raw is None else "completion"
            raise BackendError(
                f"{self.base_url}: {kind} failed after {self.max_retries} retries: {type(exc).__name__}: {exc}"
            ) from exc
        return Completion(
            text,
            getattr(usage, "prompt_tokens", 0) or 0,
            getattr(usage, "completion_tokens", 0) or 0,
        )

    def generate(self, conversations: list[list[Message]], config: GenerationConfig) -> list[str]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = [pool.submit(self.complete, c, config) for c in conversations]
            return [f.result().text for f in tqdm(futures, desc="generate", disable=not self.progress)]
