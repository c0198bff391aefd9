"""Build the tiny base model: a word-level tokenizer and a Qwen2 LM pre-trained on micro-world text.

Like a real math base model, it has read worked solutions - some of them wrong - *and*
discussions of solutions (critique documents), in the same chat layout evaluation uses. A
model that has only ever seen one format forgets how to solve once fine-tuned on critiques
alone (shared/notes/micro-world-trial.md); real base models have seen both kinds of text.

Built once and cached by the fingerprint of its recipe under $CFT_HOME/models/; the result
loads with AutoModelForCausalLM/AutoTokenizer.from_pretrained(path).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from cft_lib.data.formats import CFT_OUTPUT, COT_SYSTEM, cft_record
from cft_lib.data.microworld import Difficulty, correct_solution, render_solution, sample_problem
from cft_lib.data.noise import sample_response
from cft_lib.data.sources import pool_of
from cft_lib.fingerprint import fingerprint
from cft_lib.models.tiny import TinyArchitecture, init_tiny_model
from cft_lib.models.tokenizer import build_tokenizer, collect_vocabulary
from cft_lib.paths import artifact_dir, fresh_dir, is_done, mark_done
from cft_lib.teachers.oracle import OracleTeacher
from cft_lib.train import checkpoints
from cft_lib.train.config import TrainConfig
from cft_lib.train.tokenize import render_prompt, tokenize_documents
from cft_lib.train.trainer import MetricLogger, train


@dataclass(frozen=True)
class TinyBaseRecipe:
    """Everything that decides the tiny base model; its fingerprint names the cache entry."""

    documents: int = 9000  # pre-training documents (~100-250 tokens each)
    critique_share: float = 0.25  # share of documents that discuss a solution (CFT layout)
    solution_noise: float = 0.3  # share of worked solutions with one propagated error
    critique_error_rate: float = 0.1  # the "web" discussions are not always right either
    seed: int = 0
    architecture: TinyArchitecture = field(default_factory=TinyArchitecture)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        learning_rate=2e-3, warmup_ratio=0.05, global_batch_size=16, micro_batch_size=8,
        max_seq_len=512, pack_len=512, batching="packed", num_validations=0,
    ))

    @property
    def fingerprint(self) -> str:
        return fingerprint("tiny-base", self)


def pretraining_corpus(recipe: TinyBaseRecipe) -> list[tuple[str, str]]:
    """(prompt, completion) pairs: worked solutions and critique documents from the training pool."""
    rng = random.Random(f"pretrain:{recipe.seed}")
    teacher = OracleTeacher(recipe.critique_error_rate, seed=recipe.seed)
    pairs: list[tuple[str, str]] = []
    while len(pairs) < recipe.documents:
        problem = sample_problem(rng, Difficulty(), phrasings=5)
        question = problem.question
        if pool_of(question) != "train":
            continue
        solution, _ = sample_response(problem, rng, recipe.solution_noise)
        response = render_solution(solution)
        if rng.random() < recipe.critique_share:
            record = cft_record("", question, response, teacher.critique(question, response), {})
            pairs.append((record.user_message, record.output))
        else:
            pairs.append((question, response))
    return pairs


def _vocabulary_texts(pairs: list[tuple[str, str]]) -> list[str]:
    """Texts whose pieces make the vocabulary: the corpus plus fixed protocol strings."""
    extra = [COT_SYSTEM, CFT_OUTPUT, "system\nuser\nassistant", render_solution(correct_solution(
        sample_problem(random.Random(0), Difficulty())))]
    return [text for pair in pairs for text in pair] + extra


def build_tiny_base(recipe: TinyBaseRecipe | None = None, log_metrics: MetricLogger | None = None,
                    progress: bool = True) -> Path:
    """The tiny base model's directory, built now if no finished build of this recipe exists."""
    recipe = recipe or TinyBaseRecipe()
    out = artifact_dir("models", f"tiny-base-{recipe.fingerprint}")
    if is_done(out):
        return out / "model"
    fresh_dir(out, keep=(checkpoints.CHECKPOINTS,))  # an interrupted attempt resumes from its last checkpoint
    started = time.perf_counter()
    pairs = pretraining_corpus(recipe)
    tokenizer = build_tokenizer(collect_vocabulary(_vocabulary_texts(pairs)))
    init_dir = out / "init"
    init_tiny_model(tokenizer, recipe.architecture, recipe.seed).save_pretrained(str(init_dir))
    tokenizer.save_pretrained(str(init_dir))
    documents = [render_prompt(tokenizer, prompt, COT_SYSTEM) + completion + tokenizer.eos_token
                 for prompt, completion in pairs]
    tokenized = tokenize_documents(documents, tokenizer, recipe.train.max_seq_len)
    result = train(init_dir, tokenizer, tokenized.examples, out, recipe.train,
                   log_metrics=log_metrics, progress=progress)
    mark_done(out, {"recipe": recipe.fingerprint, "seconds": time.perf_counter() - started,
                    "documents": len(tokenized.examples), "skipped": dict(tokenized.skipped),
                    "tokens": result.target_tokens, "tokens_per_s": result.tokens_per_s,
                    "final_loss": result.final_loss})
    checkpoints.clear(out)  # recorded: the training state is no longer needed
    return result.model_dir
