"""In-process vLLM backend (GPU only, optional extra `gpu`).

vLLM pins its own torch and transformers, so it is not a default dependency; where versions
clash, prefer `vllm serve MODEL` with the openai backend. Not exercised on this project's CPU
machines: no GPU, and vLLM does not install here.
"""

from __future__ import annotations

from cft_lib.errors import ConfigError
from cft_lib.llm.base import BackendConfig, GenerationConfig, Message, raw_prompt


class VLLMBackend:
    """Batched generation with vllm.LLM.chat, or LLM.generate for raw prompts (continuous batching,
    tensor parallel)."""

    name = "vllm"

    def __init__(
        self,
        model: str,
        tensor_parallel_size: int = 1,
        dtype: str = "bfloat16",
        gpu_memory_utilization: float = 0.9,
        progress: bool = True,
    ) -> None:
        try:
            from vllm import LLM
        except ImportError as exc:
            raise ConfigError(
                "the vllm backend needs vLLM on a GPU machine: pip install 'cft-lab[gpu]', "
                "or run `vllm serve MODEL` and use --backend openai"
            ) from exc
        self.model, self.tensor_parallel_size, self.progress = model, tensor_parallel_size, progress
        self._llm = LLM(
            model=model,
            tensor_parallel_size=tensor_parallel_size,
            dtype=dtype,
            gpu_memory_utilization=gpu_memory_utilization,
        )

    @classmethod
    def from_config(cls, config: BackendConfig, model: str, progress: bool = True) -> VLLMBackend:
        """`make_backend`'s entry: `model` across `config.tensor_parallel_size` GPUs."""
        return cls(model, tensor_parallel_size=config.tensor_parallel_size, progress=progress)

    def describe(self) -> dict[str, str]:
        return {"backend": self.name, "tensor_parallel_size": str(self.tensor_parallel_size)}

    def generate(self, conversations: list[list[Message]], config: GenerationConfig) -> list[str]:
        from vllm import SamplingParams

        params = SamplingParams(
            temperature=config.temperature,
            top_p=config.top_p,
            max_tokens=config.max_new_tokens,
            seed=config.seed,
            stop=list(config.stop) or None,
            stop_token_ids=list(config.stop_token_ids) or None,
        )
        raws = [raw_prompt(c) for c in conversations]
        chats = [i for i, raw in enumerate(raws) if raw is None]
        texts = [(i, raw) for i, raw in enumerate(raws) if raw is not None]
        outputs: list[str] = [""] * len(conversations)
        if chats:  # the model's chat template, applied by vLLM
            done = self._llm.chat([conversations[i] for i in chats], params, use_tqdm=self.progress)
            for i, output in zip(chats, done, strict=True):
                outputs[i] = output.outputs[0].text
        if texts:  # raw prompts as the official harness sends them: LLM.generate on the text
            done = self._llm.generate([raw for _, raw in texts], params, use_tqdm=self.progress)
            for (i, _), output in zip(texts, done, strict=True):
                outputs[i] = output.outputs[0].text
        return outputs

    def close(self) -> None:
        """Free the engine's GPU memory, so the next cell (or a training) in this process can have it.

        Best effort, as vLLM documents it: drop the engine, collect, empty the CUDA cache. Not run
        on this project's CPU machines.
        """
        import gc

        llm = getattr(self, "_llm", None)
        if llm is None:
            return
        engine = getattr(llm, "llm_engine", None)
        shutdown = getattr(engine, "shutdown", None)
        if callable(shutdown):
            shutdown()
        self._llm = None
        del llm, engine
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass
