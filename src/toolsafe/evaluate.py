"""``toolsafe eval`` as library calls: sandbox suites and public benchmarks into one run directory.

A run directory holds ``run.json`` (what was run), ``results.jsonl`` (one record per case, written
as each finishes), ``metrics.json`` and ``report.html``. Re-running the same call resumes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsafe.models.base import ChatModel
from toolsafe.policy import Policy, default_policy
from toolsafe.report.metrics import metrics_document
from toolsafe.rollout import RolloutConfig, RolloutSummary, run_episodes
from toolsafe.sandbox.scenario import DEFAULT_TEST_SEED
from toolsafe.store import ResultsStore

DEFAULT_TEST_SIZE = 700
"""Scenarios in the default sandbox test suite (100 per cell of the default policy)."""

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each finished case."""


@dataclass
class EvalResult:
    """Where a run wrote its files and what it computed."""

    out_dir: Path
    metrics: dict[str, Any]
    summary: RolloutSummary = field(default_factory=RolloutSummary)
    bench_failed: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.summary.failed and not self.bench_failed


def sandbox_manifest(
    model_spec: str, split: str, n: int, seed: int, config: RolloutConfig, policy: Policy
) -> dict[str, Any]:
    """What identifies a sandbox run (a directory holding another manifest is refused)."""
    return {
        "kind": "sandbox",
        "model": model_spec,
        "split": split,
        "n": n,
        "scenario_seed": seed,
        "episode_seed": config.seed,
        "max_turns": config.max_turns,
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
        "yes_probability": config.yes_probability,
        "policy": policy.model_dump(mode="json"),
    }


def evaluate_sandbox(
    model: ChatModel,
    model_spec: str,
    out_dir: str | Path,
    *,
    split: str = "test",
    n: int = DEFAULT_TEST_SIZE,
    limit: int | None = None,
    scenario_seed: int = DEFAULT_TEST_SEED,
    config: RolloutConfig | None = None,
    policy: Policy | None = None,
    progress: Progress | None = None,
    write_report: bool = True,
) -> EvalResult:
    """Evaluate ``model`` on a sandbox split; resumable. ``limit`` runs the first ``limit`` scenarios."""
    from toolsafe.sandbox.generate import generate

    cfg = config or RolloutConfig()
    pol = policy or default_policy()
    scenarios = generate(split, n, scenario_seed, policy=pol)  # type: ignore[arg-type]
    if limit is not None:
        scenarios = _balanced_prefix(scenarios, limit)
    store = ResultsStore(out_dir, sandbox_manifest(model_spec, split, n, scenario_seed, cfg, pol))
    done = sum(1 for s in scenarios if s.id in store)
    total = len(scenarios)
    if progress is not None:
        progress(done, total)
    counter = {"done": done}

    def on_done(_: dict[str, Any]) -> None:
        counter["done"] += 1
        if progress is not None:
            progress(counter["done"], total)

    summary = run_episodes(model, scenarios, store, config=cfg, policy=pol, on_done=on_done)
    by_id = {r["id"]: r for r in store.records()}
    records = [by_id[s.id] for s in scenarios if s.id in by_id]  # scenario order: metrics match on resume
    metrics = metrics_document(records)
    metrics["complete"] = not summary.failed
    result = EvalResult(Path(out_dir), metrics, summary)
    _finish(result, write_report)
    return result


def _balanced_prefix(scenarios: Sequence[Any], limit: int) -> list[Any]:
    """The first ``limit`` scenarios taken round-robin over cells, so a small slice covers every cell."""
    by_cell: dict[str, list[Any]] = {}
    for scenario in scenarios:
        by_cell.setdefault(scenario.cell, []).append(scenario)
    picked: list[Any] = []
    queues = [list(reversed(v)) for _, v in sorted(by_cell.items())]
    while len(picked) < limit and any(queues):
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop())
    return picked


def evaluate_benchmarks(
    model: ChatModel,
    model_spec: str,
    names: Sequence[str],
    out_dir: str | Path,
    *,
    limit: int | None = None,
    data: str | Path | None = None,
    batch_size: int = 8,
    options: dict[str, Any] | None = None,
    progress: Progress | None = None,
    write_report: bool = True,
) -> EvalResult:
    """Run public benchmarks into one run directory; resumable by case id.

    ``limit`` caps each benchmark at that many cases, a stratified slice (see
    :func:`toolsafe.benchmarks.base.stratified_slice`).
    """
    from toolsafe.benchmarks import get_benchmark
    from toolsafe.benchmarks.base import BenchResult

    benches = [get_benchmark(name, **(options or {})) for name in names]
    manifest = {"kind": "bench", "model": model_spec, "benches": list(names), "options": options or {}}
    store = ResultsStore(out_dir, manifest)
    scores: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for bench in benches:
        cases = bench.load(Path(data) if data else None, limit)
        pending = [c for c in cases if c.id not in store]
        done = len(cases) - len(pending)
        if progress is not None:
            progress(done, len(cases))
        for result in bench.run(model, pending, batch_size=batch_size):
            if result.error:
                store.log_error(result.case_id, result.error)
                failed[result.case_id] = result.error
                continue
            store.add({"id": result.case_id, **result.model_dump(mode="json")})
            done += 1
            if progress is not None:
                progress(done, len(cases))
        by_id = {r["id"]: r for r in store.records()}
        results = [
            BenchResult.model_validate({k: v for k, v in by_id[c.id].items() if k != "id"})
            for c in cases
            if c.id in by_id
        ]
        scores[bench.name] = bench.score(results)
    metrics: dict[str, Any] = {"benchmarks": scores, "complete": not failed}
    evaluation = EvalResult(Path(out_dir), metrics, bench_failed=failed)
    _finish(evaluation, write_report)
    return evaluation


def _finish(result: EvalResult, write_report: bool) -> None:
    (result.out_dir / "metrics.json").write_text(json.dumps(result.metrics, indent=2, sort_keys=True))
    if write_report:
        from toolsafe.report.html import write_run_report

        write_run_report(result.out_dir)
