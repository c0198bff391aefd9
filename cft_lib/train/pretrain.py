"""Build the tiny base model: a word-level tokenizer and a Qwen3 LM pre-trained on micro-world text.

Like a real math base model, it has read plenty of arithmetic and worked solutions - some of
them wrong - in the same chat layout evaluation uses. The corpus (version 2 of the world):
- fact-practice documents: lines `a op b = c .` that go over the whole fact table evenly, so
  every fact is seen `fact_exposures` times (a critic can only check a step it can compute;
  the project's research notes measured ~100 exposures per fact for reliable storage);
- worked problems, `solution_noise` of them with one propagated error;
- optionally (`critique_share`) critique documents in the CFT layout, the analogue of the
  discussions of solutions a web-scale base model has read.

Built once and cached by the fingerprint of its recipe under $CFT_HOME/models/; the result
loads with AutoModelForCausalLM/AutoTokenizer.from_pretrained(path).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from cft_lib.data.formats import CFT_OUTPUT, COT_SYSTEM, cft_record
from cft_lib.data.microworld import TABLE, Difficulty, render_fact, render_solution, sample_problem
from cft_lib.data.noise import error_prone_solution, sample_response
from cft_lib.data.records import TrainingRecord
from cft_lib.data.sources import pool_of
from cft_lib.models.tiny import init_tiny_model
from cft_lib.models.tokenizer import build_tokenizer, collect_vocabulary
from cft_lib.paths import build_once, fresh_dir, mark_done
from cft_lib.teachers.oracle import OracleTeacher
from cft_lib.train import checkpoints
from cft_lib.train.recipe import TinyBaseRecipe, tiny_base_dir
from cft_lib.train.tokenize import TokenizedExample, render_prompt, tokenize_documents, tokenize_records
from cft_lib.train.trainer import MetricLogger, train

FACTS_PER_DOCUMENT = 20
# Pre-training steps are 8 short documents through a width-64 model: too little work per matmul
# to share between threads. Measured on 2 cores (benchmarks/train_throughput.py, "threads"): one
# thread ran such a step 1.3-1.7x faster than two. Fine-tuning and generation keep the default.
PRETRAIN_THREADS = 1


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with `count` intra-op threads (at most the default), then restore the default."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(min(count, before))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class Corpus:
    """Pre-training documents as (prompt, completion) chat pairs and plain fact documents."""

    pairs: list[tuple[str, str]]
    fact_documents: list[str]


def pretraining_corpus(recipe: TinyBaseRecipe) -> Corpus:
    """The recipe's documents, from the training pool only (no benchmark question is ever seen)."""
    rng = random.Random(f"pretrain:{recipe.seed}")
    teacher = OracleTeacher(recipe.critique_error_rate, seed=recipe.seed)
    pairs: list[tuple[str, str]] = []
    while len(pairs) < recipe.problems:
        problem = sample_problem(rng, Difficulty(min_steps=1, max_steps=6, max_distractors=2), phrasings=5)
        question = problem.question
        if pool_of(question) != "train":
            continue
        solution, _ = sample_response(problem, rng, recipe.solution_noise)
        response = render_solution(solution)
        if rng.random() < recipe.critique_share:
            if recipe.critique_response_noise:
                response = render_solution(error_prone_solution(problem, rng, recipe.critique_response_noise))
            else:  # responses wrong half the time, as in the CFT data
                response = render_solution(sample_response(problem, rng, 0.5)[0])
            record = cft_record("", question, response, teacher.critique(question, response), {})
            pairs.append((record.user_message, record.output))
        else:
            pairs.append((question, response))
    return Corpus(pairs, fact_documents(recipe.fact_exposures, rng) + copy_documents(recipe.copy_documents, rng))


def fact_documents(exposures: int, rng: random.Random) -> list[str]:
    """Fact-practice documents: `exposures` shuffled passes over the whole table, cut into documents."""
    lines: list[str] = []
    for _ in range(exposures):
        facts = list(TABLE.facts)
        rng.shuffle(facts)
        lines += [render_fact(f) for f in facts]
    return ["\n".join(lines[i : i + FACTS_PER_DOCUMENT]) for i in range(0, len(lines), FACTS_PER_DOCUMENT)]


COPY_MARK = "again :"


def copy_documents(count: int, rng: random.Random) -> list[str]:
    """Copy practice: a few equations whose results are mostly wrong, then the same text again.

    Restating a response with its mistakes means copying what one would not have written: a model
    whose only practice is solving re-solves instead (measured: it wrote the right value at 100
    of 100 restated mistakes). Copying false equations can only be learned by copying.
    """
    out = []
    for _ in range(count):
        equations = []
        for _ in range(rng.randint(3, 6)):
            a, op, b, c = rng.choice(TABLE.facts)
            if rng.random() < 0.7:
                c = rng.choice([v for v in range(TABLE.max_value + 1) if v != c])
            equations.append(f"{a} {op} {b} = {c}")
        text = " , ".join(equations)
        out.append(f"{text} . {COPY_MARK} {text} .")
    return out


