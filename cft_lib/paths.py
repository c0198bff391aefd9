"""Where cft-lab keeps built artifacts (datasets, models): content-addressed, reusable.

`CFT_HOME` (default: ./.cft in the working directory, next to mlflow.db) holds
  data/<variant>-<source>-<fingerprint>/  built training sets
  models/tiny-base-<fingerprint>/  tiny base models     models/<method>-<fingerprint>/  fine-tuned models
A directory counts as finished only once its DONE marker exists, so a crash mid-build is never
mistaken for a result. A build holds `<dir>.lock` (`building`), so two processes that need the same
artifact build it once: the second waits, then finds it done. The locks are `flock`s: they hold
between processes on one machine, and across machines on a shared file system that supports them
(NFSv4, Lustre, CephFS).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

DONE = "DONE"
log = logging.getLogger(__name__)


def cft_home() -> Path:
    return Path(os.environ.get("CFT_HOME", ".cft")).resolve()


def ablations_dir() -> Path:
    """ablations/ of the working directory if present, else the one shipped beside cft_lib."""
    local = Path("ablations")
    return local if local.is_dir() else Path(__file__).resolve().parent.parent / "ablations"


def artifact_dir(kind: str, key: str) -> Path:
    return cft_home() / kind / key


def is_done(path: Path) -> bool:
    return (path / DONE).exists()


def mark_done(path: Path, info: dict[str, Any]) -> None:
    (path / DONE).write_text(json.dumps(info, indent=2, default=str))


def read_done(path: Path) -> dict[str, Any]:
    return json.loads((path / DONE).read_text())


def fresh_dir(path: Path, keep: tuple[str, ...] = ()) -> Path:
    """An empty directory at `path`: leftovers of an unfinished build are removed, except `keep`."""
    if path.exists():
        for child in path.iterdir():
            if child.name not in keep:
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    path.mkdir(parents=True, exist_ok=True)
    return path


def lock_path(path: Path) -> Path:
    """The lock file of the artifact directory (or other name) `path`: beside it, never inside it."""
    return path.with_name(path.name + ".lock")


@contextmanager
def building(path: Path, what: str | None = None) -> Iterator[None]:
    """Held while `path` is built; another process building the same path waits here (and says so).

    Callers check `is_done(path)` again once inside: the process they waited for may have built it.
    Not reentrant: never nest two `building` blocks on the same path.
    """
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path(path)))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("waiting for another process to finish %s (%s)", what or path.name, lock.lock_file)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def build_once(path: Path, what: str, build: Callable[[], T], reuse: Callable[[], T]) -> T:
    """`reuse()` if `path` is finished, else `build()` holding its lock; a process that waited for the
    lock reuses what the other one built."""
    if is_done(path):
        return reuse()
    with building(path, what):
        if is_done(path):  # built by the process this one waited for
            return reuse()
        return build()


def sqlite_file(url: str) -> Path | None:
    """The file of a `sqlite:///PATH` URL (relative to this directory if PATH is), else None (a server)."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///")).resolve()


@contextmanager
def opening_store(url: str) -> Iterator[None]:
    """Held while a database store is first opened: opening a new SQLite file creates its tables, and two
    processes doing that at once (two `cft ablation`s, Ray workers) break its schema. A server: no lock."""
    from filelock import FileLock

    path = sqlite_file(url)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock_path(path))):
        yield
