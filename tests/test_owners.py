"""A RUNNING run is superseded only when its owner is gone: a live process's runs are left to it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from cft_lib.owners import HEARTBEAT, OWNER_HOST, OWNER_PID, OWNER_STARTED, Heartbeat, owner_alive, owner_tags


def _dead_process_tags() -> dict[str, str]:
    """The owner tags of a process that has exited (its pid may be reused; its start time is not)."""
    child = subprocess.run(
        [sys.executable, "-c", "from cft_lib.owners import owner_tags; import json; print(json.dumps(owner_tags()))"],
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    return json.loads(child.stdout)


def test_this_process_is_alive_and_an_exited_one_is_not():
    assert owner_alive(owner_tags())
    dead = _dead_process_tags()
    assert int(dead[OWNER_PID]) != os.getpid()
    assert not owner_alive(dead)


def test_a_reused_pid_with_another_start_time_is_not_the_owner():
    tags = owner_tags() | {OWNER_STARTED: f"{float(owner_tags()[OWNER_STARTED]) - 3600:.2f}"}
    assert not owner_alive(tags)


def test_an_owner_on_another_host_is_judged_by_its_heartbeat(monkeypatch):
    monkeypatch.setenv("CFT_HEARTBEAT_S", "10")
    remote = {OWNER_HOST: "some-other-node", OWNER_PID: "1", OWNER_STARTED: "0"}
    now = time.time()
    assert owner_alive(remote | {HEARTBEAT: f"{now - 20:.0f}"}, now=now)  # two beats late: still alive
    assert not owner_alive(remote | {HEARTBEAT: f"{now - 60:.0f}"}, now=now)  # five missed: gone


def test_a_run_without_owner_tags_counts_as_gone():
    assert not owner_alive({})


def test_the_heartbeat_beats_until_stopped():
    beats: list[dict[str, str]] = []
    with Heartbeat(beats.append, interval_s=0.05):
        time.sleep(0.4)
    count = len(beats)
    time.sleep(0.2)
    assert count >= 3 and len(beats) == count
    assert all(HEARTBEAT in b for b in beats)


def test_only_runs_of_gone_owners_are_superseded(store_uri):
    from mlflow import MlflowClient

    from cft_lib.ablation.store import supersede_unfinished
    from cft_lib.tracking import tracked_run

    client = MlflowClient(store_uri)
    key = f"owners-{time.time_ns()}"
    with tracked_run("cft/owners", "live", {"cft.fingerprint": key}) as live:
        orphan = client.create_run(
            client.get_experiment_by_name("cft/owners").experiment_id,
            tags={"cft.fingerprint": key} | _dead_process_tags(),
        ).info.run_id
        assert supersede_unfinished(f"tags.`cft.fingerprint` = '{key}'") == 1
        assert client.get_run(orphan).info.status == "KILLED"
        assert client.get_run(live.run_id).info.status == "RUNNING"  # its owner (this test) is alive
        assert client.get_run(live.run_id).data.tags[OWNER_PID] == str(os.getpid())
    assert client.get_run(live.run_id).info.status == "FINISHED"
