"""A persistent cache of teacher calls: a paid request is never made twice.

Keyed by the SHA-256 of (model, messages, sampling). SQLite in WAL mode: every finished call is
committed at once, so neither a rerun nor a crash repeats it, and several threads (bounded
concurrency) may write. The API key is not part of the key and is never stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any


def request_key(model: str, messages: list[dict[str, str]], sampling: dict[str, Any]) -> str:
    payload = json.dumps({"model": model, "messages": messages, "sampling": sampling}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


class CallCache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connection() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, response TEXT NOT NULL, "
                "prompt_tokens INTEGER, completion_tokens INTEGER)"
            )

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    def get(self, key: str) -> str | None:
        row = self._connection().execute("SELECT response FROM calls WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, response: str, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        with self._connection() as db:
            db.execute(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?)", (key, response, prompt_tokens, completion_tokens)
            )

    def usage(self) -> dict[str, int]:
        calls, prompt, completion = (
            self._connection()
            .execute("SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0) FROM calls")
            .fetchone()
        )
        return {"cached_calls": calls, "prompt_tokens": prompt, "completion_tokens": completion}
