"""The reward audit: run every reference and format-gaming agent and compare mean rewards.

A reward is only as good as what it refuses to pay for. The audit runs the scripted agents on a
sandbox split and reports, per agent, the mean of each reward and of each shaped term. The
``oracle`` must score strictly highest under both rewards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from toolsafe.policy import Policy, default_policy
from toolsafe.rollout import RolloutConfig, run_episodes
from toolsafe.store import MemoryStore

AUDIT_AGENTS = (
    "oracle",
    "naive",
    "refuse-all",
    "confirm-all",
    "execute-all",
    "empty",
    "untagged-call",
    "confirm-every-turn",
    "refuse-then-call",
)


def audit(
    n: int = 500,
    *,
    split: str = "test",
    seed: int = 0,
    agents: Sequence[str] = AUDIT_AGENTS,
    policy: Policy | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Mean rewards per agent: ``{agent: {"paper": m, "shaped": m, "terms": {...}, "policy_accuracy": m}}``."""
    from toolsafe.sandbox.agents import get_agent
    from toolsafe.sandbox.generate import generate
    from toolsafe.sandbox.scenario import DEFAULT_TEST_SEED

    pol = policy or default_policy()
    scenarios = generate(split, n, DEFAULT_TEST_SEED + seed, policy=pol)  # type: ignore[arg-type]
    report: dict[str, dict[str, Any]] = {}
    for name in agents:
        if progress is not None:
            progress(name)
        store = MemoryStore()
        run_episodes(
            get_agent(name), scenarios, store, config=RolloutConfig(seed=seed, batch_size=64), policy=pol
        )
        records = store.records()
        count = max(1, len(records))
        terms: dict[str, float] = {}
        for record in records:
            for term, value in record["rewards"]["shaped"]["terms"].items():
                terms[term] = terms.get(term, 0.0) + value / count
        report[name] = {
            "paper": sum(r["rewards"]["paper"]["total"] for r in records) / count,
            "shaped": sum(r["rewards"]["shaped"]["total"] for r in records) / count,
            "policy_accuracy": sum(r["outcome"]["policy_match"] for r in records) / count,
            "episodes": len(records),
            "shaped_terms": terms,
        }
    return report
