"""A GRPO recipe's data and reward path without the model: scenarios, prompts, scripted rollouts, rewards.

Runs on any machine (no GPU, no weights): it checks that a recipe meant for a cluster builds its
dataset, that its prompts render, and that rewards come out of the judge for known behaviours
(the oracle and the sandbox's other reference agents) before any GPU time is spent.
"""

from __future__ import annotations

import contextlib
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsafe.models.errors import ModelSpecError
from toolsafe.models.gguf import cached_checkpoint
from toolsafe.models.smollm2 import smollm2_gguf
from toolsafe.policy import Policy
from toolsafe.rewards import gate_on_action, mean_terms, reward
from toolsafe.train.config import GRPORecipe
from toolsafe.train.data import (
    balanced_by_decision,
    data_policy,
    decode_prefixes,
    decode_rows,
    episode_settings,
    grpo_rows,
    load_scenarios,
    run_rows,
    scripted_agent,
    winnable_rows,
)
from toolsafe.train.episodes import EpisodeRun, EpisodeSettings, action_kind, score
from toolsafe.train.modeling import EMBEDDED_MODEL

DEFAULT_AGENTS = ("oracle", "contrast", "refuse-all", "execute-all", "naive")
DEFAULT_SCENARIOS = 64
"""A dry run checks this many of the recipe's scenarios unless told otherwise."""


@dataclass(frozen=True)
class AgentRewards:
    """Rewards one scripted agent earns on the recipe's scenarios."""

    agent: str
    mean: float
    stdev: float
    policy_match: float
    terms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class BudgetFit:
    """How the oracle's own rollouts fare at the token level: turns longer than ``max_turn_tokens`` are
    cut (a malformed turn, reward 0), and a rollout ends early when a whole turn no longer fits in
    ``max_completion_length``."""

    policy_match: float
    cut_turns: int
    out_of_budget: int


@dataclass(frozen=True)
class DryRunReport:
    """What a dry run built and measured."""

    scenarios: int
    of: int
    """How many scenarios the recipe draws (the dry run builds the first of them)."""
    cells: dict[str, int]
    unwinnable: int
    """Scenarios left out because the oracle does not win them within ``rollout_turns`` (``winnable_only``)."""
    unbalanced: int
    """Scenarios left out past the rarest expected decision's share (``balance_decisions``)."""
    decisions: dict[str, int]
    """How many kept scenarios expect each decision (execute, confirm, refuse)."""
    prompt_chars: tuple[int, int]
    """Shortest and longest rendered prompt, in characters."""
    prompt_tokens: tuple[int, int] | None
    """Shortest and longest prompt in tokens (None when the tokenizer is not available locally)."""
    agents: list[AgentRewards]
    skipped_agents: list[str]
    oracle_tokens: BudgetFit | None = None
    """The oracle's rollouts under the recipe's token budgets (None without a local tokenizer)."""

    def render(self) -> str:
        lines = [
            f"scenarios: {self.scenarios} of {self.of}"
            + (
                f" ({self.unwinnable} the oracle does not win within rollout_turns left out)"
                if self.unwinnable
                else ""
            )
            + (f" ({self.unbalanced} past the rarest decision's share left out)" if self.unbalanced else "")
            + "  cells: "
            + ", ".join(f"{cell}={count}" for cell, count in sorted(self.cells.items())),
            "expected decisions: "
            + ", ".join(f"{decision}={count}" for decision, count in sorted(self.decisions.items())),
            f"prompt chars: {self.prompt_chars[0]}..{self.prompt_chars[1]}",
            "prompt tokens: "
            + (
                f"{self.prompt_tokens[0]}..{self.prompt_tokens[1]}"
                if self.prompt_tokens
                else "(no local tokenizer)"
            ),
        ]
        for agent in self.agents:
            terms = " ".join(f"{k}={v:+.2f}" for k, v in agent.terms.items() if v)
            lines.append(
                f"{agent.agent:>16}: reward {agent.mean:+.3f} ± {agent.stdev:.3f}  "
                f"policy_match {agent.policy_match:.2f}  [{terms}]"
            )
        if self.oracle_tokens is not None:
            fit = self.oracle_tokens
            lines.append(
                f"oracle within max_turn_tokens and max_completion_length: policy_match "
                f"{fit.policy_match:.2f} (turns cut: {fit.cut_turns}, rollouts out of budget: {fit.out_of_budget})"
            )
        if self.skipped_agents:
            lines.append(f"skipped agents: {', '.join(self.skipped_agents)}")
        return "\n".join(lines)


