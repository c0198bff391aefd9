"""Content fingerprints: the same resolved inputs always give the same short hash.

Stages are content-addressed by these (a dataset by its inputs, a model by its data and training
config, an evaluation by model and eval config), so re-running reuses every finished stage.
Bump RECIPE_VERSION when a code change can change results for unchanged configs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

RECIPE_VERSION = "1"

# Field metadata for a knob added after fingerprints were in use: while it holds its default (the
# behaviour from before it existed) it is left out of the fingerprint, so finished work stays
# reusable; any other value enters the fingerprint as usual.
OMIT_IF_DEFAULT = {"fingerprint": "omit-if-default"}


def _is_default(f: dataclasses.Field, value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return value == f.default
    if f.default_factory is not dataclasses.MISSING:
        return value == f.default_factory()
    return False


def canonical(obj: Any) -> Any:
    """Turn dataclasses, paths and tuples into plain JSON values with a stable key order."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: canonical(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if not (
                f.metadata.get("fingerprint") == OMIT_IF_DEFAULT["fingerprint"] and _is_default(f, getattr(obj, f.name))
            )
        }
    if isinstance(obj, dict):
        return {str(k): canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def fingerprint(*parts: Any, length: int = 16) -> str:
    """Hash of the canonical JSON of `parts` and the recipe version."""
    payload = json.dumps([RECIPE_VERSION, canonical(list(parts))], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:length]


def file_fingerprint(path: str | Path, length: int = 16) -> str:
    """Hash of a file's bytes (data fingerprints logged with each run)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]
