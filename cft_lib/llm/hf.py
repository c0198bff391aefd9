"""In-process transformers backend: batched, left-padded generation on CPU or one GPU.

Prompts are sorted by length before batching so a batch pads little, and results are put back
in the caller's order. Greedy when temperature is 0; otherwise seeded sampling. A raw prompt
(llm/base.py RAW_ROLE) is tokenised as is, with the tokenizer's BOS as vLLM's `LLM.generate` adds
it; a chat goes through the model's chat template. Stop strings end a completion and are cut from
it, stop token ids end it and stay in it unless special, both as vLLM does.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
)

from cft_lib.llm.base import BackendConfig, GenerationConfig, Message, raw_prompt


def cut_at_stop(text: str, stop: tuple[str, ...]) -> str:
    """`text` up to the first stop string: what vLLM and OpenAI servers return, so outputs agree."""
    cuts = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    return text[: min(cuts)] if cuts else text


class StopOnStrings(StoppingCriteria):
    """Ends a row once the text of its last few tokens holds a stop string.

    Matched on decoded text without special tokens, as vLLM matches stop strings, and for any
    tokenizer: transformers' own `stop_strings` needs a vocabulary that can spell "abcdef", which the
    tiny word-level tokenizer cannot.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, stop: tuple[str, ...], prompt_width: int) -> None:
        self.tokenizer, self.stop, self.start = tokenizer, tuple(s for s in stop if s), prompt_width
        self.window = max((len(s) for s in self.stop), default=0) + 8  # tokens: each spells at least one character

    def __call__(self, input_ids: torch.LongTensor, scores: object, **kwargs: object) -> torch.BoolTensor:
        tails = input_ids[:, max(self.start, input_ids.shape[1] - self.window) :]
        texts = self.tokenizer.batch_decode(tails, skip_special_tokens=True)
        done = [any(s in text for s in self.stop) for text in texts]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]


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
        """The prompt text: a raw prompt as it is, a chat through the model's chat template."""
        raw = raw_prompt(conversation)
        if raw is not None:
            return raw
        return str(self.tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True))

    @torch.no_grad()
    def generate(self, conversations: list[list[Message]], config: GenerationConfig) -> list[str]:
        tokenizer, model = self.tokenizer, self.model
        was_training = model.training
        model.eval()
        prompts = [self.render(c) for c in conversations]
        # a chat template writes its own BOS; a raw prompt gets the tokenizer's, as in the official run
        raw = [raw_prompt(c) is not None for c in conversations]
        encoded = [tokenizer(p, add_special_tokens=r)["input_ids"] for p, r in zip(prompts, raw, strict=True)]
        order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
        outputs: list[str] = [""] * len(prompts)
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        sampling = config.temperature > 0
        eos: int | list[int] = tokenizer.eos_token_id
        if config.stop_token_ids:
            eos = list(dict.fromkeys(i for i in (tokenizer.eos_token_id, *config.stop_token_ids) if i is not None))
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
                eos_token_id=eos,
                stopping_criteria=StoppingCriteriaList([StopOnStrings(tokenizer, config.stop, width)])
                if config.stop
                else None,
            )
            for row, index in enumerate(batch):
                text = str(tokenizer.decode(generated[row, width:], skip_special_tokens=True))
                outputs[index] = cut_at_stop(text, config.stop)
        model.train(was_training)
        return outputs
