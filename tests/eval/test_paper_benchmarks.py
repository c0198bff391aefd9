"""The grader against the paper's benchmarks themselves: each reference solution must grade as
correct against its own gold answer, and as wrong against another problem's gold.

Reads the real test files in ../shared/data/benchmarks; skips cleanly where they are absent.
"""

from pathlib import Path

import pytest

from cft_lib.eval.grading import extract_answer, grade_pairs, is_equivalent
from cft_lib.eval.paper_benchmarks import PAPER_BENCHMARKS, check_references

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "benchmarks"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/benchmarks is not present")


@needs_data
@pytest.mark.slow  # grades thousands of reference solutions (about a minute)
@pytest.mark.parametrize("name", ["math", "math500", "minerva_math", "gsm8k"])
def test_reference_solutions_grade_correct_and_others_do_not(name):
    check = check_references(name, DATA)
    assert check.own >= 0.99, check
    assert check.other <= 0.02, check


# OlympiadBench ids whose reference solutions never write the gold answer (audited by hand, all
# solutions read): no reader of the text can find these, so 99% is out of reach (668/675 = 98.96%
# at most, before borderline cases such as an answer given only through a helper variable).
OLYMPIAD_UNSTATED = {
    1828: "general count 3n-3 only; n = 2017 never substituted",
    1964: "proves 1-good impossible and 2-good possible; never writes k >= 2",
    1974: "two bounds that 'yield the answer'; the formula is never written",
    2006: "general bound 5N^2 only; N = 674 never substituted",
    2024: "'p = 2, 3 lead to the claimed solutions'; the triples are never written",
    1930: "one of six permutations written (the rest 'by symmetry')",
    1965: "f(n) = an after a shift; the '+ b' part is never written",
}


@needs_data
@pytest.mark.integration
def test_olympiad_proofs_state_their_answers_and_unstated_ones_are_not_found():
    """OlympiadBench's solutions are proofs: graded by the answers they state (stated_answers.py)."""
    import json

    check = check_references("olympiadbench", DATA)
    assert check.own >= 0.85, check  # 87.3% measured; the texts allow at most 98.96%
    assert check.other <= 0.02, check
    with open(DATA / "olympiadbench" / "test.jsonl", encoding="utf-8") as handle:
        ids = [json.loads(line)["id"] for line in handle if line.strip()]
    assert {ids[i] for i in check.missed} >= set(OLYMPIAD_UNSTATED)


def test_stated_answers_read_bold_first_and_last_sentences():
    from cft_lib.eval.stated_answers import gold_parts, stated_answers, states_answer

    arml = "Thus $x=\\frac{96}{6}+\\frac{8}{2}=16+4=\\mathbf{2 0}$."
    assert "20" in stated_answers(arml)
    shortlist = "Sergey can do it in 2 but not fewer moves.\n\nWe first show that 7 is too many. Done."
    assert "2" in stated_answers(shortlist) and "7" not in stated_answers(shortlist)
    listed = "Some work. Therefore, the possible ordered pairs $(a, b)$ are $(3,0)$ and $(-3,1)$."
    assert {"(3,0)", "(-3,1)"} <= set(stated_answers(listed))
    assert gold_parts("$(1,1), (3,2)$") == ["(1,1)", "(3,2)"]
    assert gold_parts("[\\frac{1}{2}, 8]") == ["[\\frac{1}{2}, 8]"]
    assert not states_answer([shortlist], "", lambda pred, gold: True)  # an empty gold is never stated


@needs_data
def test_loaders_read_questions_and_golds():
    for name, expected in (
        ("math", 5000),
        ("math500", 500),
        ("minerva_math", 272),
        ("gsm8k", 1319),
        ("olympiadbench", 675),
        ("aime24", 30),
        ("amc23", 40),
        ("theoremqa", 800),
    ):
        items = PAPER_BENCHMARKS[name].load(data_dir=DATA)
        assert len(items) == expected, name
        assert all(item.question and item.answer for item in items), name
    assert PAPER_BENCHMARKS["gsm8k"].load(1, DATA)[0].answer == "18"
    assert PAPER_BENCHMARKS["amc23"].load(1, DATA)[0].answer == "27"


