"""Paraphrase augmentation of sandbox scenarios through any chat model (an OpenAI-compatible endpoint).

For each scenario the model is asked, in one request per text, for ``k`` paraphrases of the user
prompt and of the injected text (when there is one), as a JSON array. Every paraphrase then passes
four filters, each counted:

1. **validity** — a string, not empty, at most ``max_length_ratio`` × the original's length, no
   protocol tags, not a refusal, and every value the scenario depends on kept verbatim
   (:func:`toolsafe.sandbox.paraphrase.required_values`);
2. **dedup** — not the original or an earlier paraphrase again (same lower-cased words), and not a
   near-duplicate of them (word 3-gram Jaccard above ``near_duplicate``);
3. **contamination** — no 8-word sequence shared with the test split's templates or the public
   benchmark data (:mod:`toolsafe.sandbox.originality`);
4. **class balance** — over the whole output, each taxonomy cell keeps the share it had in the
   input (``balance="input"``), or all cells get the same count (``"equal"``), by seeded
   downsampling; ``"none"`` keeps everything. A cell for which no paraphrase survived is reported
   and left out rather than emptying the output.

Variant ``i`` of scenario ``X`` is ``X~p<i>``: its ``i``-th surviving prompt paraphrase and its
``i``-th surviving injection paraphrase (the original where one text has fewer survivors), with
``augmentation`` recording the parent and what changed. Everything else — labels, tools, plan,
checks, world seed, the injection's slot and goal — is the parent's, so every check still works.

Replies that are not JSON, hold the wrong count, refuse or were cut off are data: counted and
rejected. Requests that fail (timeouts, HTTP errors after the backend's retries) leave their
scenario pending for the next run. Progress is journaled one line per finished scenario beside
the output (``<out stem>.journal.jsonl``), so a killed run re-run with the same output continues
where it stopped; the balanced output is rewritten at the end of every run.
"""

from __future__ import annotations

import json
import os
import random
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from toolsafe.models.base import ChatModel, ChatRequest, ChatResponse
from toolsafe.sandbox.originality import ShingleIndex, benchmark_index, split_index
from toolsafe.sandbox.paraphrase import (
    Target,
    invalid_reason,
    max_tokens_for,
    ngram_jaccard,
    normalised,
    parse_reply,
    request_messages,
    targets,
)
from toolsafe.sandbox.scenario import Augmentation, Scenario

BATCH_PER_REQUEST_SLOT = 4
"""Scenarios sent together per unit of concurrency (a batch waits for its slowest reply)."""

Balance = Literal["input", "equal", "none"]
BALANCE_MODES: tuple[Balance, ...] = ("input", "equal", "none")


class AugmentError(ValueError):
    """Augmentation cannot start: bad input, a test split, a journal from other settings."""


@dataclass(frozen=True)
class AugmentConfig:
    """How many paraphrases to ask for and how to filter them.

    Args:
        k: Paraphrases asked for per text (and at most ``k`` variants per scenario).
        temperature: Sampling temperature of the paraphrasing model.
        max_length_ratio: Longest paraphrase allowed, as a multiple of the original's length.
        near_duplicate: Word 3-gram Jaccard similarity above which a paraphrase is a near-duplicate.
        balance: ``input`` (each cell keeps its input share), ``equal`` or ``none``.
        seed: Seeds the requests and the balancing draw.
        concurrency: Requests in flight at once (an endpoint model's own limit applies too).
        limit: Augment only the first ``limit`` input scenarios.
        allow_test: Augment test-split scenarios too (the test split is fixed by its seed).
        benchmark_dirs: Benchmark data screened for contamination (None: the data on this machine).
    """

    k: int = 3
    temperature: float = 0.8
    max_length_ratio: float = 2.0
    near_duplicate: float = 0.6
    balance: Balance = "input"
    seed: int = 0
    concurrency: int = 8
    limit: int | None = None
    allow_test: bool = False
    benchmark_dirs: tuple[Path, ...] | None = None

    def __post_init__(self) -> None:
        problems = [
            f"{name}: {detail}"
            for name, bad, detail in (
                ("k", self.k < 1, f"got {self.k}; ask for at least 1 paraphrase"),
                ("temperature", self.temperature < 0, f"got {self.temperature}; use 0 or more"),
                ("max_length_ratio", self.max_length_ratio <= 0, f"got {self.max_length_ratio}; use > 0"),
                (
                    "near_duplicate",
                    not 0 < self.near_duplicate <= 1,
                    f"got {self.near_duplicate}; use (0, 1]",
                ),
                (
                    "balance",
                    self.balance not in BALANCE_MODES,
                    f"got {self.balance!r}; use input, equal or none",
                ),
                ("concurrency", self.concurrency < 1, f"got {self.concurrency}; use at least 1"),
                ("limit", self.limit is not None and self.limit < 1, f"got {self.limit}; use at least 1"),
            )
            if bad
        ]
        if problems:
            raise AugmentError("; ".join(problems))

    def journal_settings(self, model: str) -> dict[str, Any]:
        """What a resumed run must share with the journal it continues."""
        kept = ("k", "temperature", "max_length_ratio", "near_duplicate", "seed")
        return {"model": model, **{key: getattr(self, key) for key in kept}}


