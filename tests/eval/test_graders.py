"""The graders (cft_lib/eval/graders.py): any text grades without raising and in linear time, each
grader keeps its own rules (math-verify; the Qwen2.5-Math toolkit as the CFT repo modified it), and
the linear rewrites of the extraction rules give the answers of the rules they replace.

Property tests call the graders in-process (the worker adds the time limit, not the safety); one
round trip goes through the worker. Expected results are per grader, with the reason wherever the
two differ from each other or from the suite a case comes from.
"""

from __future__ import annotations

import io
import json
import re
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cft_lib.data.formats import parse_verdict
from cft_lib.errors import ConfigError
from cft_lib.eval import extraction, grade_worker, qwen_equal, qwen_parser
from cft_lib.eval.extraction import ANSWER_TYPES
from cft_lib.eval.graders import GRADERS, Grader, get_grader, graders
from cft_lib.eval.grading import SafeGrader, extract_answer, grade_pairs

MV, QWEN = get_grader("math-verify"), get_grader("qwen25-math")
BOTH = pytest.mark.parametrize("grader", [MV, QWEN], ids=GRADERS)
FAST = settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Fragments that reach every rule once joined. No numeric power towers: `9^{9^9}` keeps sympy busy
# for minutes in-process (the worker's time limit for that: test_paper_benchmarks.py).
PIECES = [
    "\\boxed{", "\\boxed", "{", "}", "(", ")", "[", "]", "\\text{", "\\textbf{", "\\mbox{", " cm", "east", "x=",
    "=", ",", ".", "0", "1", "5", "12", "3.0", "\\%", "%", "\\$", "$", "^\\circ", "^{2}", "\\frac", "\\sqrt", "/",
    " ", "\n", "\\\\", "&", "e", "\\times10^{", "10^{", "-", "inf", "pmatrix", "\\begin{array}{c}", "five",
    "The answer is ", "final answer is $", "$. I hope", "Conclusion: ", "*", "right", "wrong", "(B)", "C",
]  # fmt: skip
latexish = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)
any_text = st.one_of(st.text(max_size=80), latexish)


def test_graders_are_named_and_a_wrong_name_suggests_the_right_one():
    assert tuple(graders.names()) == GRADERS == ("math-verify", "qwen25-math")
    with pytest.raises(ConfigError, match="Did you mean 'qwen25-math'"):
        get_grader("qwen2.5-math")
    with pytest.raises(ConfigError, match="unknown grader"):
        extract_answer("\\boxed{1}", grader="qwen")
    with pytest.raises(ConfigError, match="unknown grader"):
        SafeGrader(grader="mathverify")  # before any worker starts


@BOTH
@FAST
@given(output=any_text, gold=any_text)
def test_any_text_extracts_and_grades_without_raising(grader: Grader, output: str, gold: str):
    for answer_type in ANSWER_TYPES:
        answer = grader.extract(output, answer_type)
        assert answer is None or isinstance(answer, str)
    for pred in (grader.extract(output), output):
        assert isinstance(grader.equal(pred, gold), bool)
    assert grader.equal(gold, gold) is bool(gold.strip())  # anything non-blank equals itself


BIG = "1" + "0" * 99_999  # 100k digits: int() refuses past 4,300 (sys.int_info)
LONG = {
    "100k-digit number": BIG,
    "boxed 100k digits": f"so \\boxed{{{BIG}}}",
    "nested braces": "{" * 100_000 + "}" * 100_000,
    "boxed nested braces": "\\boxed{" + "{" * 3_000 + "1" + "}" * 3_000 + "}",
    "unclosed boxes": "\\boxed{" * 30_000,
    "cue then blank lines": "The answer is" + "\n" * 200_000,
    "verdict cue then spaces": "Conclusion:" + " " * 200_000,
    "choice cue then spaces": "the answer is " + " " * 200_000 + "!",
    "nested wrappers": "\\boxed{" + "\\text{" * 20_000 + "5" + "}" * 20_000 + "}",
    "digit runs and dots": "\\boxed{" + "1.0" * 60_000 + "x}",
    "open text spans": "\\boxed{" + "\\text{a" * 30_000 + "}",
    "prose": "Step: 3 + 4 = 7, so $x = \\frac{1}{2}$ and 50\\%. " * 5_000,
}


