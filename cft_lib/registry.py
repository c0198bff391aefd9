"""Named registries (benchmarks, sources, teachers, backends, methods) filled by decorators.

A spec speaks the paper's vocabulary; registries map those names to code. An unknown name raises
a ConfigError that lists what is available and suggests the closest match. An entry whose module is
heavy (torch, transformers, vllm, openai) is added lazily as "module.path:attr" and imported on its
first `get`, so listing or checking names never loads it.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from cft_lib.errors import ConfigError

T = TypeVar("T")


def unknown_name_message(kind: str, name: str, available: list[str]) -> str:
    """Say that `name` is not a known `kind`, suggest the nearest names and list all of them."""
    close = difflib.get_close_matches(name, available, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown {kind} {name!r}.{hint} Available: {', '.join(sorted(available))}"


class Registry(Generic[T]):
    """A name → object map with a decorator for registration and helpful lookup errors."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._lazy: dict[str, str] = {}  # name -> "module.path:attr", imported on first get()

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            if name in self:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._items[name] = obj
            return obj

        return decorate

    def add(self, name: str, obj: T) -> None:
        self.register(name)(obj)

    def add_lazy(self, name: str, target: str) -> None:
        """Register `name` as "module.path:attr", imported only when `get(name)` first asks for it."""
        module, sep, attr = target.partition(":")
        if not sep or not module or not attr:
            raise ValueError(f"{self.kind} {name!r}: lazy target must read 'module.path:attr', got {target!r}")
        if name in self:
            raise ValueError(f"{self.kind} {name!r} registered twice")
        self._lazy[name] = target

    def get(self, name: str) -> T:
        target = self._lazy.get(name)
        if target is not None:  # an ImportError propagates and leaves the entry lazy
            module, _, attr = target.partition(":")
            self._items[name] = getattr(importlib.import_module(module), attr)
            self._lazy.pop(name, None)
        if name not in self._items:
            raise ConfigError(unknown_name_message(self.kind, name, self.names()))
        return self._items[name]

    def names(self) -> list[str]:
        return sorted([*self._items, *self._lazy])

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
