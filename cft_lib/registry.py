"""Named registries (benchmarks, sources, teachers, backends, methods) filled by decorators.

A spec speaks the paper's vocabulary; registries map those names to code. An unknown name raises
a ConfigError that lists what is available and suggests the closest match.
"""

from __future__ import annotations

import difflib
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

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._items[name] = obj
            return obj

        return decorate

    def add(self, name: str, obj: T) -> None:
        self.register(name)(obj)

    def get(self, name: str) -> T:
        if name not in self._items:
            raise ConfigError(unknown_name_message(self.kind, name, list(self._items)))
        return self._items[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))
