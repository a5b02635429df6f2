"""Drive a :class:`~toolsafe.models.base.ChatModel` through sandbox episodes, many at a time.

Episodes advance in lockstep batches: each round sends one request per live episode to
``model.generate`` (a local backend batches them into one forward pass; an endpoint backend
sends them concurrently). A finished episode is judged and written to the results store at
once and its slot refilled, so a killed run resumes where it stopped. A request that fails
(network, server) is retried; an episode that still fails is logged in ``errors.jsonl`` and left
pending for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from toolsafe.judge import Outcome, judge
from toolsafe.models.base import ChatModel, ChatRequest, ChatResponse
from toolsafe.policy import Policy, default_policy
from toolsafe.rewards import reward
from toolsafe.sandbox.scenario import Scenario
from toolsafe.store import MemoryStore, ResultsStore
from toolsafe.trajectory import Trajectory


@dataclass(frozen=True)
class RolloutConfig:
    """How episodes are run."""

    seed: int = 0
    batch_size: int = 8
    max_turns: int = 8
    max_tokens: int = 256
    temperature: float = 0.0
    yes_probability: float = 0.5
    retries: int = 2
    """Extra attempts for a request that comes back with an error."""
    retry_wait_s: float = 1.0


@dataclass
class _Live:
    scenario: Scenario
    episode: Any
    messages: list[dict[str, Any]]
    turn: int = 0
    failures: int = 0


@dataclass
class RolloutSummary:
    """What a run did: how many episodes ran now, were already stored, or failed."""

    ran: int = 0
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def episode_record(scenario: Scenario, trajectory: Trajectory, outcome: Outcome) -> dict[str, Any]:
    """The JSON record stored per episode: scenario, trajectory, outcome and both rewards."""
    outcome_dict = asdict(outcome)
    return {
        "id": scenario.id,
        "scenario": scenario.model_dump(mode="json"),
        "trajectory": trajectory.model_dump(mode="json"),
        "outcome": outcome_dict,
        "rewards": {
            kind: {"total": b.total, "terms": b.terms}
            for kind in ("paper", "shaped")
            for b in [reward(outcome, kind)]  # type: ignore[arg-type]
        },
    }


def run_episodes(
    model: ChatModel,
    scenarios: Sequence[Scenario],
    store: ResultsStore | MemoryStore,
    *,
    config: RolloutConfig | None = None,
    policy: Policy | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> RolloutSummary:
    """Run every scenario not yet in ``store`` through ``model``; store each episode as it ends."""
    from toolsafe.sandbox.episode import Episode

    cfg = config or RolloutConfig()
    pol = policy or default_policy()
    summary = RolloutSummary()
    start = time.perf_counter()
    pending = [s for s in scenarios if s.id not in store]
    summary.skipped = len(scenarios) - len(pending)
    queue = list(reversed(pending))
    live: list[_Live] = []

    def refill() -> None:
        while queue and len(live) < max(1, cfg.batch_size):
            scenario = queue.pop()
            episode = Episode(
                yes_probability=cfg.yes_probability, max_turns=cfg.max_turns, wire_format=model.wire_format
            )
            messages = episode.reset(scenario, seed=cfg.seed)
            live.append(_Live(scenario, episode, list(messages)))

    refill()
    while live:
        requests = [_request(item, cfg) for item in live]
        responses = model.generate(requests)
        still: list[_Live] = []
        for item, response in zip(live, responses, strict=True):
            if response.error is not None:
                item.failures += 1
                if item.failures > cfg.retries:
                    store.log_error(item.scenario.id, response.error)
                    summary.failed[item.scenario.id] = response.error
                    continue
                time.sleep(cfg.retry_wait_s * item.failures)
                still.append(item)
                continue
            _advance(item, response, model.wire_format)
            if item.episode.done:
                trajectory = item.episode.trajectory()
                record = episode_record(item.scenario, trajectory, judge(trajectory, item.scenario, pol))
                store.add(record)
                summary.ran += 1
                if on_done is not None:
                    on_done(record)
            else:
                still.append(item)
        live = still
        refill()
    summary.seconds = time.perf_counter() - start
    return summary


def _request(item: _Live, cfg: RolloutConfig) -> ChatRequest:
    return ChatRequest(
        messages=tuple(item.messages),
        tools=tuple(item.episode.tool_schemas()),
        case_id=f"{item.scenario.id}#{item.turn}",
        max_tokens=cfg.max_tokens,
        temperature=cfg.temperature,
        seed=cfg.seed,
        context={"scenario": item.scenario},
    )


def _advance(item: _Live, response: ChatResponse, wire_format: str) -> None:
    if wire_format == "native" and response.message:
        assistant = dict(response.message)
    else:
        assistant = {"role": "assistant", "content": response.raw}
    item.messages.append(assistant)
    result = item.episode.step(response.parsed, raw=response.raw, finish_reason=response.finish_reason)
    item.messages.extend(result.messages)
    item.turn += 1