def _vocabulary_texts(corpus: Corpus) -> list[str]:
    """Texts whose pieces make the vocabulary: the corpus plus fixed protocol strings."""
    from cft_lib.data.critiques import VERDICTS, answer_line, conclusion_line

    extra = [
        COT_SYSTEM,
        CFT_OUTPUT,
        "system\nuser\nassistant",
        cft_record("", "", "", "", {}).user_message,
        answer_line(None, 1),
        conclusion_line(True),
        conclusion_line(False),
        " ".join(VERDICTS),
    ]
    practice = corpus.fact_documents[:50] + corpus.fact_documents[-50:]  # fact lines, then copy lines
    return [text for pair in corpus.pairs for text in pair] + practice + extra


def _results_only(example: TokenizedExample, tokenizer) -> TokenizedExample:
    """A fact document's loss is on each line's result (the token after ' =') only; a copy
    document's loss is on the whole copy (everything after 'again :')."""
    marks = {tokenizer.convert_tokens_to_ids(" =")}
    again = tokenizer(" " + COPY_MARK, add_special_tokens=False)["input_ids"]
    ids = example.input_ids
    for start in range(len(ids) - len(again) + 1):
        if ids[start : start + len(again)] == again:
            return replace(example, target_mask=tuple(int(i >= start + len(again)) for i in range(len(ids))))
    mask = tuple(int(i > 0 and ids[i - 1] in marks) for i in range(len(ids)))
    return replace(example, target_mask=mask)


def build_tiny_base(
    recipe: TinyBaseRecipe | None = None, log_metrics: MetricLogger | None = None, progress: bool = True
) -> Path:
    """The tiny base model's directory, built now if no finished build of this recipe exists."""
    recipe = recipe or TinyBaseRecipe()
    out = tiny_base_dir(recipe)
    return build_once(
        out,
        f"pre-training the tiny base model {recipe.fingerprint}",
        build=lambda: _pretrain(recipe, out, log_metrics, progress),
        reuse=lambda: out / "model",
    )


def _pretrain(recipe: TinyBaseRecipe, out: Path, log_metrics: MetricLogger | None, progress: bool) -> Path:
    fresh_dir(out, keep=(checkpoints.CHECKPOINTS,))  # an interrupted attempt resumes from its last checkpoint
    started = time.perf_counter()
    corpus = pretraining_corpus(recipe)
    tokenizer = build_tokenizer(collect_vocabulary(_vocabulary_texts(corpus)))
    init_dir = out / "init"
    init_tiny_model(tokenizer, recipe.architecture, recipe.seed).save_pretrained(str(init_dir))
    tokenizer.save_pretrained(str(init_dir))
    tokenized = tokenize_documents(
        [text + tokenizer.eos_token for text in corpus.fact_documents], tokenizer, recipe.train.max_seq_len
    )
    if recipe.loss_on_questions:
        documents = [
            render_prompt(tokenizer, prompt, COT_SYSTEM) + completion + tokenizer.eos_token
            for prompt, completion in corpus.pairs
        ]
        problems = tokenize_documents(documents, tokenizer, recipe.train.max_seq_len)
    else:  # practice lines carry loss on their results only; problems on their solutions (or critiques) only
        tokenized.examples[:] = [_results_only(e, tokenizer) for e in tokenized.examples]
        records = [
            TrainingRecord(f"doc-{i}", prompt, "", completion) for i, (prompt, completion) in enumerate(corpus.pairs)
        ]
        problems = tokenize_records(records, tokenizer, COT_SYSTEM, recipe.train.max_seq_len)
    tokenized.examples.extend(problems.examples)
    tokenized.skipped.update(problems.skipped)
    with torch_threads(PRETRAIN_THREADS):
        result = train(
            init_dir,
            tokenizer,
            tokenized.examples,
            out,
            recipe.train,
            log_metrics=log_metrics,
            progress=progress,
            desc="pre-train",
        )
    mark_done(
        out,
        {
            "recipe": recipe.fingerprint,
            "seconds": time.perf_counter() - started,
            "documents": len(tokenized.examples),
            "skipped": dict(tokenized.skipped),
            "tokens": result.target_tokens,
            "tokens_per_s": result.tokens_per_s,
            "final_loss": result.final_loss,
            "mixed_precision": result.mixed_precision,
        },
    )
    checkpoints.clear(out)  # recorded: the training state is no longer needed
    return result.model_dir
