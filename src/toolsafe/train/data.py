"""Training data from the sandbox: scenarios, oracle conversations for SFT, prompt rows for GRPO."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from toolsafe.models.base import ChatModel
from toolsafe.policy import Policy, default_policy, load_policy
from toolsafe.protocol import parse_tagged
from toolsafe.sandbox.scenario import Scenario
from toolsafe.train.config import OraclePrefix, RecipeError, ScenarioData
from toolsafe.train.episodes import (
    EpisodeRun,
    EpisodeSettings,
    advance,
    answer_turn,
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
    runs = open_runs(list(scenario_rows(scenarios, seed)), settings, policy=policy)
    drive(agent, runs, settings.max_turns, policy)
    return runs


def open_runs(
    pairs: Sequence[tuple[Scenario, int]],
    settings: EpisodeSettings,
    prefixes: Sequence[int] = (),
    policy: Policy | None = None,
) -> list[EpisodeRun]:
    """Fresh episodes on each (scenario, seed), each opened with its number of the oracle's turns
    (``prefixes``, one per pair; none: no oracle turns)."""
    runs = [EpisodeRun.start(scenario, seed, settings) for scenario, seed in pairs]
    counts = prefixes or [0] * len(runs)
    for turns in sorted(set(counts) - {0}):
        opened = [run for run, prefix in zip(runs, counts, strict=True) if prefix == turns]
        advance(scripted_agent("oracle"), opened, turns, policy)
    return runs


def oracle_chats(
    scenarios: Sequence[Scenario], seed: int, settings: EpisodeSettings, policy: Policy
) -> tuple[list[list[dict[str, str]]], int]:
    """Tagged conversations of the oracle that the judge finds policy-compliant, and how many were dropped."""
    kept, dropped = oracle_runs(scenarios, seed, settings, policy)
    return [run.chat for run in kept], dropped


def oracle_runs(
    scenarios: Sequence[Scenario], seed: int, settings: EpisodeSettings, policy: Policy
) -> tuple[list[EpisodeRun], int]:
    """The oracle's finished episodes that the judge finds policy-compliant, and how many were dropped."""
    runs = run_agent(scripted_agent("oracle"), scenarios, seed, settings, policy)
    kept = [run for run in runs if score(run, policy).policy_match]
    return kept, len(runs) - len(kept)


def decision_turns(chat: Sequence[dict[str, str]]) -> list[bool]:
    """Per assistant turn of a tagged chat: whether it decides rather than carries on with the plan
    (a check, a refusal, the final answer, or the action right after the user answered a check)."""
    flags = []
    after_check = False
    for message in chat:
        if message["role"] == "assistant":
            turn = parse_tagged(message["content"]).turn
            flags.append(bool(turn.checks) or not turn.tool_calls or after_check)
        else:
            after_check = "<tool_check_result>" in message["content"]
    return flags


def grpo_rows(
    scenarios: Sequence[Scenario],
    seed: int,
    settings: EpisodeSettings,
    oracle_prefix: OraclePrefix = "off",
    policy: Policy | None = None,
) -> list[dict[str, Any]]:
    """One dataset row per scenario: the tagged chat the policy starts from (after any oracle turns),
    the scenario, its taxonomy cell, its episode seed and ``prefix_turns``, the oracle turns that
    open the rollout (see :func:`oracle_prefixes`)."""
    pairs = list(scenario_rows(scenarios, seed))
    if oracle_prefix == "off":
        prefixes = [0] * len(pairs)
    else:
        prefixes = oracle_prefixes(pairs, settings, policy, mode=oracle_prefix)
    runs = open_runs(pairs, settings, prefixes, policy)
    return [
        {
            "prompt": run.chat,
            "scenario": run.scenario.model_dump_json(),
            "cell": run.scenario.cell,
            "seed": run.seed,
            "prefix_turns": prefix,
        }
        for run, prefix in zip(runs, prefixes, strict=True)
    ]


