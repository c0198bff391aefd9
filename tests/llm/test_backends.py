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


def test_openai_raw_prompts_use_completions_and_stop_token_ids_are_sent_only_when_set():
    from cft_lib.llm.base import raw_message

    with StubEndpoint() as endpoint:
        backend = OpenAIBackend(endpoint.base_url, "stub", max_retries=0, progress=False)
        raw = "User: hello\nPlease reason step by step.\n\nAssistant:"
        conversations = [[raw_message(raw)], [{"role": "user", "content": "hello"}]]
        texts = backend.generate(
            conversations, GenerationConfig(max_new_tokens=8, stop=("[END]",), stop_token_ids=(7,))
        )
        assert texts == ["I cannot tell.\nConclusion: wrong [END]"] * 2
        backend.generate(conversations[:1], GenerationConfig(max_new_tokens=8))
    sent = {path: body for path, body in endpoint.requests[:2]}
    assert set(sent) == {"/v1/completions", "/v1/chat/completions"}
    assert sent["/v1/completions"]["prompt"] == raw and "messages" not in sent["/v1/completions"]
    assert all(body["stop"] == ["[END]"] and body["stop_token_ids"] == [7] for body in sent.values())
    path, plain = endpoint.requests[2]
    assert path == "/v1/completions" and "stop_token_ids" not in plain and "stop" not in plain


def _random_tiny_backend(chat_template: bool = True):
    """A randomly initialised tiny Qwen3 model (no training: seconds) behind the hf backend."""
    import torch

    from cft_lib.llm.hf import HFBackend
    from cft_lib.models.tiny import TinyArchitecture, init_tiny_model
    from cft_lib.models.tokenizer import build_tokenizer, collect_vocabulary

    texts = ["User: Tom has 3 apples and buys 4 more. How many apples?\nPlease reason step by step.\n\nAssistant:"]
    tokenizer = build_tokenizer(collect_vocabulary(texts + ["system\nuser\nassistant"]))
    if not chat_template:
        tokenizer.chat_template = None  # as DeepSeek-Math-7B base: no chat template at all
    arch = TinyArchitecture(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2)
    model = init_tiny_model(tokenizer, arch, seed=0)
    with torch.no_grad():  # large weights: greedy decoding wanders instead of repeating one token
        for parameter in model.parameters():
            parameter.normal_(0.0, 1.0)
    return HFBackend(model, tokenizer, progress=False), texts[0]


def _greedy_ids(backend, text: str, n: int) -> list[int]:
    import torch

    ids = torch.tensor([backend.tokenizer(text, add_special_tokens=True)["input_ids"]])
    out = backend.model.generate(input_ids=ids, max_new_tokens=n, do_sample=False, eos_token_id=None, top_k=None)
    return out[0, ids.shape[1] :].tolist()


def test_hf_raw_prompt_is_the_text_itself_and_needs_no_chat_template():
    from cft_lib.llm.base import raw_message

    backend, text = _random_tiny_backend(chat_template=False)
    assert backend.render([raw_message(text)]) == text
    [output] = backend.generate([[raw_message(text)]], GenerationConfig(max_new_tokens=6))
    assert output == backend.tokenizer.decode(_greedy_ids(backend, text, 6), skip_special_tokens=True)
    with pytest.raises(ValueError, match="chat template"):  # a chat needs the template this model lacks
        backend.generate([[{"role": "user", "content": text}]], GenerationConfig(max_new_tokens=2))
    with pytest.raises(ValueError, match="raw prompt is one message"):
        backend.render([raw_message(text), {"role": "user", "content": "more"}])


def test_hf_stops_on_stop_token_ids_and_cuts_stop_strings():
    from cft_lib.llm.base import raw_message

    backend, text = _random_tiny_backend()
    ids = _greedy_ids(backend, text, 12)
    # the token whose first appearance comes last: stopping on it must end the output there
    firsts = [i for i, token in enumerate(ids) if token not in ids[:i]]
    at = firsts[-1]
    assert at > 0, ids  # the random model does not repeat one token forever (else the test is void)
    decode = backend.tokenizer.decode
    conversation = [[raw_message(text)]]
    stopped = backend.generate(conversation, GenerationConfig(max_new_tokens=12, stop_token_ids=(ids[at],)))
    assert stopped == [decode(ids[: at + 1], skip_special_tokens=True)]  # the stop token stays, as in vLLM
    full = decode(ids, skip_special_tokens=True)
    piece = decode(ids[at : at + 1]).strip() or decode(ids[at : at + 1])
    cut = backend.generate(conversation, GenerationConfig(max_new_tokens=12, stop=(piece,)))
    assert cut == [full[: full.index(piece)]]  # the stop string and what follows are cut, as in vLLM
    import torch

    from cft_lib.llm.hf import StopOnStrings

    rows = torch.tensor([[0, *ids[: at + 1]], [0, 0, *ids[:at]]])  # a prompt (pad) token, then the completion
    flags = StopOnStrings(backend.tokenizer, (decode(ids[at : at + 1]),), prompt_width=1)(rows, None)
    assert flags.tolist() == [True, decode(ids[at : at + 1]) in decode(ids[:at])]  # generation itself stops
