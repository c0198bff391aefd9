"""Who owns a RUNNING run, and whether that owner is still alive.

A run left RUNNING by a killed process is superseded (marked KILLED) when its work is started
again; a run whose process is alive, in another `cft ablation` or on a Ray worker, must not be.
Every run cft-lab opens records its owner as tags: host, pid and the process's start time (a pid
is reused; a pid with its start time is not), and a heartbeat it refreshes while it runs. On the
owner's own host the process table decides at once; from another host (a Ray cluster) the owner is
gone once its heartbeat is older than `HEARTBEAT_TIMEOUTS` intervals.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

import psutil

OWNER_HOST, OWNER_PID, OWNER_STARTED = "cft.owner.host", "cft.owner.pid", "cft.owner.started"
HEARTBEAT = "cft.heartbeat"  # unix seconds of the owner's last sign of life
HEARTBEAT_TIMEOUTS = 5  # intervals without a heartbeat before an owner on another host counts as gone


def heartbeat_interval_s() -> float:
    return float(os.environ.get("CFT_HEARTBEAT_S", "60"))


def owner_tags() -> dict[str, str]:
    """This process as a run's owner, and its first heartbeat."""
    started = psutil.Process().create_time()
    return {
        OWNER_HOST: socket.gethostname(),
        OWNER_PID: str(os.getpid()),
        OWNER_STARTED: f"{started:.2f}",
        HEARTBEAT: f"{time.time():.0f}",
    }


def owner_alive(tags: Mapping[str, str], now: float | None = None) -> bool:
    """Whether the process that owns a run (by its tags) may still be working on it.

    A run without owner tags was opened before owners were recorded: gone, as runs were then treated.
    """
    host, pid, started = tags.get(OWNER_HOST), tags.get(OWNER_PID), tags.get(OWNER_STARTED)
    if host is None or pid is None or started is None:
        return False
    if host == socket.gethostname():
        try:
            process = psutil.Process(int(pid))
            return abs(process.create_time() - float(started)) < 1.0 and process.status() != psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
            return False
    beat = float(tags.get(HEARTBEAT, "0") or 0)
    return (now if now is not None else time.time()) - beat < HEARTBEAT_TIMEOUTS * heartbeat_interval_s()


class Heartbeat:
    """Calls `beat(tags)` with a fresh heartbeat every interval, on a daemon thread, until stopped."""

    def __init__(self, beat: Callable[[dict[str, str]], None], interval_s: float | None = None) -> None:
        self._beat = beat
        self._interval = interval_s if interval_s is not None else heartbeat_interval_s()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cft-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._beat({HEARTBEAT: f"{time.time():.0f}"})
            except Exception:  # noqa: BLE001 - a missed beat (store busy) is retried at the next interval
                continue