@BOTH
@pytest.mark.parametrize("name", list(LONG))
def test_very_long_outputs_grade_quickly(grader: Grader, name: str):
    """Each of these took minutes or raised before (quadratic regexes, rescans, int())."""
    text = LONG[name]
    started = time.perf_counter()
    for answer_type in ANSWER_TYPES:
        grader.extract(text, answer_type)
    assert isinstance(grader.equal(grader.extract(text), "7"), bool)
    assert grader.equal(text, text) and not grader.equal(text, "7") and not grader.equal("7", text)
    assert time.perf_counter() - started < 10


@BOTH
def test_numbers_past_the_int_string_limit_are_graded_not_raised(grader: Grader):
    assert grader.extract(f"so \\boxed{{{BIG}}}") == BIG
    assert grader.extract(f"The answer is {BIG}.") == BIG
    assert grader.equal(BIG, BIG) and grader.equal("00" + BIG, BIG)  # the same number
    assert not grader.equal(BIG, BIG[:-1] + "1") and not grader.equal(BIG, "10")
    assert not grader.equal("7" * 5_000, "7" * 4_999 + "8")  # past float range: exact, not inf == inf


CURRENCY = [("\\$5", "5"), ("\\\\$5.00", "5"), ("$5", "5"), ("5 dollars", "5"), ("5\\text{ dollars}", "5")]
CURRENCY += [("\\$1,000", "1000"), ("-\\$5", "-5"), ("5", "\\$5")]


@BOTH
@pytest.mark.parametrize(("pred", "gold"), CURRENCY)
def test_a_dollar_amount_equals_its_number(grader: Grader, pred: str, gold: str):
    assert grader.equal(pred, gold)
    assert not grader.equal(pred, "6")


@BOTH
def test_dollar_amounts_in_outputs(grader: Grader):
    for output in ("so \\boxed{\\$5}", "so \\boxed{$5}", "so \\boxed{\\\\$5.00}", "The answer is 5 dollars."):
        assert grader.equal(grader.extract(output), "5"), output


MINERVA = "We get $x = 5/2$.\nFinal Answer: The final answer is $\\frac{5}{2}$. I hope it is correct."


@BOTH
def test_minervas_answer_sentence_gives_its_answer(grader: Grader):
    assert grader.extract(MINERVA) == "\\frac{5}{2}"  # math-verify read "The final answer is $..." before
    assert grader.equal(grader.extract(MINERVA), "2.5")


@BOTH
def test_verdict_and_choice_quick_paths_are_shared(grader: Grader):
    critique = "Step 1 is fine.\nConclusion: **wrong** [END]"
    assert grader.extract(critique, "verdict") == "wrong"
    assert grader.extract("so the answer is (D).", "multiple_choice") == "D"
    assert grader.equal("wrong", "wrong") and not grader.equal("Wrong", "wrong")
    for letter in ("C", "c", "(C)", "\\text{(C)}", "\\textbf{C}"):
        assert grader.equal(letter, "C"), letter
    assert not grader.equal("D", "C") and not grader.equal("C or D", "C") and not grader.equal(None, "C")


