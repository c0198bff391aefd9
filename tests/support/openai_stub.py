"""A deterministic OpenAI-compatible endpoint on 127.0.0.1, for tests and benchmarks (not part of cft_lib).

It answers /v1/chat/completions with the micro-world oracle's critique of the request's
question and solution (so answers are meaningful and reproducible), and /v1/completions (raw
prompts) the same way with the prompt as the user turn, after `latency_s`; `requests` keeps every
request's path and body (what a backend sent: stop strings, stop token ids). It can
inject faults on a deterministic `fault_rate` share of attempts: 429, 500, a dropped connection,
or an answer slower than the client's timeout. Every attempt is logged with its request key and
outcome; "ok" means an answer was delivered. A `gate` holds every request after that many "ok"
answers (to stop a client at a known point). This is a real HTTP server, not a mock client.
An unexpected error while answering is a 500 with the error's text (logged as "error"), never silence.

    from tests.support.openai_stub import StubEndpoint   # tests: `python -m pytest` from the repo root
    with StubEndpoint(latency_s=0.05, fault_rate=0.3) as endpoint:
        ...  # point an OpenAI client at endpoint.base_url
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cft_lib.errors import DataError

FAULTS = ("429", "500", "drop", "slow")
_QUESTION_RE = re.compile(r"Question: (.*?)\n\nSolution: (.*)\n$", re.DOTALL)


class StubEndpoint:
    """The server, started and stopped as a context manager; `log` holds every attempt's outcome."""

    def __init__(
        self,
        latency_s: float = 0.0,
        fault_rate: float = 0.0,
        slow_s: float = 3.0,
        gate: int | None = None,
        seed: int = 0,
    ) -> None:
        self.latency_s, self.fault_rate, self.slow_s, self.gate, self.seed = latency_s, fault_rate, slow_s, gate, seed
        self.log: list[tuple[str, str]] = []  # (request key, outcome)
        self.requests: list[tuple[str, dict]] = []  # (path, JSON body) of every request, in arrival order
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        from cft_lib.teachers.oracle import OracleTeacher  # the micro-world's answers, loaded with the server

        self._oracle = OracleTeacher(0.0)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def ok_count(self) -> int:
        with self._lock:
            return sum(1 for _, outcome in self.log if outcome == "ok")

    def __enter__(self) -> StubEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.gate = None
        self._server.shutdown()
        self._server.server_close()

    def answer(self, messages: list[dict[str, str]]) -> str:
        """The oracle's critique of a micro-world question and solution; a fixed reply to anything else."""
        match = _QUESTION_RE.search(messages[-1]["content"])
        if match:
            try:
                return self._oracle.critique(match.group(1), match.group(2)) + " [END]"
            except DataError:  # not a micro-world question: the oracle cannot read it
                pass
        return "I cannot tell.\nConclusion: wrong [END]"

    def _decide(self, key: str) -> str:
        with self._lock:
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
        rng = random.Random(f"{self.seed}:{key}:{attempt}")
        return rng.choice(FAULTS) if rng.random() < self.fault_rate else "ok"

    def _handler(self):
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                return None

            def do_POST(self) -> None:  # http.server calls do_<METHOD>
                try:
                    self._answer()
                except OSError:  # the client went away (it timed out or was killed): nothing to answer
                    endpoint._record("?", "lost")
                except Exception as exc:  # a bug here must show: a 500 the client sees, and the traceback
                    traceback.print_exc(file=sys.stderr)
                    endpoint._record("?", "error")
                    try:
                        self._send(500, {"error": {"message": f"stub server error: {type(exc).__name__}: {exc}"}})
                    except OSError:
                        pass  # the client is gone; the traceback above says what happened

            def _answer(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with endpoint._lock:
                    endpoint.requests.append((self.path, body))
                completion = self.path.rstrip("/").endswith("/v1/completions")  # a raw prompt, no chat
                messages = [{"role": "user", "content": body["prompt"]}] if completion else body.get("messages", [])
                key = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()[:16]
                while endpoint.gate is not None and endpoint.ok_count() >= endpoint.gate:
                    time.sleep(0.05)
                outcome = endpoint._decide(key)
                if outcome == "drop":
                    endpoint._record(key, "drop")
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if outcome in ("429", "500"):
                    endpoint._record(key, outcome)
                    self._send(int(outcome), {"error": {"message": f"injected {outcome}"}})
                    return
                time.sleep(endpoint.slow_s if outcome == "slow" else endpoint.latency_s)
                text = endpoint.answer(messages)
                choice: dict = {"index": 0, "finish_reason": "stop"}
                choice |= (
                    {"text": text, "logprobs": None}
                    if completion
                    else {"message": {"role": "assistant", "content": text}}
                )
                reply = {
                    "id": key,
                    "object": "text_completion" if completion else "chat.completion",
                    "created": 0,
                    "model": body.get("model", ""),
                    "choices": [choice],
                    "usage": {
                        "prompt_tokens": 100,
                        "completion_tokens": len(text.split()),
                        "total_tokens": 100 + len(text.split()),
                    },
                }
                try:
                    self._send(200, reply)
                    # a slow answer reaches no one: the client gave up before it was written
                    endpoint._record(key, "slow" if outcome == "slow" else "ok")
                except OSError:
                    endpoint._record(key, "lost")

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _record(self, key: str, outcome: str) -> None:
        with self._lock:
            self.log.append((key, outcome))
