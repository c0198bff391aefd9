"""Self-critique inference (Table 9) on a scripted backend: the selection rule and the attempt cap."""

from __future__ import annotations

from cft_lib.eval.inference import SINGLE_PASS_SYSTEM, InferenceConfig, answer
from cft_lib.eval.prompts import prompt_templates
from cft_lib.llm.base import GenerationConfig

EVAL = prompt_templates.get("qwen25-math-cot")


class ScriptedBackend:
    """Attempt k of question q answers `\\boxed{q-k}`; the judge calls a solution correct when the
    script says so for that (question, attempt), and says nothing at all for 'mute' questions."""

    name = "scripted"

    def __init__(self, accept: dict[str, set[int]], mute: frozenset[str] = frozenset()) -> None:
        self.accept, self.mute = accept, mute
        self.calls: list[tuple[str, int, float]] = []  # (kind, prompts, temperature)

    def generate(self, conversations, config: GenerationConfig) -> list[str]:
        outputs = []
        for messages in conversations:
            user = messages[-1]["content"]
            if user.startswith("Please critique"):
                question = user.split("Question:\n", 1)[1].split("\n", 1)[0]
                attempt = int(user.split("\\boxed{", 1)[1].split("}", 1)[0].split("-")[1])
                verdict = "Correct" if attempt in self.accept.get(question, set()) else "Incorrect"
                outputs.append("1. fine." if question in self.mute else f"1. ...\nCritique Conclusion: {verdict}")
            else:
                outputs.append(f"so \\boxed{{{user}-{config.seed + 1}}}")
        kind = (
            "critique" if conversations and conversations[0][-1]["content"].startswith("Please critique") else "solve"
        )
        self.calls.append((kind, len(conversations), config.temperature))
        return outputs

    def describe(self) -> dict[str, str]:
        return {"backend": self.name}


def test_two_stage_keeps_the_first_solution_judged_correct_else_the_last_attempt():
    backend = ScriptedBackend({"q1": {1}, "q2": {3, 5}, "q3": set()}, mute=frozenset({"q4"}))
    problems = [(EVAL, q) for q in ("q1", "q2", "q3", "q4")]
    generation = GenerationConfig(max_new_tokens=64, temperature=0.6, seed=0)
    out = answer(backend, problems, generation, InferenceConfig(mode="two-stage", max_attempts=8))
    assert [a.output for a in out] == ["so \\boxed{q1-1}", "so \\boxed{q2-3}", "so \\boxed{q3-8}", "so \\boxed{q4-8}"]
    assert [len(a.attempts) for a in out] == [1, 3, 8, 8]
    assert out[1].verdicts == [False, False, True]
    assert out[3].verdicts == [None] * 8  # no verdict counts as "incorrect": solve again
    assert out[2].trail()["judged_correct"] is False and out[1].trail()["judged_correct"] is True
    # problems still pending are batched per round; the judge is greedy, solutions are sampled
    solves = [n for kind, n, _ in backend.calls if kind == "solve"]
    assert solves == [4, 3, 3, 2, 2, 2, 2, 2]
    assert {t for kind, _, t in backend.calls if kind == "critique"} == {0.0}
    assert {t for kind, _, t in backend.calls if kind == "solve"} == {0.6}


def test_two_stage_attempt_cap():
    backend = ScriptedBackend({"q": set()})
    out = answer(backend, [(EVAL, "q")], GenerationConfig(temperature=0.3), InferenceConfig("two-stage", 3))
    assert len(out[0].attempts) == 3 and out[0].output.endswith("{q-3}")
    assert sum(kind == "solve" for kind, _, _ in backend.calls) == 3


def test_single_pass_uses_the_paper_prompt_in_one_generation():
    seen = []

    class Recorder(ScriptedBackend):
        def generate(self, conversations, config):
            seen.extend(conversations)
            return ["first \\boxed{1} Critique: wrong. Corrected solution: \\boxed{2}"] * len(conversations)

    out = answer(Recorder({}), [(EVAL, "q")], GenerationConfig(), InferenceConfig("single-pass"))
    assert seen[0][0] == {"role": "system", "content": SINGLE_PASS_SYSTEM} and seen[0][1]["content"] == "q"
    assert out[0].trail() == {}


def test_evaluate_grades_every_attempt_and_reports_the_judge(tmp_path):
    from cft_lib.eval.evaluate import EvalConfig, evaluate

    class Judge(ScriptedBackend):
        """Solves micro problems with a fixed wrong answer on attempt 1 and 'right' after; judges all correct
        from attempt 2 on."""

        def generate(self, conversations, config):
            if conversations[0][-1]["content"].startswith("Please critique"):
                return [
                    "Conclusion: wrong" if "\\boxed{-1}" in c[-1]["content"] else "Conclusion: right"
                    for c in conversations
                ]
            return ["\\boxed{-1}"] * len(conversations) if config.seed == 0 else [""] * len(conversations)

    config = EvalConfig(
        benchmarks=("micro-easy",),
        limit=5,
        generation=GenerationConfig(temperature=0.1),
        inference=InferenceConfig("two-stage", 4),
    )
    result = evaluate(Judge({}), config)
    record = result.records[0]
    assert record["attempts"] == 2 and record["attempt_correct"] == [False, False]
    metrics = result.metrics()
    assert metrics["selfcritique/mean_attempts"] == 2.0
    assert metrics["selfcritique/judged_correct"] == 1.0
    assert metrics["selfcritique/judge_accuracy"] == 0.5  # right on attempt 1 (wrong), wrong on attempt 2