@pytest.mark.slow  # waits for the grader's time limit
def test_a_sympy_bomb_is_graded_wrong_within_the_time_limit():
    import time

    tower = "2^{2^{2^{2^{2^{2^{2^{2^{2^{2}}}}}}}}}"
    outputs = [(f"\\boxed{{{tower}}}", "3"), ("\\boxed{\\frac{1}{2}}", "0.5")] * 3
    outputs += [(f"The answer is \\boxed{{{i}}}.", str(i)) for i in range(994)]
    started = time.perf_counter()
    grades = grade_pairs([(extract_answer(text), gold) for text, gold in outputs], timeout=2.0)
    elapsed = time.perf_counter() - started
    assert len(grades) == 1000
    assert grades[:6] == [False, True] * 3
    assert all(grades[6:])
    assert elapsed < 60  # 3 bombs x 2 s limit, plus start-up


def test_extraction_fallbacks():
    assert extract_answer("so the final answer is 42.") == "42"
    assert extract_answer("We get 3 apples, then 5. The answer is: $\\frac{3}{4}$") == "\\frac{3}{4}"
    assert extract_answer("... #### 1,234") == "1234"
    assert extract_answer("no number here") is None
    assert extract_answer("so $d = \\boxed{\\textbf{(073)}}.$") == "(073)" and is_equivalent("(073)", "73")
    assert extract_answer("\\boxed{\\text{a}+\\text{b}}") == "\\text{a}+\\text{b}"  # not one wrapper
    assert extract_answer("\\boxed{\\text{(C)}}", "multiple_choice") == "C"
    assert is_equivalent("\\dfrac{1}{2}", "\\frac12")


def test_multiple_choice_order_is_seeded_and_gold_follows_the_correct_option():
    from cft_lib.eval.paper_benchmarks import MULTIPLE_CHOICE

    rows = [
        {
            "Question": f"Q{i}?",
            "Correct Answer": f"right{i}",
            "Incorrect Answer 1": "a",
            "Incorrect Answer 2": "b",
            "Incorrect Answer 3": "c",
        }
        for i in range(40)
    ]
    items = MULTIPLE_CHOICE["gpqa_diamond"].items_from_rows(rows)
    assert items == MULTIPLE_CHOICE["gpqa_diamond"].items_from_rows(rows)  # same seed, same order
    for i, item in enumerate(items):
        assert f"({item.answer}) right{i}" in item.question
    assert len({item.answer for item in items}) > 1  # the correct option is not always first


def test_choice_extraction_and_grading():
    from cft_lib.eval.benchmarks import benchmarks

    assert benchmarks.get("gpqa_diamond").answer_type == benchmarks.get("mmlu_pro").answer_type == "multiple_choice"
    assert extract_answer("... so the answer is (C).", "multiple_choice") == "C"
    assert extract_answer("final: \\boxed{B}", "multiple_choice") == "B"
    assert is_equivalent("C", "C") and not is_equivalent("B", "C")


# -- the official CFT run's protocol (TIGER-AI-Lab/CritiqueFineTuning @ 44b83b8) ------------------
# Hand-written rows shaped like the hub's (GPQA asks that its questions not be reproduced in text).
GPQA_ROWS = [
    {
        "Question": "Which gas is lightest?",
        "Correct Answer": "hydrogen",
        "Incorrect Answer 1": "helium",
        "Incorrect Answer 2": "neon\n",
        "Incorrect Answer 3": "argon",
    },
    {
        "Question": "Pick the even number.\n",
        "Correct Answer": "4",
        "Incorrect Answer 1": "3",
        "Incorrect Answer 2": "5",
        "Incorrect Answer 3": "7",
    },
]
MMLU_PRO_ROWS = [
    {"question": "What is 2 + 2?", "options": ["3", "4", "5", "N/A", "N/A"], "answer": "B", "answer_index": 1},
    {"question": "Name a primary colour.", "options": ["red", "pink", "grey"], "answer": "A", "answer_index": 0},
]


def test_official_stop_lists_hold_the_run_time_strings():
    from cft_lib.eval.protocol import OFFICIAL_MATH_STOP, QWEN2_STOP_TOKEN_IDS, official_stop_token_ids

    assert OFFICIAL_MATH_STOP[4] == "\\" + "[END" + "\\" + "]" and len(OFFICIAL_MATH_STOP[4]) == 7
    assert {"[END]", "(END)", "**END**", "<|im_end|>"} <= set(OFFICIAL_MATH_STOP)
    assert official_stop_token_ids("/ckpt/Qwen2.5-Math-7B-CFT") == QWEN2_STOP_TOKEN_IDS == (151645, 151643)
    assert official_stop_token_ids("deepseek-ai/deepseek-math-7b-base") == ()


