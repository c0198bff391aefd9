from cft_lib.data.sources import micro_sources
from cft_lib.teachers.base import Teacher, parse_verdict
from cft_lib.teachers.oracle import OracleTeacher

EXAMPLES = [e for _, e in micro_sources.get("micro-web").sample(1000, seed=7)]


def test_oracle_fits_the_teacher_interface():
    assert isinstance(OracleTeacher(0.1), Teacher)


def test_exact_oracle_is_always_right_and_names_the_first_wrong_step():
    teacher = OracleTeacher(0.0)
    for example in EXAMPLES[:300]:
        critique = teacher.critique(example.question, example.response)
        assert parse_verdict(critique) == example.meta["response_correct"]
        assert f"\\boxed{{{example.answer}}}" in critique  # the right answer is re-derived
        if not example.meta["response_correct"]:
            assert critique.count("This step is wrong.") <= 1


def test_measured_critique_error_rate_is_close_to_the_configured_rate():
    for rate in (0.1, 0.3):
        teacher = OracleTeacher(rate, seed=1)
        wrong = sum(parse_verdict(teacher.critique(e.question, e.response)) != e.meta["response_correct"]
                    for e in EXAMPLES)
        assert abs(wrong / len(EXAMPLES) - rate) <= 0.05, (rate, wrong)


def test_oracle_answers_are_deterministic_and_judge_matches_critique():
    teacher = OracleTeacher(0.3, seed=5)
    for example in EXAMPLES[:100]:
        first = teacher.critique(example.question, example.response)
        assert first == teacher.critique(example.question, example.response)
        assert teacher.judge(example.question, example.response) == parse_verdict(first)


def test_solve_error_rate():
    teacher = OracleTeacher(0.2, seed=3)
    from cft_lib.data.microworld import parse_solution

    wrong = sum(parse_solution(teacher.solve(e.question)).final != int(e.answer) for e in EXAMPLES)
    assert abs(wrong / len(EXAMPLES) - 0.2) <= 0.05


def test_verdict_parsing():
    assert parse_verdict("blah\nConclusion: right [END]") is True
    assert parse_verdict("Conclusion: wrong") is False
    assert parse_verdict("**Conclusion: Wrong**") is False
    assert parse_verdict("no verdict") is None