@dataclass
class AugmentResult:
    """What a run produced: the written scenarios, the counts, and whether anything is left to do."""

    out: Path
    written: int
    pending: list[str]
    """Scenarios whose requests failed at the endpoint; a re-run retries them."""
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.pending


def journal_path(out: Path) -> Path:
    """Where a run journals finished scenarios: ``aug.jsonl`` → ``aug.journal.jsonl``."""
    return out.with_name(f"{out.stem}.journal.jsonl")


def augment(
    scenarios: Sequence[Scenario],
    model: ChatModel,
    out: str | Path,
    config: AugmentConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> AugmentResult:
    """Paraphrase ``scenarios`` with ``model``, filter, balance, and write the variants to ``out``.

    Resumes from ``out``'s journal; raises :class:`AugmentError` for unusable input (test-split
    scenarios unless ``config.allow_test``, repeated ids) and the model's
    :class:`~toolsafe.models.errors.ModelUnavailableError` when its endpoint cannot be reached.
    """
    config = config or AugmentConfig()
    chosen = _checked_input(scenarios, config)
    out = Path(out)
    journal = Journal(journal_path(out), config.journal_settings(model.name))
    done = journal.load()
    todo = [s for s in chosen if s.id not in done]
    resumed = len(chosen) - len(todo)
    report = progress or (lambda finished, total: None)
    report(resumed, len(chosen))
    pending: dict[str, str] = {}
    errors = Counter[str]()
    if todo:
        _check_endpoint(model)
        screen = _contamination_index(config)
        size = BATCH_PER_REQUEST_SLOT * config.concurrency
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            records, failed = _augment_batch(batch, model, config, screen)
            for record in records:
                journal.append(record)
                done[record["parent"]] = record
            for parent, messages in failed.items():
                pending[parent] = messages[0]
                errors["replies.endpoint_error"] += len(messages)
            if len(failed) == len(batch):
                _check_endpoint(model)  # the endpoint went away: stop with its error
            report(resumed + start + len(batch), len(chosen))
    records = [done[s.id] for s in chosen if s.id in done]
    variants = [Scenario.model_validate(v) for r in records for v in r["variants"]]
    kept, balance = balance_variants(variants, Counter(s.cell for s in chosen), config.balance, config.seed)
    _write_atomic(out, kept)
    stats = _stats(chosen, records, resumed, pending, errors, variants, kept, balance)
    stats["out"], stats["journal"] = str(out), str(journal.path)
    return AugmentResult(out=out, written=len(kept), pending=sorted(pending), stats=stats)


def _checked_input(scenarios: Sequence[Scenario], config: AugmentConfig) -> list[Scenario]:
    chosen = list(scenarios[: config.limit] if config.limit else scenarios)
    if not chosen:
        raise AugmentError("no scenarios to augment; generate some with `toolsafe data generate`")
    tests = [s.id for s in chosen if s.split == "test"]
    if tests and not config.allow_test:
        raise AugmentError(
            f"{len(tests)} scenario(s) are from the test split (first: {tests[0]}); the test split is "
            "fixed by its seed, so augment train scenarios (or force it with allow_test / --force-test)"
        )
    repeated = [i for i, n in Counter(s.id for s in chosen).items() if n > 1]
    if repeated:
        raise AugmentError(
            f"scenario ids repeat (first: {repeated[0]}); each input scenario needs its own id"
        )
    return chosen


def _check_endpoint(model: ChatModel) -> None:
    check = getattr(model, "check", None)
    if callable(check):
        check()


def _contamination_index(config: AugmentConfig) -> ShingleIndex:
    index = split_index("test")
    return benchmark_index(config.benchmark_dirs, index)


# --------------------------------------------------------------------------- one batch


def _augment_batch(
    batch: Sequence[Scenario], model: ChatModel, config: AugmentConfig, screen: ShingleIndex
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Journal records for the scenarios whose requests all came back, and the errors of the rest."""
    work = [(scenario, target) for scenario in batch for target in targets(scenario)]
    requests = [_request(scenario, target, model.name, config) for scenario, target in work]
    responses = model.generate(requests) if requests else []
    answers: dict[str, list[tuple[Target, ChatResponse]]] = {}
    for (scenario, target), response in zip(work, responses, strict=True):
        answers.setdefault(scenario.id, []).append((target, response))
    records: list[dict[str, Any]] = []
    failed: dict[str, list[str]] = {}
    for scenario in batch:
        replies = answers.get(scenario.id, [])
        messages = [r.error for _, r in replies if r.error is not None]
        if messages:
            failed[scenario.id] = messages
        else:
            records.append(_record(scenario, replies, model.name, config, screen))
    return records, failed


def _request(scenario: Scenario, target: Target, model: str, config: AugmentConfig) -> ChatRequest:
    case_id = f"{scenario.id}#{target.field}"
    return ChatRequest(
        messages=request_messages(target, config.k, scenario),
        case_id=case_id,
        max_tokens=max_tokens_for(target.text, config.k, config.max_length_ratio),
        temperature=config.temperature,
        seed=zlib.crc32(f"{config.seed}:{model}:{case_id}".encode()),
    )


def _record(
    scenario: Scenario,
    replies: Sequence[tuple[Target, ChatResponse]],
    model: str,
    config: AugmentConfig,
    screen: ShingleIndex,
) -> dict[str, Any]:
    counts = Counter[str]()
    accepted: dict[str, list[str]] = {}
    for target, response in replies:
        text = response.message.get("content")
        reply = text if isinstance(text, str) else response.raw
        candidates, problem = parse_reply(reply, config.k, truncated=response.finish_reason == "length")
        counts[f"replies.{problem or 'ok'}"] += 1
        accepted[target.field] = _filter(candidates, target, config, screen, counts)
    variants = [v.model_dump(mode="json") for v in make_variants(scenario, accepted, model)]
    return {"parent": scenario.id, "variants": variants, "counts": dict(counts)}


def _filter(
    candidates: Sequence[Any],
    target: Target,
    config: AugmentConfig,
    screen: ShingleIndex,
    counts: Counter[str],
) -> list[str]:
    """The candidates that pass validity, dedup and contamination, in reply order; rejects counted."""
    kept: list[str] = []
    for candidate in candidates:
        counts[f"candidates.received.{target.field}"] += 1
        reason = invalid_reason(candidate, target, config.max_length_ratio)
        if reason is not None:
            counts[f"rejected.validity.{reason}"] += 1
            continue
        text = str(candidate).strip()
        earlier = [target.text, *kept]
        if normalised(text) in {normalised(e) for e in earlier}:
            counts["rejected.dedup.exact"] += 1
            continue
        if any(ngram_jaccard(text, e) > config.near_duplicate for e in earlier):
            counts["rejected.dedup.near"] += 1
            continue
        shared = screen.shared(text)
        if shared is not None:
            source = "benchmark" if shared[1].startswith("benchmark:") else "test_split"
            counts[f"rejected.contamination.{source}"] += 1
            continue
        counts[f"candidates.accepted.{target.field}"] += 1
        kept.append(text)
    return kept


def make_variants(scenario: Scenario, accepted: dict[str, list[str]], model: str) -> list[Scenario]:
    """``X~p1``, ``X~p2`` …: the ``i``-th accepted prompt and injection paraphrase of ``scenario``."""
    prompts = accepted.get("prompt", [])
    injections = accepted.get("injection", []) if scenario.injection is not None else []
    variants: list[Scenario] = []
    for index in range(max(len(prompts), len(injections))):
        data = scenario.model_dump(mode="json")
        changed: list[Literal["prompt", "injection"]] = []
        if index < len(prompts):
            data["prompt"] = prompts[index]
            changed.append("prompt")
        if index < len(injections):
            data["injection"]["text"] = injections[index]
            changed.append("injection")
        data["id"] = f"{scenario.id}~p{index + 1}"
        data["augmentation"] = Augmentation(parent=scenario.id, paraphrased=changed, model=model).model_dump()
        variants.append(Scenario.model_validate(data))
    return variants


# --------------------------------------------------------------------------- balance


@dataclass(frozen=True)
class BalanceReport:
    """How the balancing draw went: shares asked for, variants available and kept per cell."""

    mode: Balance
    input_share: dict[str, float]
    available: dict[str, int]
    kept: dict[str, int]
    empty_cells: list[str]
    """Input cells with no surviving variant (left out of the balance)."""


def balance_variants(
    variants: Sequence[Scenario], input_cells: Counter[str], mode: Balance, seed: int = 0
) -> tuple[list[Scenario], BalanceReport]:
    """Downsample ``variants`` so each cell keeps its input share (or an equal one); seeded, order kept."""
    total = sum(input_cells.values())
    share = {cell: count / total for cell, count in sorted(input_cells.items())} if total else {}
    by_cell: dict[str, list[int]] = {}
    for position, variant in enumerate(variants):
        by_cell.setdefault(variant.cell, []).append(position)
    available = {cell: len(by_cell.get(cell, [])) for cell in sorted({*share, *by_cell})}
    empty = [cell for cell in share if not available.get(cell)]
    quota = _quota(available, share, mode)
    rng = random.Random(f"balance:{seed}")
    chosen: set[int] = set()
    for cell, positions in sorted(by_cell.items()):
        keep = quota.get(cell, len(positions))
        chosen.update(positions if keep >= len(positions) else rng.sample(positions, keep))
    kept = [variants[p] for p in sorted(chosen)]
    counts = Counter(v.cell for v in kept)
    report = BalanceReport(mode, share, available, {c: counts.get(c, 0) for c in available}, empty)
    return kept, report


def _quota(available: dict[str, int], share: dict[str, float], mode: Balance) -> dict[str, int]:
    present = {cell: n for cell, n in available.items() if n and share.get(cell, 0) > 0}
    if mode == "none" or not present:
        return {}
    if mode == "equal":
        size = min(present.values())
        return {cell: size for cell in available}
    scale = min(n / share[cell] for cell, n in present.items())
    return {cell: int(scale * share.get(cell, 0) + 1e-9) for cell in available}


# --------------------------------------------------------------------------- journal and output


class Journal:
    """Append-only JSONL: a settings line, then one record per finished scenario (keyed by parent id)."""

    def __init__(self, path: Path, settings: dict[str, Any]) -> None:
        self.path = path
        self.settings = settings

    def load(self) -> dict[str, dict[str, Any]]:
        """Finished records by parent id; a line cut off by a killed run is dropped from the file."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._write_line({"settings": self.settings})
            return {}
        _drop_partial_line(self.path)
        records: dict[str, dict[str, Any]] = {}
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                where = f"{self.path}:{number}"
                try:
                    record = json.loads(line)
                except ValueError:
                    raise AugmentError(
                        f"{where}: not a journal line; delete the journal to start over"
                    ) from None
                if number == 1:
                    self._check_settings(record, where)
                elif isinstance(record, dict) and isinstance(record.get("parent"), str):
                    records[record["parent"]] = record
                else:
                    raise AugmentError(f"{where}: not a journal record; delete the journal to start over")
        return records

    def _check_settings(self, record: Any, where: str) -> None:
        saved = record.get("settings") if isinstance(record, dict) else None
        if not isinstance(saved, dict):
            raise AugmentError(f"{where}: the journal has no settings line; delete it to start over")
        differ = [f"{k}={saved.get(k)!r} (now {v!r})" for k, v in self.settings.items() if saved.get(k) != v]
        if differ:
            raise AugmentError(
                f"{self.path} was written with other settings: {', '.join(differ)}; rerun with those "
                "or write to another output"
            )

    def append(self, record: dict[str, Any]) -> None:
        self._write_line(record)

    def _write_line(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()


def _drop_partial_line(path: Path) -> None:
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)


def _write_atomic(path: Path, scenarios: Iterable[Scenario]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8") as handle:
        for scenario in scenarios:
            handle.write(scenario.model_dump_json() + "\n")
    os.replace(partial, path)


# --------------------------------------------------------------------------- statistics


def _stats(
    chosen: Sequence[Scenario],
    records: Sequence[dict[str, Any]],
    resumed: int,
    pending: dict[str, str],
    errors: Counter[str],
    variants: Sequence[Scenario],
    kept: Sequence[Scenario],
    balance: BalanceReport,
) -> dict[str, Any]:
    counts = Counter({f"{group}.{key}": 0 for group, keys in _ZEROS.items() for key in keys})
    for record in records:
        counts.update(record.get("counts", {}))
    counts.update(errors)
    counts["replies.sent"] = sum(
        v for k, v in counts.items() if k.startswith("replies.") and k != "replies.sent"
    )
    return {
        "scenarios": {
            "input": len(chosen),
            "done": len(records),
            "resumed": resumed,
            "pending": len(pending),
            "with_variants": sum(bool(r["variants"]) for r in records),
        },
        **_tree(counts),
        "variants": {
            "made": len(variants),
            "written": len(kept),
            "dropped_by_balance": len(variants) - len(kept),
        },
        "balance": asdict(balance),
        "pending_errors": dict(sorted(pending.items())[:5]),
    }


_ZEROS: dict[str, tuple[str, ...]] = {
    "replies": ("sent", "ok", "not_json", "wrong_count", "refused", "truncated", "endpoint_error"),
    "candidates": ("received.prompt", "received.injection", "accepted.prompt", "accepted.injection"),
    "rejected": (
        "validity.not_text",
        "validity.empty",
        "validity.too_long",
        "validity.protocol_tag",
        "validity.missing_value",
        "validity.refusal",
        "dedup.exact",
        "dedup.near",
        "contamination.test_split",
        "contamination.benchmark",
    ),
}
"""Every counter the summary shows, so a zero is printed as 0 rather than left out."""


def _tree(counts: Counter[str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in sorted(counts.items()):
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree
