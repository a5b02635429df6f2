"""A resumable results store: one JSON line per finished case, appended as it finishes.

A run directory holds ``run.json`` (what the run is: model, suite, split, seed …) and
``results.jsonl``. Re-running the same command resumes: finished case ids are skipped, so a run
killed at any point (SIGKILL included) loses nothing and duplicates nothing. A torn last line
(killed mid-write) is dropped on load and rewritten when that case runs again. A directory that
holds a different run is refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RESULTS = "results.jsonl"
MANIFEST = "run.json"
ERRORS = "errors.jsonl"


class RunMismatchError(ValueError):
    """The output directory already holds results of a different run."""


class ResultsStore:
    """Append-only JSONL store keyed by ``record["id"]``."""

    def __init__(self, out_dir: str | Path, manifest: dict[str, Any]) -> None:
        self.dir = Path(out_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / RESULTS
        self._check_manifest(manifest)
        self._done: dict[str, dict[str, Any]] = {}
        self._load()

    def _check_manifest(self, manifest: dict[str, Any]) -> None:
        path = self.dir / MANIFEST
        if path.exists():
            try:
                existing = json.loads(path.read_text())
            except json.JSONDecodeError:
                existing = None
            if existing != manifest:
                differing = sorted(
                    k
                    for k in set(manifest) | set(existing or {})
                    if (existing or {}).get(k) != manifest.get(k)
                )
                raise RunMismatchError(
                    f"{self.dir} holds a different run (differs in: {', '.join(differing) or 'manifest'}); "
                    "use another --out or delete it"
                )
        else:
            _atomic_write(path, json.dumps(manifest, indent=2, sort_keys=True))

    def _load(self) -> None:
        if not self.path.exists():
            return
        raw = self.path.read_bytes()
        good_end = 0
        for line in raw.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # torn final line from a killed writer
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                break
            self._done.setdefault(str(record["id"]), record)
            good_end += len(line)
        if good_end != len(raw):
            with self.path.open("r+b") as handle:
                handle.truncate(good_end)

    def __contains__(self, case_id: str) -> bool:
        return case_id in self._done

    def __len__(self) -> int:
        return len(self._done)

    def records(self) -> list[dict[str, Any]]:
        """All records, in the order they were first written."""
        return list(self._done.values())

    def add(self, record: dict[str, Any]) -> None:
        """Append one finished case (ignored if its id is already stored)."""
        case_id = str(record["id"])
        if case_id in self._done:
            return
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        self._done[case_id] = record

    def log_error(self, case_id: str, error: str) -> None:
        """Record a failed attempt; the case stays pending and is retried on the next run."""
        with (self.dir / ERRORS).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"id": case_id, "error": error}) + "\n")


def read_results(out_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Read the records of a run directory (for reports)."""
    path = Path(out_dir) / RESULTS
    if not path.exists() and (Path(out_dir) / MANIFEST).exists():
        return  # a run whose cases all failed so far
    if not path.exists():
        raise FileNotFoundError(f"{path}: no results here; run `toolsafe eval --out {out_dir}` first")
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.endswith("\n"):
                yield json.loads(line)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class MemoryStore:
    """An in-memory store with the same interface, for runs that need no files (audits, tests)."""

    def __init__(self) -> None:
        self._done: dict[str, dict[str, Any]] = {}
        self.errors: dict[str, str] = {}

    def __contains__(self, case_id: str) -> bool:
        return case_id in self._done

    def __len__(self) -> int:
        return len(self._done)

    def records(self) -> list[dict[str, Any]]:
        return list(self._done.values())

    def add(self, record: dict[str, Any]) -> None:
        self._done.setdefault(str(record["id"]), record)

    def log_error(self, case_id: str, error: str) -> None:
        self.errors[case_id] = error
