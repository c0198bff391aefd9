"""The tiny base model and its tokenizer load back through the Auto classes, losslessly."""

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from cft_lib.data.sources import micro_sources
from cft_lib.models.tiny import TinyArchitecture, init_tiny_model
from cft_lib.models.tokenizer import build_tokenizer, collect_vocabulary
from cft_lib.teachers.oracle import OracleTeacher

EXAMPLES = [e for _, e in micro_sources.get("micro-web").sample(200, seed=0)]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    teacher = OracleTeacher(0.3)
    texts = [t for e in EXAMPLES for t in (e.question, e.response, teacher.critique(e.question, e.response))]
    tokenizer = build_tokenizer(collect_vocabulary(texts + ["system\nuser\nassistant"]))
    path = tmp_path_factory.mktemp("tiny")
    init_tiny_model(
        tokenizer, TinyArchitecture(hidden_size=64, intermediate_size=128, num_hidden_layers=1), 0
    ).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_auto_tokenizer_round_trips_text_exactly(saved):
    tokenizer = AutoTokenizer.from_pretrained(saved)
    for example in EXAMPLES[:50]:
        for text in (example.question, example.response):
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            assert tokenizer.unk_token_id not in ids
            assert tokenizer.decode(ids) == text
    assert tokenizer.tokenize("Mia has 12 shells.") == ["Mia", " has", " 12", " shells", "."]


def test_chat_template_matches_qwen_layout(saved):
    tokenizer = AutoTokenizer.from_pretrained(saved)
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Mia has 3 pens."}], tokenize=False, add_generation_prompt=True
    )
    assert text == "<|im_start|>user\nMia has 3 pens.<|im_end|>\n<|im_start|>assistant\n"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.unk_token_id not in ids


def test_auto_model_loads_and_generates(saved):
    tokenizer = AutoTokenizer.from_pretrained(saved)
    model = AutoModelForCausalLM.from_pretrained(saved)
    ids = tokenizer("Mia has 3 pens.", return_tensors="pt")["input_ids"]
    out = model.generate(ids, max_new_tokens=3, do_sample=False)
    assert out.shape[1] == ids.shape[1] + 3 or int(out[0, -1]) == tokenizer.eos_token_id
    assert model.config.eos_token_id == tokenizer.eos_token_id
    assert sum(p.numel() for p in model.parameters()) > 0 and torch.isfinite(model.lm_head.weight).all()
