"""Text originality: 8-word sequences shared between texts.

The sandbox's train and test splits must share no 8-word sequence, and no sandbox text may copy
one from the public benchmarks. The same measure screens paraphrases (:mod:`.augment`) against the
test split's templates and the benchmark data. Words are lower-cased runs of ``[a-z0-9']``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from toolsafe.sandbox.scenario import Split

SHINGLE_WORDS = 8
WORD = re.compile(r"[a-z0-9']+")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
BENCHMARK_SUFFIXES = (".json", ".jsonl", ".txt", ".csv")


def words(text: str) -> list[str]:
    """The lower-cased words of ``text``."""
    return WORD.findall(text.lower())


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[tuple[str, ...]]:
    """Every run of ``size`` consecutive words in ``text``."""
    found = words(text)
    return {tuple(found[i : i + size]) for i in range(len(found) - size + 1)}


def literal_parts(template: str) -> list[str]:
    """The fixed text of a ``str.format`` template, split where placeholders stand."""
    return [part for part in PLACEHOLDER.split(template) if part.strip()]


def template_texts(split: Split | None = None) -> Iterator[str]:
    """Every phrasing sandbox text is made from (attack styles, jailbreaks, domain templates).

    With ``split`` only that split's phrasings; placeholders are left in (see :func:`literal_parts`).
    """
    from toolsafe.sandbox.generate import load_domains
    from toolsafe.sandbox.templates import InjectionGoal, SensitiveContent
    from toolsafe.sandbox.threats import JAILBREAKS, STYLES

    wrappers = [style.phrasings for style in STYLES.values()]
    wrappers += [jailbreak.phrasings for jailbreak in JAILBREAKS.values()]
    for by_split in wrappers:
        for name, phrasings in by_split.items():
            if split is None or name == split:
                yield from phrasings
    for domain in load_domains():
        for template in domain.templates():
            if split is not None and template.split != split:
                continue
            if isinstance(template, InjectionGoal):
                yield template.instruction
            elif isinstance(template, SensitiveContent):
                yield template.text
            else:
                yield from template.prompts


def default_benchmark_dirs() -> list[Path]:
    """The public benchmark data on this machine: the shipped InjecAgent / Agent-SafetyBench copy
    (or ``$TOOLSAFE_DATA_DIR``) and BFCL's data when ``bfcl-eval`` is installed."""
    from toolsafe.benchmarks.base import data_dir

    found = [data_dir()]
    try:
        from toolsafe.benchmarks.bfcl.data import data_root

        found.append(data_root())
    except Exception:  # bfcl-eval is optional; without it there is no BFCL data to screen
        pass
    return [d for d in found if d.is_dir()]


def benchmark_files(dirs: Iterable[Path]) -> list[Path]:
    """The text-like data files (JSON, JSONL, TXT, CSV) under ``dirs``."""
    files: list[Path] = []
    for directory in dirs:
        if directory.is_dir():
            files += sorted(p for p in directory.rglob("*") if p.suffix in BENCHMARK_SUFFIXES and p.is_file())
    return files


class ShingleIndex:
    """A set of 8-word sequences, each remembered with a label of where it came from.

    Sequences are stored as 64-bit hashes in a sorted array (a few MB for the benchmark data);
    :meth:`shared` returns the first sequence of a text found in the index, with its label.
    """

    def __init__(self, size: int = SHINGLE_WORDS) -> None:
        self.size = size
        self.labels: list[str] = []
        self._pending: list[tuple[list[int], int]] = []
        self._hashes = np.empty(0, dtype=np.int64)
        self._sources = np.empty(0, dtype=np.int32)

    def add_text(self, text: str, label: str) -> None:
        """Index every sequence of ``text`` under ``label``."""
        self._add(words(text), label)

    def add_file(self, path: Path, label: str | None = None) -> None:
        """Index a data file's text (undecodable bytes are ignored)."""
        self._add(words(path.read_text(encoding="utf-8", errors="ignore")), label or path.name)

    def _add(self, found: list[str], label: str) -> None:
        if label not in self.labels:
            self.labels.append(label)
        hashes = [hash(tuple(found[i : i + self.size])) for i in range(len(found) - self.size + 1)]
        self._pending.append((hashes, self.labels.index(label)))

    def _freeze(self) -> None:
        if not self._pending:
            return
        hashes = [self._hashes, *(np.asarray(h, dtype=np.int64) for h, _ in self._pending)]
        sources = [self._sources, *(np.full(len(h), s, dtype=np.int32) for h, s in self._pending)]
        self._pending = []
        merged, first = np.unique(np.concatenate(hashes), return_index=True)
        self._hashes, self._sources = merged, np.concatenate(sources)[first]

    def __len__(self) -> int:
        self._freeze()
        return int(self._hashes.size)

    def shared(self, text: str) -> tuple[str, str] | None:
        """``(the shared words, label)`` for the first sequence of ``text`` in the index, else None."""
        self._freeze()
        found = words(text)
        windows = [tuple(found[i : i + self.size]) for i in range(len(found) - self.size + 1)]
        if not windows or not self._hashes.size:
            return None
        keys = np.asarray([hash(w) for w in windows], dtype=np.int64)
        where = np.minimum(np.searchsorted(self._hashes, keys), self._hashes.size - 1)
        hits = np.flatnonzero(self._hashes[where] == keys)
        if not hits.size:
            return None
        first = int(hits[0])
        return " ".join(windows[first]), self.labels[int(self._sources[where[first]])]


def split_index(split: Split, index: ShingleIndex | None = None) -> ShingleIndex:
    """Index the fixed text of every ``split`` phrasing (label ``<split> split templates``)."""
    index = index or ShingleIndex()
    for template in template_texts(split):
        for part in literal_parts(template):
            index.add_text(part, f"{split} split templates")
    return index


def benchmark_index(dirs: Iterable[Path] | None = None, index: ShingleIndex | None = None) -> ShingleIndex:
    """Index the public benchmark data files (label ``benchmark:<file name>``)."""
    index = index or ShingleIndex()
    for path in benchmark_files(default_benchmark_dirs() if dirs is None else dirs):
        index.add_file(path, f"benchmark:{path.name}")
    return index
