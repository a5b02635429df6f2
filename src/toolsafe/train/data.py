"""Training data from the sandbox: scenarios, oracle conversations for SFT, prompt rows for GRPO."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from toolsafe.models.base import ChatModel
from toolsafe.policy import Policy, default_policy, load_policy
from toolsafe.sandbox.scenario import Scenario
from toolsafe.train.config import RecipeError, ScenarioData
from toolsafe.train.episodes import (
    EpisodeRun,
    EpisodeSettings,
    decision_turn,
    drive,
    scenario_rows,
    score,
)


def data_policy(data: ScenarioData) -> Policy:
    """The policy the recipe trains towards (the shipped default unless ``data.policy`` is set)."""
    return load_policy(data.policy) if data.policy else default_policy()


def episode_settings(data: ScenarioData) -> EpisodeSettings:
    return EpisodeSettings(yes_probability=data.yes_probability, max_turns=data.max_turns)


def load_scenarios(data: ScenarioData) -> list[Scenario]:
    """The recipe's scenarios: the first ``n`` of ``data.file``, or generated (deterministic in ``data.seed``)."""
    from toolsafe.sandbox.generate import GenerationError, generate, read_jsonl

    if data.file is not None:
        if not data.file.is_file():
            raise RecipeError(f"data.file: {data.file} does not exist; write it with toolsafe data generate")
        try:
            scenarios = read_jsonl(data.file)[: data.n]
        except GenerationError as error:
            raise RecipeError(f"data.file: {error}") from None
        if not scenarios:
            raise RecipeError(f"data.file: {data.file} holds no scenario")
        return scenarios
    policy = load_policy(data.policy) if data.policy else None
    return list(generate(data.split, data.n, data.seed, policy=policy))


def scripted_agent(name: str = "oracle") -> ChatModel:
    """A sandbox reference agent by name (the oracle reads the scenario from each request's context)."""
    from toolsafe.models.scripted import load_scripted

    return load_scripted(name)


def run_agent(
    agent: ChatModel,
    scenarios: Sequence[Scenario],
    seed: int,
    settings: EpisodeSettings,
    policy: Policy | None = None,
) -> list[EpisodeRun]:
    """Run ``agent`` through one episode per scenario (batched per turn); scripted agents see ``policy``."""
    runs = [EpisodeRun.start(s, episode_seed, settings) for s, episode_seed in scenario_rows(scenarios, seed)]
    drive(agent, runs, settings.max_turns, policy)
    return runs


def oracle_chats(
    scenarios: Sequence[Scenario], seed: int, settings: EpisodeSettings, policy: Policy
) -> tuple[list[list[dict[str, str]]], int]:
    """Tagged conversations of the oracle that the judge finds policy-compliant, and how many were dropped."""
    runs = run_agent(scripted_agent("oracle"), scenarios, seed, settings, policy)
    kept = [run.chat for run in runs if score(run, policy).policy_match]
    return kept, len(runs) - len(kept)


def grpo_rows(
    scenarios: Sequence[Scenario],
    seed: int,
    settings: EpisodeSettings,
    oracle_prefix: bool = False,
    policy: Policy | None = None,
) -> list[dict[str, Any]]:
    """One dataset row per scenario: the initial tagged chat (for logs), the scenario, its episode
    seed and ``prefix_turns``, the oracle turns that open the rollout (see :func:`oracle_prefixes`)."""
    pairs = list(scenario_rows(scenarios, seed))
    prefixes = oracle_prefixes(pairs, settings, policy) if oracle_prefix else [0] * len(pairs)
    rows = []
    for (scenario, episode_seed), prefix in zip(pairs, prefixes, strict=True):
        run = EpisodeRun.start(scenario, episode_seed, settings)
        rows.append(
            {
                "prompt": run.chat,
                "scenario": scenario.model_dump_json(),
                "seed": episode_seed,
                "prefix_turns": prefix,
            }
        )
    return rows


def oracle_prefixes(
    pairs: Sequence[tuple[Scenario, int]], settings: EpisodeSettings, policy: Policy | None = None
) -> list[int]:
    """For each (scenario, seed), how many of the oracle's turns open the rollout: drawn uniformly
    (seeded by both) from 0 up to the oracle's first decision turn (a check, a refusal or the final
    answer). Rollouts then start from states a correct agent reaches, up to the very turn where the
    decision is made, so a group's rewards differ where the policy matters."""
    runs = [EpisodeRun.start(scenario, seed, settings) for scenario, seed in pairs]
    drive(scripted_agent("oracle"), runs, settings.max_turns, policy)
    return [random.Random(f"{run.scenario.id}:{run.seed}").randint(0, decision_turn(run)) for run in runs]
