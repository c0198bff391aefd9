"""One generation interface with backends: hf (in-process), later vllm and openai-compatible HTTP."""

from cft_lib.llm import hf, openai_backend, vllm_backend  # noqa: F401  (register "hf", "openai", "vllm")
from cft_lib.llm.base import GenerationBackend, GenerationConfig, backends  # noqa: F401