def balanced_by_decision(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows reordered so their expected decisions take turns (one of each, in a fixed order, then
    the next of each), as far as the rarest decision has rows; each decision's rows keep their order."""
    by_decision: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        expected = Scenario.model_validate_json(row["scenario"]).expected.value
        by_decision.setdefault(expected, []).append(row)
    queues = [by_decision[decision] for decision in sorted(by_decision)]
    rounds = min((len(queue) for queue in queues), default=0)
    return [queue[index] for index in range(rounds) for queue in queues]


def oracle_prefixes(
    pairs: Sequence[tuple[Scenario, int]],
    settings: EpisodeSettings,
    policy: Policy | None = None,
    *,
    mode: OraclePrefix = "uniform",
) -> list[int]:
    """For each (scenario, seed), how many of the oracle's turns open the rollout (see
    ``GRPORecipe.oracle_prefix``): ``decision``, its first decision turn d (a check, a refusal or the
    final answer); ``answer``, where d is a check the user answered, d or the turn after the answer
    (a seeded coin flip), else d; ``uniform``, drawn uniformly (seeded) from 0 to d; ``any``, drawn
    uniformly from all of its turns, the follow-through several turns after an answer included.
    Rollouts then start from states a correct agent reaches, so a group's rewards differ where the
    policy matters."""
    runs = [EpisodeRun.start(scenario, seed, settings) for scenario, seed in pairs]
    drive(scripted_agent("oracle"), runs, settings.max_turns, policy)
    draws = [random.Random(f"{run.scenario.id}:{run.seed}") for run in runs]
    prefixes = [_prefix(run, draw, mode) for run, draw in zip(runs, draws, strict=True)]
    # the policy writes at least the oracle's last turn (an episode cut by max_turns has no decision)
    return [min(prefix, max(run.turns - 1, 0)) for prefix, run in zip(prefixes, runs, strict=True)]


def _prefix(run: EpisodeRun, draw: random.Random, mode: OraclePrefix) -> int:
    if mode == "decision":
        return decision_turn(run)
    if mode == "answer":
        return draw.choice([decision_turn(run), answer_turn(run)])
    if mode == "any":
        return draw.randint(0, max(run.turns - 1, 0))
    return draw.randint(0, decision_turn(run))


def decode_rows(rows: Sequence[dict[str, Any]]) -> list[tuple[Scenario, int]]:
    """The (scenario, seed) of each dataset row passed to the trainer."""
    return [(Scenario.model_validate_json(row["scenario"]), int(row["seed"])) for row in rows]


def decode_prefixes(rows: Sequence[dict[str, Any]]) -> list[int]:
    """The oracle turns that open each row's rollout (0 without ``oracle_prefix``)."""
    return [int(row.get("prefix_turns") or 0) for row in rows]


def run_rows(
    agent: ChatModel,
    rows: Sequence[dict[str, Any]],
    settings: EpisodeSettings,
    turns: int,
    policy: Policy | None = None,
    oracle_turns: int = 0,
) -> list[EpisodeRun]:
    """Each GRPO row's episode: opened with its oracle prefix, then ``agent`` writes at most ``turns``
    and the oracle at most ``oracle_turns`` more (a one-turn recipe's completion for the judge)."""
    runs = open_runs(decode_rows(rows), settings, decode_prefixes(rows), policy)
    advance(agent, runs, turns, policy)
    drive(scripted_agent("oracle"), runs, oracle_turns, policy)
    return runs


def winnable_rows(
    rows: Sequence[dict[str, Any]], settings: EpisodeSettings, turns: int, policy: Policy
) -> list[dict[str, Any]]:
    """The GRPO rows on which the oracle, writing at most ``turns`` turns from the row's prefix, meets
    the policy in the judge's eyes. On the others (a check answered "yes" whose action comes later,
    a threat in a tool result past the horizon) the judge cannot pay a correct rollout."""
    runs = run_rows(scripted_agent("oracle"), rows, settings, turns, policy)
    return [row for row, run in zip(rows, runs, strict=True) if score(run, policy).policy_match]