def dry_run_grpo(
    recipe: GRPORecipe, agents: Sequence[str] = DEFAULT_AGENTS, scenarios_limit: int = DEFAULT_SCENARIOS
) -> DryRunReport:
    """Build the recipe's dataset and score scripted rollouts with the recipe's reward; load no model.

    The first ``scenarios_limit`` scenarios of the recipe are built (generation is deterministic, so
    they are the ones training would start with).
    """
    settings = episode_settings(recipe.data)
    policy = data_policy(recipe.data)
    weights = recipe.shaped_weights()
    sample = recipe.data.model_copy(update={"n": min(recipe.data.n, scenarios_limit)})
    scenarios = load_scenarios(sample)
    rows = grpo_rows(scenarios, recipe.data.seed, settings, recipe.oracle_prefix, policy)
    turns = recipe.rollout_turns or settings.max_turns
    built = len(rows)
    if recipe.winnable_only:
        rows = winnable_rows(rows, settings, recipe.judged_turns(), policy)
    winnable = len(rows)
    if recipe.balance_decisions:
        rows = balanced_by_decision(rows)
    cells = Counter(row["cell"] for row in rows)
    decisions = Counter(scenario.expected.value for scenario, _ in decode_rows(rows))
    texts = [_prompt_text(row["prompt"]) for row in rows]
    results: list[AgentRewards] = []
    skipped: list[str] = []
    oracle_runs = run_rows(scripted_agent("oracle"), rows, settings, 1, policy)
    oracle_actions = [_first_action(run, row) for run, row in zip(oracle_runs, rows, strict=True)]
    for name in agents:
        try:
            agent = scripted_agent(name)
        except ModelSpecError:
            skipped.append(name)
            continue
        runs = run_rows(agent, rows, settings, turns, policy, recipe.oracle_completion_turns)
        outcomes = [score(run, policy) for run in runs]
        breakdowns = [reward(outcome, recipe.reward, weights) for outcome in outcomes]
        if recipe.oracle_completion_turns:  # as in training: the first turn must act as the oracle's
            actions = [_first_action(run, row) for run, row in zip(runs, rows, strict=True)]
            acts = [action == target for action, target in zip(actions, oracle_actions, strict=True)]
            breakdowns = [gate_on_action(b, act) for b, act in zip(breakdowns, acts, strict=True)]
        totals = [b.total for b in breakdowns]
        terms = mean_terms(breakdowns)
        results.append(
            AgentRewards(
                agent=name,
                mean=statistics.fmean(totals),
                stdev=statistics.pstdev(totals),
                policy_match=statistics.fmean(1.0 if o.policy_match else 0.0 for o in outcomes),
                terms=terms,
            )
        )
    tokenizer = _local_tokenizer(recipe)
    prompts = [row["prompt"] for row in rows]
    return DryRunReport(
        scenarios=len(rows),
        of=recipe.data.n,
        unwinnable=built - winnable,
        unbalanced=winnable - len(rows),
        cells=dict(cells),
        decisions=dict(decisions),
        prompt_chars=(min(map(len, texts)), max(map(len, texts))),
        prompt_tokens=_prompt_token_range(tokenizer, prompts) if tokenizer is not None else None,
        oracle_tokens=_oracle_within_budgets(recipe, tokenizer, rows, settings, policy)
        if tokenizer is not None
        else None,
        agents=results,
        skipped_agents=skipped,
    )


def _first_action(run: EpisodeRun, row: dict[str, Any]) -> tuple[str, frozenset[str]]:
    """What the first turn after the row's prompt does (see :func:`action_kind`)."""
    written = run.chat[len(row["prompt"]) :]
    return action_kind(written[0]["content"]) if written else ("answer", frozenset())


def _prompt_text(chat: list[dict[str, str]]) -> str:
    return "\n".join(message["content"] for message in chat)


def _local_tokenizer(recipe: GRPORecipe) -> Any:
    """The recipe's tokenizer when it is on disk (no download, no conversion); None otherwise."""
    from toolsafe.train.modeling import load_tokenizer

    for source in _local_sources(recipe):
        try:
            return load_tokenizer(source)
        except (ImportError, OSError, ValueError):
            continue
    return None


def _prompt_token_range(tokenizer: Any, chats: list[list[dict[str, str]]]) -> tuple[int, int]:
    from toolsafe.train.tokens import encode_text, render

    lengths = [len(encode_text(tokenizer, render(tokenizer, chat, generation_prompt=True))) for chat in chats]
    return min(lengths), max(lengths)


def _oracle_within_budgets(
    recipe: GRPORecipe, tokenizer: Any, rows: list[dict[str, Any]], settings: EpisodeSettings, policy: Policy
) -> BudgetFit:
    """The oracle's rollouts at the token level, under the recipe's turn and conversation budgets."""
    from toolsafe.train.rollout import RolloutLimits, run_rollouts

    limits = RolloutLimits(
        recipe.max_completion_length,
        recipe.max_turn_tokens,
        recipe.rollout_turns or settings.max_turns,
        recipe.oracle_completion_turns,
    )
    eos = frozenset({int(tokenizer.convert_tokens_to_ids(tokenizer.eos_token))})
    rollouts = run_rollouts(
        tokenizer,
        _no_sampling,
        decode_rows(rows),
        settings,
        limits,
        eos,
        prefixes=decode_prefixes(rows),
        policy=policy,
        guided=[True] * len(rows),
    )
    stops = [r.run.stop_reason for r in rollouts]
    matches = [score(r.run, policy).policy_match for r in rollouts]
    return BudgetFit(
        policy_match=statistics.fmean(1.0 if m else 0.0 for m in matches),
        cut_turns=stops.count("length"),
        out_of_budget=stops.count("budget"),
    )


def _no_sampling(contexts: list[list[int]], max_new_tokens: int) -> tuple[list[list[int]], None]:
    raise AssertionError("every dry-run rollout is the oracle's")


def _local_sources(recipe: GRPORecipe) -> list[str]:
    """Checkpoint directories on disk that hold the recipe's tokenizer: ``init_from``, then ``model``."""
    candidates = [str(recipe.init_from)] if recipe.init_from else []
    if recipe.model == EMBEDDED_MODEL:
        with contextlib.suppress(ModelSpecError):
            candidates.append(str(cached_checkpoint(smollm2_gguf())))
    else:
        candidates.append(recipe.model)
    return [c for c in candidates if Path(c).is_dir()]
