"""TeacherConfig: which teacher to build, by registered kind; its identity enters data fingerprints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cft_lib.paths import cft_home
from cft_lib.teachers.base import Teacher, teachers


@dataclass(frozen=True)
class TeacherConfig:
    kind: str = "oracle"  # registered teacher kind: oracle (micro-world) | llm (OpenAI-compatible endpoint)
    name: str = "oracle"  # the paper's name for it (gpt-4o-2024-11-20, gpt-4o-mini, ...)
    error_rate: float = 0.1  # oracle only: share of critiques that are wrong (the paper: ~20% for GPT-4o)
    seed: int = 0
    model: str = ""  # llm: the endpoint's model name
    base_url: str = ""  # llm: e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1
    temperature: float = 0.3  # llm sampling: the paper's critique settings
    top_p: float = 0.95
    max_tokens: int = 3200
    concurrency: int = 8  # llm: requests in flight
    timeout_s: float = 120.0  # llm: per request; a slower answer is retried
    max_retries: int = 8  # llm: retries with backoff on 429, 5xx, dropped connections and timeouts

    def identity(self) -> dict[str, Any]:
        """What decides the teacher's answers (not where it is served or how fast): for fingerprints."""
        if self.kind == "oracle":
            return {"kind": self.kind, "error_rate": self.error_rate, "seed": self.seed}
        return {
            "kind": self.kind,
            "model": self.model,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
        }

    def build(self, progress: bool = True) -> Teacher:
        cls = teachers.get(self.kind)
        if self.kind == "llm":
            return cls(
                name=self.name,
                model=self.model or self.name,
                base_url=self.base_url,
                cache_path=cft_home() / "teacher-cache.sqlite",
                temperature=self.temperature,
                top_p=self.top_p,
                max_tokens=self.max_tokens,
                concurrency=self.concurrency,
                timeout_s=self.timeout_s,
                max_retries=self.max_retries,
                progress=progress,
            )
        return cls(error_rate=self.error_rate, seed=self.seed, name=self.name)
