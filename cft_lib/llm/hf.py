"""In-process transformers backend: batched, left-padded generation on CPU or one GPU.

Prompts are sorted by length before batching so a batch pads little, and results are put back
in the caller's order. Greedy when temperature is 0; otherwise seeded sampling.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from cft_lib.llm.base import BackendConfig, GenerationConfig, Message


class HFBackend:
    """Generate with a transformers model held in this process."""

    name = "hf"

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, progress: bool = True) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.progress = progress

    @classmethod
    def from_pretrained(cls, path: str | Path, progress: bool = True) -> HFBackend:
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype)
        if torch.cuda.is_available():
            model = model.to("cuda")  # type: ignore[arg-type]  # transformers' stub of .to is narrower than .to
        return cls(model, tokenizer, progress)

    @classmethod
    def from_config(cls, config: BackendConfig, model: str, progress: bool = True) -> HFBackend:
        """`make_backend`'s entry: the model directory (or hub name) loaded in this process."""
        return cls.from_pretrained(model, progress)

    def describe(self) -> dict[str, str]:
        return {
            "backend": self.name,
            "model": str(getattr(self.model.config, "_name_or_path", "")),
            "device": str(self.model.device),
        }

    def render(self, conversation: list[Message]) -> str:
        return str(self.tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True))

    @torch.no_grad()
    def generate(self, conversations: list[list[Message]], config: GenerationConfig) -> list[str]:
        tokenizer, model = self.tokenizer, self.model
        was_training = model.training
        model.eval()
        prompts = [self.render(c) for c in conversations]
        encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
        order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
        outputs: list[str] = [""] * len(prompts)
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        sampling = config.temperature > 0
        if sampling:
            torch.manual_seed(config.seed)
        batches = [order[i : i + config.batch_size] for i in range(0, len(order), config.batch_size)]
        for batch in tqdm(batches, desc="generate", disable=not self.progress or len(batches) < 2):
            width = max(len(encoded[i]) for i in batch)
            ids = torch.tensor([[pad_id] * (width - len(encoded[i])) + encoded[i] for i in batch])
            mask = torch.tensor([[0] * (width - len(encoded[i])) + [1] * len(encoded[i]) for i in batch])
            generated = model.generate(  # type: ignore[operator]  # a method, typed as a Tensor by torch stubs
                input_ids=ids.to(model.device),
                attention_mask=mask.to(model.device),
                max_new_tokens=config.max_new_tokens,
                do_sample=sampling,
                temperature=config.temperature if sampling else None,
                top_p=config.top_p if sampling else None,
                top_k=None,
                pad_token_id=pad_id,
                eos_token_id=tokenizer.eos_token_id,
                stop_strings=list(config.stop) or None,
                tokenizer=tokenizer if config.stop else None,
            )
            for row, index in enumerate(batch):
                outputs[index] = tokenizer.decode(generated[row, width:], skip_special_tokens=True)
        model.train(was_training)
        return outputs