def test_true_false_questions_say_so_and_questions_are_stripped(tmp_path):
    import json

    rows = [{"problem": "Is 7 prime? Answer with \\boxed{True} or \\boxed{False}.", "answer": "True"}]
    rows += [{"problem": "  What is 2 + 2?\n", "answer": "4"}, {"problem": "Is it?", "answer": "no"}]
    (tmp_path / "theoremqa").mkdir()
    (tmp_path / "theoremqa" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    items = PAPER_BENCHMARKS["theoremqa"].load(data_dir=tmp_path)
    assert [i.question for i in items] == [
        "Is 7 prime? Answer with \\boxed{True} or \\boxed{False}. (True or False)",
        "What is 2 + 2?",
        "Is it? (Yes or No)",
    ]
    assert [i.answer for i in items] == ["True", "4", "no"]


@needs_data
def test_theoremqa_asks_its_116_true_false_questions_as_the_official_harness():
    items = PAPER_BENCHMARKS["theoremqa"].load(data_dir=DATA)
    suffixed = [i for i in items if i.question.endswith(" (True or False)")]
    assert len(suffixed) == 116 and {i.answer for i in suffixed} == {"True", "False"}


def test_gpqa_items_are_laid_out_as_the_official_loader_writes_them():
    from cft_lib.eval.paper_benchmarks import MULTIPLE_CHOICE

    first, second = MULTIPLE_CHOICE["gpqa_diamond"].items_from_rows(GPQA_ROWS)
    head, choices = first.question.split("\nAnswer Choices: ")
    assert head == "Which gas is lightest?"
    assert [c[:3] for c in choices.split(" (")] == ["(A)", "B) ", "C) ", "D) "]  # one line, space-separated
    assert f"({first.answer}) hydrogen" in choices and "neon\n" in choices  # texts unstripped, as officially
    assert second.question.startswith("Pick the even number.\nAnswer Choices: (A) ")  # no second newline


def test_mmlu_pro_items_keep_the_original_order_without_na():
    from cft_lib.eval.paper_benchmarks import MULTIPLE_CHOICE, option_count

    first, second = MULTIPLE_CHOICE["mmlu_pro"].items_from_rows(MMLU_PRO_ROWS)
    assert first.question == "What is 2 + 2?\nOptions:\nA. 3\nB. 4\nC. 5" and first.answer == "B"
    assert second.answer == "A" and [option_count(i.question) for i in (first, second)] == [3, 3]


def test_official_prompts_render_the_official_strings():
    """Through Qwen's chat layout (the tiny tokenizer's template) the prompts are the scripts' strings."""
    from cft_lib.eval.paper_benchmarks import MULTIPLE_CHOICE
    from cft_lib.eval.prompts import prompt_templates
    from cft_lib.llm.base import RAW_ROLE
    from cft_lib.models.tokenizer import build_tokenizer

    qwen = build_tokenizer(["<|endoftext|>", "<unk>", "<|im_start|>", "<|im_end|>"])

    def render(template: str, question: str) -> str:
        messages = prompt_templates.get(template).messages(question)
        return qwen.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    gpqa = MULTIPLE_CHOICE["gpqa_diamond"].items_from_rows(GPQA_ROWS)[0].question
    assert render("gpqa-qwen", gpqa) == (  # prompt_utils.get_qwen_prompt, 0-shot
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        f"<|im_start|>user\n{gpqa}<|im_end|>\n<|im_start|>assistant\n"
    )
    mmlu = MULTIPLE_CHOICE["mmlu_pro"].items_from_rows(MMLU_PRO_ROWS)[0].question
    official = (  # initial_prompt_1.txt + "<|im_start|>user" + "\n" + format_cot_example + "\n<|im_end|>..."
        "<|im_start|>system\nPlease reason step by step, and put your answer with "
        '"the answer is (X)" where X is the correct letter choice.<|im_end|>\n'
        "<|im_start|>user" + "\n" + "Question:\nWhat is 2 + 2?\nOptions:\nA. 3\nB. 4\nC. 5\n"
        "Answer: Let's think step by step." + "\n<|im_end|>\n<|im_start|>assistant\n"
    )
    assert render("mmlu-pro-cot", mmlu) == official
    assert prompt_templates.get("deepseek-math").messages("What is 1+1?") == [
        {
            "role": RAW_ROLE,
            "content": "User: What is 1+1?\nPlease reason step by step, and put your final answer "
            "within \\boxed{}.\n\nAssistant:",
        }
    ]


def test_gpqa_extraction_follows_answer_clean():
    from cft_lib.eval.choice_extraction import gpqa_choice

    assert gpqa_choice("Some work.\nThe answer is (C).") == "C"
    assert gpqa_choice("The answer is: B") == "B"
    assert gpqa_choice("so the answer is (D), not (A)") == "D"  # the first letter after the trigger
    assert gpqa_choice("so the answer is a tricky one: (D)") == "A"  # upper-cased: the word "a" reads as A
    assert gpqa_choice("(B) is wrong and (D) fits best") == "D"  # no trigger: the last letter
    assert gpqa_choice("The answer is (A).\n\nThe answer is (B).") == "A"  # repeated: first paragraph only
    assert gpqa_choice("I don't know.") is None and gpqa_choice("The answer is unclear") is None


def test_mmlu_pro_extraction_and_its_seeded_guess():
    import random

    from cft_lib.eval.benchmarks import benchmarks
    from cft_lib.eval.choice_extraction import mmlu_pro_choice, mmlu_pro_guess
    from cft_lib.eval.protocol import GPQA_STOP, MMLU_PRO_STOP

    assert mmlu_pro_choice("the answer is (B). No: the answer is (C).") == "B"  # the first, not the last
    assert mmlu_pro_choice("so the answer is J") == "J"
    assert mmlu_pro_choice("Answer: E\nlater\nAnswer: F") == "E"  # the first line that has one
    assert mmlu_pro_choice("The Answer is (D) maybe") == "D"  # "answer is" is case-sensitive: lone letter
    assert mmlu_pro_choice("between G and\nH") == "H"
    assert mmlu_pro_choice("no idea at all") is None
    state = random.getstate()
    try:
        for n in (3, 4, 10):  # the official draw: random.seed(12345) then randint(0, n - 1)
            random.seed(12345)
            assert mmlu_pro_guess(n) == "ABCDEFGHIJ"[random.randint(0, n - 1)]
    finally:
        random.setstate(state)
    gpqa, mmlu = benchmarks.get("gpqa_diamond"), benchmarks.get("mmlu_pro")
    assert (gpqa.prompt, gpqa.stop, gpqa.guess) == ("gpqa-qwen", GPQA_STOP, None)
    assert (mmlu.prompt, mmlu.stop, mmlu.extract) == ("mmlu-pro-cot", MMLU_PRO_STOP, mmlu_pro_choice)
    assert gpqa.version == mmlu.version == benchmarks.get("theoremqa").version == "3"


def test_multiple_choice_benchmarks_read_a_local_file_in_the_hub_fields(tmp_path):
    import json

    from cft_lib.eval.paper_benchmarks import MULTIPLE_CHOICE

    for name, rows in (("gpqa_diamond", GPQA_ROWS), ("mmlu_pro", MMLU_PRO_ROWS)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        benchmark = MULTIPLE_CHOICE[name]
        assert benchmark.load(data_dir=tmp_path) == benchmark.items_from_rows(rows)
        assert len(benchmark.load(1, data_dir=tmp_path)) == 1


def _official_mmlu_pro_answer(text: str) -> str | None:
    """evaluate_from_local.py's three regexes as the official script applies them (quadratic on long lines)."""
    import re

    for pattern, flags in ((r"answer is \(?([A-J])\)?", 0), (r".*[aA]nswer:\s*([A-J])", 0)):
        match = re.search(pattern, text, flags)
        if match:
            return match.group(1)
    match = re.search(r"\b[A-J]\b(?!.*\b[A-J]\b)", text, re.DOTALL)
    return match.group(0) if match else None


def test_mmlu_pro_extraction_agrees_with_the_official_regexes_in_linear_time():
    import random
    import time

    from cft_lib.eval.choice_extraction import mmlu_pro_choice

    pieces = ["Answer:", "answer:", "Answer: ", "answer is ", "(", ")", " ", "\n", "A", "B", "J", "K", "x", "Answer"]
    rng = random.Random(0)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        assert mmlu_pro_choice(text) == _official_mmlu_pro_answer(text), repr(text)
    long_line = "x answer: " * 20000 + "A"  # the official second regex backtracks over the whole line per start
    started = time.perf_counter()
    assert mmlu_pro_choice(long_line) == "A" and mmlu_pro_choice("A " * 20000) == "A"
    assert time.perf_counter() - started < 1.0
