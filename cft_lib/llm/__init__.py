"""One generation interface with backends: hf (in-process), later vllm and openai-compatible HTTP."""

from cft_lib.llm import hf  # noqa: F401  (registers "hf")
from cft_lib.llm.base import GenerationBackend, GenerationConfig, backends  # noqa: F401
