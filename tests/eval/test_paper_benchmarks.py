"""The grader against the paper's benchmarks themselves: each reference solution must grade as
correct against its own gold answer, and as wrong against another problem's gold.

Reads the real test files in ../shared/data/benchmarks; skips cleanly where they are absent.
"""

from pathlib import Path

import pytest

from cft_lib.eval.grading import extract_answer, grade_pairs, is_equivalent
from cft_lib.eval.paper_benchmarks import PAPER_BENCHMARKS, shuffled_pairs

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "benchmarks"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/benchmarks is not present")


@needs_data
@pytest.mark.parametrize("name", ["math", "math500", "minerva_math", "gsm8k"])
def test_reference_solutions_grade_correct_and_others_do_not(name):
    pairs = PAPER_BENCHMARKS[name].references(DATA)
    own = grade_pairs([(extract_answer(text, name), gold) for text, gold in pairs])
    other = grade_pairs([(extract_answer(text, name), gold) for text, gold in shuffled_pairs(pairs)])
    assert sum(own) / len(own) >= 0.99, name
    assert sum(other) / len(other) <= 0.02, name


@needs_data
def test_loaders_read_questions_and_golds():
    for name, expected in (("math", 5000), ("math500", 500), ("minerva_math", 272), ("gsm8k", 1319),
                           ("olympiadbench", 675), ("aime24", 30), ("amc23", 40), ("theoremqa", 800)):
        items = PAPER_BENCHMARKS[name].load(data_dir=DATA)
        assert len(items) == expected, name
        assert all(item.question and item.answer for item in items), name
    assert PAPER_BENCHMARKS["gsm8k"].load(1, DATA)[0].answer == "18"
    assert PAPER_BENCHMARKS["amc23"].load(1, DATA)[0].answer == "27"


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
    assert is_equivalent("\\dfrac{1}{2}", "\\frac12")


def test_multiple_choice_order_is_seeded_and_gold_follows_the_correct_option():
    from cft_lib.eval.paper_benchmarks import MULTIPLE_CHOICE

    rows = [{"Question": f"Q{i}?", "Correct Answer": f"right{i}", "Incorrect Answer 1": "a",
             "Incorrect Answer 2": "b", "Incorrect Answer 3": "c"} for i in range(40)]
    items = MULTIPLE_CHOICE["gpqa_diamond"].items_from_rows(rows)
    assert items == MULTIPLE_CHOICE["gpqa_diamond"].items_from_rows(rows)  # same seed, same order
    for i, item in enumerate(items):
        assert f"({item.answer}) right{i}" in item.question
    assert len({item.answer for item in items}) > 1  # the correct option is not always first


def test_choice_extraction_and_grading():
    assert extract_answer("... so the answer is (C).", "gpqa_diamond") == "C"
    assert extract_answer("final: \\boxed{B}", "mmlu_pro") == "B"
    assert is_equivalent("C", "C", "gpqa_diamond") and not is_equivalent("B", "C", "gpqa_diamond")
