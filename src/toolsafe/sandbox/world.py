"""Worlds: deterministic, lazily built, snapshot-able state for the simulated tools.

Each domain declares its state as a dataclass decorated with :func:`state`, with a
``build(ctx)`` classmethod that creates it from a seeded :class:`BuildContext`. A
:class:`World` builds a state the first time a tool (or a check) asks for it, so a reset costs
only what the episode touches. Tools receive states by signature (see
:mod:`toolsafe.sandbox.tools`).
"""

from __future__ import annotations

import copy
import dataclasses
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

S = TypeVar("S")

_STATE_CLASSES: dict[str, type] = {}


class StateClass(Protocol):
    """What :func:`state` requires of a domain state class."""

    @classmethod
    def build(cls, ctx: BuildContext) -> Any: ...


def state(name: str) -> Callable[[type[S]], type[S]]:
    """Register a dataclass as a world state under ``name`` (its key in snapshots)."""

    def decorate(cls: type[S]) -> type[S]:
        if not dataclasses.is_dataclass(cls) or not hasattr(cls, "build"):
            raise TypeError(f"{cls.__name__}: a state must be a dataclass with a build(ctx) classmethod")
        if name in _STATE_CLASSES and _STATE_CLASSES[name] is not cls:
            raise TypeError(f"state name {name!r} is registered twice")
        _STATE_CLASSES[name] = cls
        cls.__state_name__ = name  # type: ignore[attr-defined]
        return cls

    return decorate


def is_state_class(cls: type) -> bool:
    """Whether ``cls`` was registered with :func:`state`."""
    return getattr(cls, "__state_name__", None) in _STATE_CLASSES


def state_class(name: str) -> type:
    """The state class registered under ``name``; ``KeyError`` names the known states."""
    try:
        return _STATE_CLASSES[name]
    except KeyError:
        raise KeyError(f"unknown state {name!r}; known: {', '.join(sorted(_STATE_CLASSES))}") from None


def state_names() -> list[str]:
    """Every registered state name (import :mod:`toolsafe.sandbox.domains` first)."""
    return sorted(_STATE_CLASSES)


def state_name(cls: type) -> str:
    """The registered name of a state class."""
    return cast(str, cls.__state_name__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class BuildContext:
    """What a state's ``build`` gets: a private RNG and the world's shared facts."""

    rng: random.Random
    world: World

    @property
    def pool(self) -> str:
        """Entity pool (``train`` or ``test``): splits draw names and values from disjoint pools."""
        return self.world.pool


class World:
    """One episode's world. Deterministic given ``(seed, pool)``; states are built on first use."""

    def __init__(self, seed: int, pool: str = "train") -> None:
        self.seed = seed
        self.pool = pool
        self._states: dict[type, Any] = {}
        self.facts: dict[str, Any] = {}
        """Shared facts states may publish for each other (e.g. the user's own name and email)."""

    def get(self, cls: type[S]) -> S:
        """The live state of class ``cls``, built on first access."""
        found = self._states.get(cls)
        if found is None:
            name = state_name(cls)
            rng = random.Random(zlib.crc32(f"{self.seed}:{self.pool}:{name}".encode()))
            found = cls.build(BuildContext(rng, self))  # type: ignore[attr-defined]
            self._states[cls] = found
        return cast(S, found)

    def built(self) -> dict[str, Any]:
        """The states built so far, by name."""
        return {state_name(cls): value for cls, value in self._states.items()}

    def snapshot(self) -> dict[str, Any]:
        """A deep, JSON-friendly copy of every built state."""
        return {name: _plain(value) for name, value in sorted(self.built().items())}

    def copy(self) -> World:
        """An independent deep copy (for what-if checks)."""
        clone = World(self.seed, self.pool)
        clone._states = copy.deepcopy(self._states)
        clone.facts = copy.deepcopy(self.facts)
        return clone


_SCALAR_TYPES = (str, int, float, bool, type(None))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    if isinstance(value, _SCALAR_TYPES):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    cls = type(value)
    names = _FIELD_NAMES.get(cls)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    return value


@dataclass(frozen=True)
class Change:
    """One difference between two snapshots: a path and the values before and after."""

    path: str
    before: Any
    after: Any


_MISSING = object()


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Every leaf that differs between two snapshots (added and removed keys included)."""
    changes: list[Change] = []
    _diff(before, after, "", changes)
    return changes


def _diff(a: Any, b: Any, path: str, out: list[Change]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            _diff(a.get(key, _MISSING), b.get(key, _MISSING), f"{path}.{key}" if path else str(key), out)
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{path}[{i}]", out)
        return
    if a != b:
        out.append(Change(path, None if a is _MISSING else a, None if b is _MISSING else b))
