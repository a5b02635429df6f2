"""What every public-benchmark module provides: load → run → score, with stable case ids."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from toolsafe.models.base import ChatModel

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
        """Load cases (all of them, or the first ``limit`` in id order)."""
        ...

    def run(self, model: ChatModel, cases: Sequence[BenchCase], batch_size: int = 8) -> Iterator[BenchResult]:
        """Run cases through ``model`` (batched), yielding each result as soon as it is final."""
        ...

    def score(self, results: Sequence[BenchResult]) -> dict[str, Any]:
        """The benchmark's official metrics (and toolsafe's extra columns, named apart)."""
        ...
