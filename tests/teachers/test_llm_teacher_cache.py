"""The LLM teacher over the OpenAI backend: the cache comes first, usage is counted, keys never change."""

from cft_lib.data.formats import parse_verdict
from cft_lib.data.sources import micro_sources
from cft_lib.teachers.cache import request_key
from cft_lib.teachers.llm import LLMTeacher
from tests.support.openai_stub import StubEndpoint


def test_cache_keys_are_the_ones_existing_caches_hold(tmp_path):
    """A changed key would pay every cached call again: this digest was written before the teacher
    moved onto OpenAIBackend, for the paper's critique sampling."""
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}]
    teacher = LLMTeacher("gpt-4o", "gpt-4o-2024-11-20", "http://127.0.0.1:9/v1", tmp_path / "c.sqlite", progress=False)
    assert teacher.sampling == {"temperature": 0.3, "top_p": 0.95, "max_tokens": 3200}
    assert (
        teacher._key(messages)
        == request_key("gpt-4o-2024-11-20", messages, teacher.sampling)
        == "d7cfba3daa7b7918d31091a21b620281d24cf8d3f6eabee80c261bb4a5b92694"
    )


def test_a_second_teacher_on_the_same_cache_pays_nothing(tmp_path):
    examples = [e for _, e in micro_sources.get("micro-web").sample(6, seed=0)]
    pairs = [(e.question, e.response) for e in examples]
    with StubEndpoint() as endpoint:
        first = LLMTeacher("stub", "stub", endpoint.base_url, tmp_path / "cache.sqlite", concurrency=3, progress=False)
        first.prefetch("critique", pairs)
        assert first.network_calls == 6 and first.prompt_tokens == 600 and first.completion_tokens > 0
        critiques = [first.critique(q, r) for q, r in pairs]
        assert first.network_calls == 6  # prefetched: every critique came from the cache
        assert all(parse_verdict(c) is not None for c in critiques)
        second = LLMTeacher("stub", "stub", endpoint.base_url, tmp_path / "cache.sqlite", progress=False)
        assert [second.critique(q, r) for q, r in pairs] == critiques
        assert second.network_calls == 0 and second.usage()["prompt_tokens"] == 0
        assert sum(1 for _, outcome in endpoint.log if outcome == "ok") == 6
