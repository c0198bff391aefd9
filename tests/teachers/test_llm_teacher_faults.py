"""An LLM-teacher build against a fault-injecting endpoint on 127.0.0.1: nothing lost, nothing paid twice."""

import collections
import os
import signal
import subprocess
import sys
import time

import pytest

from cft_lib.data.builders import DataConfig, build_dataset
from cft_lib.teachers.config import TeacherConfig
from tests.support.openai_stub import StubEndpoint

pytestmark = pytest.mark.integration


def _config(base_url: str, size: int = 60) -> DataConfig:
    teacher = TeacherConfig(kind="llm", name="stub", model="stub", base_url=base_url, concurrency=8, timeout_s=1.0)
    return DataConfig(source="micro-web", variant="cft", size=size, teacher=teacher)


def _ok_per_key(endpoint: StubEndpoint) -> collections.Counter:
    return collections.Counter(key for key, outcome in endpoint.log if outcome == "ok")


def test_faults_change_nothing_and_no_answered_request_is_asked_again(tmp_path, monkeypatch):
    monkeypatch.setenv("CFT_HOME", str(tmp_path / "clean"))
    with StubEndpoint(latency_s=0.02) as clean:
        expected = build_dataset(_config(clean.base_url), progress=False).path.read_text()
    monkeypatch.setenv("CFT_HOME", str(tmp_path / "faulty"))
    with StubEndpoint(latency_s=0.02, fault_rate=0.3, slow_s=1.5, seed=1) as faulty:
        got = build_dataset(_config(faulty.base_url), progress=False).path.read_text()
    outcomes = collections.Counter(outcome for _, outcome in faulty.log)
    assert sum(outcomes.values()) - outcomes["ok"] >= 10  # faults really happened
    assert got == expected  # the same records as a fault-free build
    ok = _ok_per_key(faulty)
    assert len(ok) == 60 and max(ok.values()) == 1


def test_a_killed_build_resumes_without_paying_twice(tmp_path):
    env = dict(os.environ, CFT_HOME=str(tmp_path / "home"), MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'm.db'}")
    with StubEndpoint(latency_s=0.05, gate=25) as endpoint:
        command = [
            sys.executable,
            "-m",
            "cft_lib.cli",
            "build-data",
            "--variant",
            "cft",
            "--source",
            "micro-web",
            "--size",
            "60",
            "--teacher-model",
            "stub",
            "--teacher-base-url",
            endpoint.base_url,
            "--teacher-timeout",
            "5",
        ]
        first = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.time() + 120
        while endpoint.ok_count() < 25 and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # requests already past the gate finish and are stored; later ones are held
        answered = endpoint.ok_count()
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        assert 25 <= answered == endpoint.ok_count() < 60  # killed half way, nothing in flight
        endpoint.gate = None
        second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr[-2000:]
        ok = _ok_per_key(endpoint)
    assert sum(ok.values()) == 60 and len(ok) == 60  # exactly one paid answer per record that needed one