# (pred, gold, toolkit verdict): the toolkit's normalisation and percentage variants, as CFT ran them
QWEN_CASES = [
    ("50\\%", "50", True),
    ("0.5", "50\\%", True),  # gold/100
    ("5", "500", True),  # gold/100 again: the toolkit's leniency, kept
    ("5 \\text{ cm}", "5", True),
    ("5\\mbox{ inches}", "5", True),
    ("90^\\circ", "90", True),
    ("90^{\\circ}", "90", True),
    ("\\text{(B)}", "(B)", True),
    ("\\text{(B)}", "B", True),
    ("\\text{five}", "\\text{five}", True),
    ("five", "5", True),
    ("\\text{east}", "\\text{east}", True),
    ("\\text{west}", "\\text{east}", False),  # the toolkit erases both ("east" is a unit word) and says True
    ("k = 5", "5", True),
    ("x \\in [-2,7]", "[-2, 7]", True),
    ("[0,9)", "(0,9)", True),  # intervals element by element: bracket kinds are not compared
    ("0.04", "0.01", True),  # CFT: both round to 0.0
    ("5.89\\times10^{-7}", "5.89e-7", True),  # CFT: scientific notation
    ("1,000", "1000", True),
    ("3,5", "35", True),  # a comma is a thousands separator
    ("3,5", "3.5", False),
    ("51", "50", False),
    ("\\frac{1}{3}", "0.3333", True),  # relative tolerance 1e-4
    ("\\frac{1}{3}", "0.33", False),
]


@pytest.mark.parametrize(("pred", "gold", "expected"), QWEN_CASES)
def test_qwen25_math_normalises_as_the_toolkit(pred: str, gold: str, expected: bool):
    assert QWEN.equal(pred, gold) is expected


def test_extraction_conventions():
    several = "First \\boxed{3}, then \\boxed{4}."
    assert MV.extract(several) == QWEN.extract(several) == "4"
    unclosed = "so \\boxed{1} and \\boxed{2"
    assert MV.extract(unclosed) == "1"  # the last box that closes
    assert QWEN.extract(unclosed) == "2"  # the text after the last "boxed"
    prose = "The answer is 12 apples.\nCheck: 3 * 4 = 12."
    assert MV.extract(prose) == "12 apples"  # to the end of the sentence
    assert QWEN.extract(prose) == "120Check:3*4=12"  # everything after the cue, as the toolkit
    assert MV.extract("We add 3 and 4, then double: 14") == QWEN.extract("We add 3 and 4, then double: 14") == "14"
    assert MV.extract("no answer here") is None and QWEN.extract("no answer here") is None


# hendrycks/math modeling/math_equivalence_test.py: (pred, gold, is_equiv, math-verify, qwen25-math)
HENDRYCKS = [
    ("\\tfrac{1}{2} + \\frac1{72}", "\\\\frac{1}{2} + 2/3", False, False, False),
    ("10, 4, -2", "4, 10, -2", False, True, True),  # both read a comma list as a set
    ("10, 4, 2", "4, 12, 2", False, False, False),
    ("\\tfrac{1}{2} +\\! \\frac1{72}", "\\\\dfrac{1}{2} +\\frac{1}{72}", True, True, True),
    ("10\\text{ units}", "10 ", True, True, True),
    ("10\\text{ units}", "100 ", False, False, False),
    ("10", "\\$10", True, True, True),
    ("\\left(x-2\\right)\\left(x+2\\right)", "(x-2)(x+2)", True, True, True),
    ("0.1, 4, 2", "4, .1, 2", False, True, False),  # math-verify: sets; the toolkit: in order
    ("0.1", ".1", True, True, True),
    ("10\\%", "10", True, True, True),
    ("10\\sqrt{3} + \\sqrt4", "10\\sqrt3 + \\sqrt{4}", True, True, True),
    ("\\frac34i", "\\frac{3}{4}i", True, True, True),
    ("\\tfrac83", "\\frac{8}{3}", True, True, True),
    ("5x - 7y + 11z + 4 = 0", "x + y - z + 2 = 0", False, False, True),  # CFT: both last sides are 0
    ("1/2", "\\frac{1}{2}", True, True, True),
]


@pytest.mark.parametrize(("pred", "gold", "hendrycks", "math_verify", "qwen"), HENDRYCKS)
def test_hendrycks_math_equivalence_cases(pred: str, gold: str, hendrycks: bool, math_verify: bool, qwen: bool):
    assert (MV.equal(pred, gold), QWEN.equal(pred, gold)) == (math_verify, qwen)


