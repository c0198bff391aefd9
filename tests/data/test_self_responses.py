"""Response source "self": the base model writes the responses that the teacher then critiques."""

from cft_lib.data.builders import DataConfig, build_dataset
from cft_lib.data.records import read_training_records
from cft_lib.eval.prompts import prompt_templates
from cft_lib.llm.base import GenerationConfig
from cft_lib.llm.hf import HFBackend


def test_cft_on_self_generated_responses(small_base_model, tmp_path, monkeypatch):
    monkeypatch.setenv("CFT_HOME", str(tmp_path))
    backend = HFBackend.from_pretrained(small_base_model, progress=False)
    template = prompt_templates.get("qwen25-math-cot")
    generated: list[str] = []

    def respond(questions):
        out = backend.generate([template.messages(q) for q in questions], GenerationConfig(max_new_tokens=48))
        generated.extend(out)
        return out

    config = DataConfig(variant="cft", size=16, response_source="self", responder="small-base-greedy")
    built = build_dataset(
        config, progress=False, truth=lambda e: e.response.strip().endswith(f"{{{e.answer}}}."), respond=respond
    )
    records = read_training_records(built.path)
    assert len(generated) == 16
    assert built.stats["built"] + sum(built.stats["skipped"].values()) == 16
    for record in records:  # the critiqued solution is the model's own output, verbatim
        solution = record.input.split("\n\nSolution:\n", 1)[1][:-1]
        assert solution in generated
    assert "verdict_agreement" in built.stats
    assert config.fingerprint != DataConfig(variant="cft", size=16).fingerprint
