"""The tiny base model's pre-training corpus: an even pass over the fact table, the critique share as
asked, no benchmark question; and both arms of the critique-in-pre-training switch build a model."""

from collections import Counter
from dataclasses import replace

import pytest
from transformers import AutoModelForCausalLM

from cft_lib.data.microworld import TABLE, render_fact
from cft_lib.data.sources import load_micro_split
from cft_lib.train.pretrain import TinyBaseRecipe, build_tiny_base, pretraining_corpus


def _is_critique(pair: tuple[str, str]) -> bool:
    return pair[1].startswith("Critique:\n")


def test_every_fact_is_practised_equally_often():
    corpus = pretraining_corpus(TinyBaseRecipe(problems=50, fact_exposures=7))
    lines = Counter(line for doc in corpus.fact_documents for line in doc.splitlines())
    assert set(lines) == {render_fact(f) for f in TABLE.facts}
    assert set(lines.values()) == {7}


def test_critique_share_is_a_switch_and_benchmarks_stay_unseen():
    without = pretraining_corpus(TinyBaseRecipe(problems=1000, fact_exposures=0, critique_share=0.0))
    with_ = pretraining_corpus(TinyBaseRecipe(problems=1000, fact_exposures=0, critique_share=0.2))
    assert not any(_is_critique(p) for p in without.pairs)
    share = sum(_is_critique(p) for p in with_.pairs) / len(with_.pairs)
    assert 0.15 < share < 0.25
    held_out = {
        item.question
        for name in ("micro-easy", "micro-medium", "micro-hard", "micro-val")
        for item in load_micro_split(name)
    }
    questions = {p[0] for p in without.pairs}
    questions |= {p[0].split("Question:\n", 1)[1].split("\n\nSolution:", 1)[0] for p in with_.pairs if _is_critique(p)}
    assert len(questions) > 1000 and not questions & held_out


@pytest.mark.slow  # pre-trains two models
def test_both_arms_build_a_loadable_model(session_home, small_recipe):
    for share in (0.0, 0.3):
        path = build_tiny_base(replace(small_recipe, problems=200, critique_share=share), progress=False)
        model = AutoModelForCausalLM.from_pretrained(path)
        assert model.config.num_hidden_layers == small_recipe.architecture.num_hidden_layers