# huggingface/Math-Verify tests/test_all.py, answer-level cases: (gold, pred, expected, math-verify, qwen25-math)
MATH_VERIFY_SUITE = [
    ("7425000", "7,425,000", True, True, True),
    ("1000", "1 000", True, False, True),  # the suite reads plain numbers; here answers are LaTeX
    ("1000.99", "1000,99", True, False, True),  # a decimal comma: 1000.99 for the suite; 100099 ~ 1000.99*100
    ("1,22", "1.22", True, False, True),  # the toolkit: 122 is 1.22*100
    ("0,111", "0.111", True, True, False),  # the toolkit: 111 is not 0.111 (nor /100, *100)
    ("0.4", ".4", True, True, True),
    ("1000.99", "$1,000.99", True, True, True),
    ("$[0,9)$", "$[0,1)$", False, False, False),
    ("$(0,9)$", "$[0,9)$", False, False, True),  # the toolkit ignores bracket kinds
    ("-10/9", "-\\frac{10}{9}", True, True, True),
    ("$1/3$", "$\\frac13 $", True, True, True),
    ("$\\sqrt{3}$", "$\\sqrt3 $", True, True, True),
    ("$1/3$", "$k = \\frac{1}{3}$", True, True, True),
    ("$1/3$", "$\\frac{1}{3} \\textbf{meters}$", True, True, False),  # the toolkit drops \text units only
    ("$28\\%$", "28 percent", True, True, True),
    ("$28\\%$", "28", True, True, True),
    ("$0.28$", "28", False, False, True),  # the toolkit: gold*100
    ("$\\frac{28}{100}$", "28", False, False, False),
    ("$(3, \\frac{\\pi}{2})$", "\\left( 3, \\frac{\\pi}{2} \\right)", True, True, True),
]


@pytest.mark.parametrize(("gold", "pred", "suite", "math_verify", "qwen"), MATH_VERIFY_SUITE)
def test_math_verify_suite_cases(gold: str, pred: str, suite: bool, math_verify: bool, qwen: bool):
    assert (MV.equal(pred, gold), QWEN.equal(pred, gold)) == (math_verify, qwen)


