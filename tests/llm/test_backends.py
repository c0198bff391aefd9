"""Backends by configuration: checks name the field to change, and building through the registry
talks to a real OpenAI-compatible server (tests/support/openai_stub.py) on 127.0.0.1."""

import importlib.util
import subprocess
import sys

import pytest

from cft_lib.errors import BackendError, ConfigError
from cft_lib.llm.base import BackendConfig, GenerationConfig, backends, make_backend
from cft_lib.llm.openai_backend import OpenAIBackend
from tests.support.openai_stub import StubEndpoint


def test_naming_backends_and_teachers_loads_no_torch():
    code = (
        "import sys, cft_lib.llm.base as llm, cft_lib.teachers.config, cft_lib.eval.evaluate, "
        "cft_lib.eval.benchmarks, cft_lib.data.builders\n"
        "from cft_lib.teachers.base import teachers\n"
        "assert llm.backends.names() == ['hf', 'openai', 'vllm'] and teachers.names() == ['llm', 'oracle']\n"
        "heavy = [m for m in ('torch', 'transformers', 'vllm', 'openai') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_check_reports_every_problem_with_its_field():
    with pytest.raises(ConfigError) as raised:
        BackendConfig(name="openia", concurrency=0, timeout_s=0).check()
    message = str(raised.value)
    assert "backend.name" in message and "Did you mean 'openai'" in message
    assert "backend.concurrency" in message and "backend.timeout_s" in message
    with pytest.raises(ConfigError, match="backend.base_url"):
        BackendConfig(name="openai").check()
    BackendConfig().check()  # hf, the default, needs nothing
    BackendConfig(name="openai", base_url="http://127.0.0.1:8000/v1").check()


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_vllm_without_vllm_points_to_vllm_serve():
    with pytest.raises(ConfigError, match="vllm serve"):
        make_backend(BackendConfig(name="vllm", tensor_parallel_size=2), "some/model")


def test_make_backend_builds_the_registered_openai_backend_and_reports_usage():
    with StubEndpoint() as endpoint:
        config = BackendConfig(name="openai", base_url=endpoint.base_url, served_model="stub", concurrency=2)
        backend = make_backend(config, "/path/to/model", progress=False)
        assert isinstance(backend, OpenAIBackend) and backends.get("openai") is OpenAIBackend
        assert backend.describe()["served_model"] == "stub"
        conversations = [[{"role": "user", "content": f"hello {i}"}] for i in range(3)]
        assert (
            backend.generate(conversations, GenerationConfig(max_new_tokens=8))
            == ["I cannot tell.\nConclusion: wrong [END]"] * 3
        )
        done = backend.complete(conversations[0], GenerationConfig(max_new_tokens=8))
        assert done.prompt_tokens == 100 and done.completion_tokens == len(done.text.split())
    served_as_path = make_backend(BackendConfig(name="openai", base_url=endpoint.base_url), "/m", progress=False)
    assert served_as_path.model == "/m"


def test_a_failed_call_names_the_endpoint_and_not_the_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-SECRET-42")
    backend = OpenAIBackend("http://127.0.0.1:9/v1", "m", timeout_s=2.0, max_retries=0, progress=False)
    with pytest.raises(BackendError, match=r"http://127\.0\.0\.1:9/v1") as raised:
        backend.complete([{"role": "user", "content": "hi"}], GenerationConfig(max_new_tokens=4))
    assert "SECRET" not in str(raised.value) and "SECRET" not in str(backend.describe())


def test_the_stub_answers_its_own_bugs_with_a_500():
    """The stub must not hide a broken answer path: the client sees a 500 and the log says "error"."""
    with StubEndpoint() as endpoint:
        endpoint.answer = lambda messages: 1 / 0
        backend = OpenAIBackend(endpoint.base_url, "stub", max_retries=0, progress=False)
        with pytest.raises(BackendError, match="ZeroDivisionError"):
            backend.complete([{"role": "user", "content": "hi"}], GenerationConfig(max_new_tokens=4))
        assert ("?", "error") in endpoint.log
