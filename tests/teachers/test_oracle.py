from cft_lib.data.critiques import ANSWER, parse_critique
from cft_lib.data.microworld import correct_solution, parse_question, parse_solution
from cft_lib.data.noise import first_error
from cft_lib.data.sources import micro_sources
from cft_lib.teachers.base import Teacher, parse_verdict
from cft_lib.teachers.oracle import OracleTeacher

EXAMPLES = [e for _, e in micro_sources.get("micro-web").sample(1000, seed=7)]


def test_oracle_fits_the_teacher_interface():
    assert isinstance(OracleTeacher(0.1), Teacher)


def test_exact_oracle_recomputes_every_step_and_names_the_first_wrong_one():
    teacher = OracleTeacher(0.0)
    for example in EXAMPLES[:300]:
        critique = teacher.critique(example.question, example.response)
        assert parse_verdict(critique) == example.meta["response_correct"]
        problem = parse_question(example.question)
        parsed = parse_critique(critique)
        # every step of the problem is recomputed to its right value, and the right answer is stated
        assert parsed.values == {i: s.result for i, s in enumerate(correct_solution(problem).steps, start=1)}
        assert parsed.answer == problem.answer
        truth = first_error(problem, parse_solution(example.response))
        flag = len(problem.steps) + 1 if parsed.first_flag == ANSWER else parsed.first_flag
        assert flag == truth


def test_measured_critique_error_rate_is_close_to_the_configured_rate():
    for rate in (0.1, 0.3):
        teacher = OracleTeacher(rate, seed=1)
        wrong = sum(
            parse_verdict(teacher.critique(e.question, e.response)) != e.meta["response_correct"] for e in EXAMPLES
        )
        assert abs(wrong / len(EXAMPLES) - rate) <= 0.05, (rate, wrong)


def test_wrong_critiques_look_like_real_mistakes():
    teacher = OracleTeacher(1.0, seed=2)
    for example in EXAMPLES[:200]:
        critique = teacher.critique(example.question, example.response)
        parsed = parse_critique(critique)
        if example.meta["response_correct"]:  # a false alarm: some step "recomputed" to a wrong value
            assert parse_verdict(critique) is False and parsed.first_flag is not None
        else:  # a missed error: the wrong steps waved through
            assert parse_verdict(critique) is True and parsed.first_flag is None


def test_oracle_answers_are_deterministic_and_judge_matches_critique():
    teacher = OracleTeacher(0.3, seed=5)
    for example in EXAMPLES[:100]:
        first = teacher.critique(example.question, example.response)
        assert first == teacher.critique(example.question, example.response)
        assert teacher.judge(example.question, example.response) == parse_verdict(first)


def test_solve_error_rate():
    teacher = OracleTeacher(0.2, seed=3)
    wrong = sum(parse_solution(teacher.solve(e.question)).final != int(e.answer) for e in EXAMPLES)
    assert abs(wrong / len(EXAMPLES) - 0.2) <= 0.05


def test_verdict_parsing():
    assert parse_verdict("blah\nConclusion: right [END]") is True
    assert parse_verdict("Conclusion: wrong") is False
    assert parse_verdict("**Conclusion: Wrong**") is False
    assert parse_verdict("no verdict") is None