def _original_unwrap_text(answer: str) -> str:
    """grading.unwrap_text before it was made linear (one brace scan per wrapper)."""
    while (match := re.match(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox)\s*\{", answer)) and answer.endswith("}"):
        inner, depth = answer[match.end() : -1], 0
        for char in inner:
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth < 0:
                return answer
        answer = inner.strip()
    return answer


ORIGINAL_ANSWER_IS = re.compile(r"(?:final answer|the answer)\s*(?:is|:)\s*:?\s*(.+?)(?:\.\s|\.$|\n|$)", re.IGNORECASE)
ORIGINAL_CHOICE = re.compile(r"answer is:?\s*\(?\s*([A-J])\s*\)?", re.IGNORECASE)
RULE_PIECES = [
    "\\boxed", "\\boxed ", "{", "}", "\\text{", "\\textbf {", "\\mbox{", " ", "\n", "a", "(", ")", "A", "5", "0", ".",
    ",", "Conclusion", ":", "*", "right", "wrong", "answer is", "The answer", "final answer", "\\times10^{", "2}",
    "\\begin{array}{", "x",
]  # fmt: skip
rule_text = st.lists(st.sampled_from(RULE_PIECES), max_size=16).map("".join)


def original_last_boxed(text: str) -> str | None:
    """The rule `last_boxed` replaced (quadratic on many unclosed boxes), as the reference it must match."""
    start = text.rfind("\\boxed")
    while start != -1:
        brace = text.find("{", start)
        if brace != -1 and text[start + len("\\boxed") : brace].strip() == "":
            depth = 0
            for index in range(brace, len(text)):
                depth += {"{": 1, "}": -1}.get(text[index], 0)
                if depth == 0:
                    return text[brace + 1 : index].strip()
        start = text.rfind("\\boxed", 0, start)
    return None


_ORIGINAL_VERDICT = re.compile(r"Conclusion\s*:\s*\**\s*(right|wrong|correct|incorrect)", re.IGNORECASE)


@settings(max_examples=300, deadline=None, database=None)
@given(text=rule_text)
def test_linear_rules_answer_as_the_rules_they_replace(text: str):
    assert extraction.last_boxed(text) == original_last_boxed(text)
    assert extraction.unwrap_text(text) == _original_unwrap_text(text)
    found = _ORIGINAL_VERDICT.findall(text)
    verdict = found[-1].lower() in ("right", "correct") if found else None
    assert parse_verdict(text) == verdict
    assert extraction.verdict(text) == (None if verdict is None else "right" if verdict else "wrong")
    # the original also captured a bare space when a cue ends the text (read as an empty answer)
    assert extraction._ANSWER_IS.findall(text) == [s for s in ORIGINAL_ANSWER_IS.findall(text) if s.strip()]
    assert extraction._CHOICE.findall(text) == ORIGINAL_CHOICE.findall(text)


@settings(max_examples=300, deadline=None, database=None)
@given(text=rule_text.map(lambda t: t.replace("\n", "")))  # strip_string drops newlines first
def test_linear_toolkit_rules_answer_as_the_toolkit_regexes(text: str):
    spans = qwen_parser._replace_spans
    assert spans(text, "\\text{", "}", lambda inner: inner) == re.sub(r"\\text\{(.*?)\}", r"\1", text)
    assert spans(text, "\\mbox{", "}", lambda _: "") == re.sub(r"\\mbox{.*?}", "", text)
    array = spans(text, "\\begin{array}{", "}", lambda _: "\\begin{pmatrix}")
    assert array == re.sub(r"\\begin\{array\}\{.*?\}", r"\\begin{pmatrix}", text)
    dropped = re.sub(r"\\text{.*?}$", "", text).strip()
    assert qwen_parser._drop_trailing_text(text) == (dropped if dropped not in ("", text) else text)
    assert qwen_parser._TRAILING_ZEROS.sub(r"\1\2", text) == re.sub(r"(\d+)\.0*([^\d])", r"\1\2", text)
    assert qwen_parser._TRAILING_ZEROS_END.sub(r"\1", text) == re.sub(r"(\d+)\.0*$", r"\1", text)
    original = re.search(r"(\d+\.?\d*?)\\times10\^{?([+-]?\d+)}?", text)
    ours = qwen_equal._TIMES_TEN.search(text)
    assert (ours and ours.groups()) == (original and original.groups())
    matrices = [m.strip("{}") for m in re.findall(r"\{.*,.*\}", text.strip())]
    expected = ", ".join("\\begin{pmatrix}" + m.replace(",", "\\") + "\\end{pmatrix}" for m in matrices)
    assert qwen_equal._braces_to_pmatrix(text) == expected


def test_the_worker_answers_every_line_even_malformed_ones(monkeypatch: pytest.MonkeyPatch):
    lines = [["\\$5", "5"], "not json", [1, 2], [BIG, BIG], ["{" * 3_000, "1"], ["0.5", "50\\%"]]
    stdin = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    replies = io.StringIO()
    monkeypatch.setattr(sys, "stdout", replies)
    grade_worker.main(["--grader", "qwen25-math"])
    assert replies.getvalue().split() == ["true", "false", "false", "true", "false", "true"]
    assert sys.stdout is replies  # handed back after grading


def test_the_qwen_grader_in_its_worker():
    pairs = [("\\$5", "5"), (None, "5"), ("", "5"), (BIG, BIG), ("0.5", "50\\%"), ("(C)", "C"), ("51", "50")]
    assert grade_pairs(pairs, timeout=10.0, grader="qwen25-math") == [True, False, False, True, True, True, False]


def test_an_item_past_the_time_limit_is_wrong_and_the_next_gets_a_fresh_worker():
    safe = SafeGrader(timeout=3.0, grader="qwen25-math")
    try:
        assert safe.equivalent("\\frac{1}{2}", "0.5")
        started = time.perf_counter()
        assert not safe.equivalent("9^{9^{9}}", "3")  # sympy builds 9**387420489 (a C loop): killed
        assert safe.timeouts == 1 and time.perf_counter() - started < 8
        assert safe.equivalent("\\$5", "5")
    finally:
        safe.close()
