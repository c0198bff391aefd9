import pytest

from cft_lib.eval.evaluate import BenchmarkScore
from cft_lib.eval.grading import extract_answer, is_equivalent, last_boxed


def test_last_boxed_takes_the_last_and_balances_braces():
    assert last_boxed("first \\boxed{3} then \\boxed{\\frac{1}{2}}.") == "\\frac{1}{2}"
    assert last_boxed("The answer is \\boxed{14}.") == "14"
    assert last_boxed("\\boxed {7}") == "7"
    assert last_boxed("no box") is None
    assert last_boxed("broken \\boxed{12") is None


def test_extract_answer_from_a_micro_world_solution():
    assert extract_answer("Step 1: 3 + 4 = 7.\nThe answer is \\boxed{7}.") == "7"


def test_extraction_follows_the_answer_type_not_the_benchmark():
    critique = "Step 1 is right.\nThe answer is \\boxed{7}.\nConclusion: wrong"
    assert extract_answer(critique, "verdict") == "wrong"
    assert extract_answer(critique, "expression") == "7"
    assert extract_answer("no conclusion here", "verdict") is None
    assert extract_answer("so the answer is (D).", "multiple_choice") == "D"
    with pytest.raises(ValueError, match="unknown answer type 'micro-easy'"):
        extract_answer("\\boxed{7}", "micro-easy")  # a benchmark name is not an answer type


def test_equivalence():
    assert is_equivalent("14", "14")
    assert is_equivalent(" -3", "-3")
    assert not is_equivalent("15", "14")
    assert not is_equivalent(None, "14")
    assert is_equivalent("\\frac{1}{2}", "0.5")
    assert not is_equivalent("\\frac{1}{3}", "0.5")


def test_wilson_interval_brackets_the_accuracy():
    score = BenchmarkScore("micro-easy", 200, 50)
    low, high = score.wilson_interval()
    assert low < 0.25 < high and 0.18 < low and high < 0.32
    assert BenchmarkScore("x", 0, 0).wilson_interval() == (0.0, 0.0)
