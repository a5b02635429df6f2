"""What every public-benchmark module provides: load → run → score, with stable case ids."""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from toolsafe.models.base import ChatModel, ChatRequest, ChatResponse

DATA_ENV = "TOOLSAFE_DATA_DIR"
"""Environment variable pointing at a folder holding ``injecagent/`` and ``agent-safetybench/``."""


class BenchDataError(FileNotFoundError):
    """A benchmark file is missing or corrupt; the message names the file."""


def data_dir(override: str | Path | None = None) -> Path:
    """Where benchmark data lives: ``override``, else ``$TOOLSAFE_DATA_DIR``, else the shipped copy."""
    if override is not None:
        return Path(override)
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return Path(str(resources.files("toolsafe.benchmarks").joinpath("data")))


T = TypeVar("T")


def stratified_slice(items: Sequence[T], stratum: Callable[[T], Hashable], limit: int | None) -> list[T]:
    """At most ``limit`` of ``items`` (all when None), spread over strata; returned in input order.

    The strata are visited round-robin in order of first appearance, one case each per round, so
    any ``limit`` of at least the number of strata covers every stratum. Within a stratum, cases are
    taken in bit-reversal order of their positions (first, middle, quarters, ...), so a few cases
    still span the stratum's id range rather than its first block. The choice is deterministic and
    nested: a smaller slice is contained in a larger one, so a grown ``--limit`` resumes a run.
    """
    if limit is None:
        return list(items)
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    groups: dict[Hashable, list[int]] = {}
    for position, item in enumerate(items):
        groups.setdefault(stratum(item), []).append(position)
    queues = [[members[i] for i in _spread_order(len(members))] for members in groups.values()]
    picked: list[int] = []
    for round_ in range(max((len(queue) for queue in queues), default=0)):
        for queue in queues:
            if round_ < len(queue) and len(picked) < limit:
                picked.append(queue[round_])
    return [items[position] for position in sorted(picked)]


def _spread_order(n: int) -> list[int]:
    """``0..n-1`` in bit-reversal order: every prefix is spread evenly over the range."""
    bits = max(1, (n - 1).bit_length())
    reversed_ = (int(format(i, f"0{bits}b")[::-1], 2) for i in range(1 << bits))
    return [i for i in reversed_ if i < n]


class BenchCase(BaseModel):
    """One benchmark case ready to run: the messages and tools the model sees first, plus metadata."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    """Stable id, e.g. ``injecagent/dh/base/17``; replay files and results join on it."""
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)


class BenchResult(BaseModel):
    """One finished case: the model outputs, the per-case label, and what the scorer needs."""

    model_config = ConfigDict(extra="forbid")

    case_id: str
    bench: str
    outputs: list[str] = Field(default_factory=list)
    """Raw model outputs in order (tagged text, or an assistant message as JSON)."""
    messages: list[dict[str, Any]] = Field(default_factory=list)
    """The full transcript, OpenAI format."""
    label: str = ""
    """The per-case verdict, e.g. ``succ``/``unsucc``/``invalid`` or ``pass``/``fail``."""
    meta: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class Benchmark(Protocol):
    """A public benchmark adapter."""

    name: str

    def load(self, data: Path | None = None, limit: int | None = None) -> list[BenchCase]:
        """Load cases: all of them, or a :func:`stratified_slice` of at most ``limit``."""
        ...

    def run(self, model: ChatModel, cases: Sequence[BenchCase], batch_size: int = 8) -> Iterator[BenchResult]:
        """Run cases through ``model`` (batched), yielding each result as soon as it is final."""
        ...

    def score(self, results: Sequence[BenchResult]) -> dict[str, Any]:
        """The benchmark's official metrics (and toolsafe's extra columns, named apart)."""
        ...


class Episode(Protocol):
    """One case in progress: it asks for model turns until it is finished."""

    def request(self) -> ChatRequest | None:
        """The next request for the model, or None once the case is finished."""
        ...

    def observe(self, response: ChatResponse) -> None:
        """Take the model's answer to the last request."""
        ...

    def result(self) -> BenchResult:
        """The finished case."""
        ...


def drive(model: ChatModel, episodes: Iterable[Episode], batch_size: int = 8) -> Iterator[BenchResult]:
    """Run episodes with one batched ``model.generate`` per step over the active ones.

    At most ``batch_size`` episodes are active at once; each result is yielded as soon as its
    episode finishes, so the order follows completion, not input.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    pending = iter(episodes)
    active: list[tuple[Episode, ChatRequest]] = []
    exhausted = False
    while True:
        while not exhausted and len(active) < batch_size:
            episode = next(pending, None)
            if episode is None:
                exhausted = True
                break
            request = episode.request()
            if request is None:
                yield episode.result()
            else:
                active.append((episode, request))
        if not active:
            return
        responses = model.generate([request for _, request in active])
        if len(responses) != len(active):
            raise ValueError(
                f"model {model.name!r} returned {len(responses)} responses for {len(active)} requests"
            )
        still_active: list[tuple[Episode, ChatRequest]] = []
        for (episode, _), response in zip(active, responses, strict=True):
            episode.observe(response)
            follow_up = episode.request()
            if follow_up is None:
                yield episode.result()
            else:
                still_active.append((episode, follow_up))
        active = still_active
