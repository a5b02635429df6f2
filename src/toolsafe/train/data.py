"""Training data from the sandbox: scenarios, oracle conversations for SFT, prompt rows for GRPO."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from toolsafe.models.base import ChatModel
from toolsafe.policy import Policy, default_policy, load_policy
from toolsafe.sandbox.scenario import Scenario
from toolsafe.train.config import ScenarioData
from toolsafe.train.episodes import EpisodeRun, EpisodeSettings, drive, scenario_rows, score


def data_policy(data: ScenarioData) -> Policy:
    """The policy the recipe trains towards (the shipped default unless ``data.policy`` is set)."""
    return load_policy(data.policy) if data.policy else default_policy()


def episode_settings(data: ScenarioData) -> EpisodeSettings:
    return EpisodeSettings(yes_probability=data.yes_probability, max_turns=data.max_turns)


def load_scenarios(data: ScenarioData) -> list[Scenario]:
    """Generate the recipe's scenarios (deterministic in ``data.seed``)."""
    from toolsafe.sandbox.generate import generate

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


def grpo_rows(scenarios: Sequence[Scenario], seed: int, settings: EpisodeSettings) -> list[dict[str, Any]]:
    """One dataset row per scenario: the initial tagged chat (for logs), the scenario and its episode seed."""
    rows = []
    for scenario, episode_seed in scenario_rows(scenarios, seed):
        run = EpisodeRun.start(scenario, episode_seed, settings)
        rows.append({"prompt": run.chat, "scenario": scenario.model_dump_json(), "seed": episode_seed})
    return rows
