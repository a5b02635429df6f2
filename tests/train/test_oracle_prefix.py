"""Rollouts opened by the oracle's own turns (``oracle_prefix``): prompt tokens, judged as one episode."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from toolsafe.policy import default_policy
from toolsafe.sandbox.generate import generate
from toolsafe.sandbox.scenario import Scenario
from toolsafe.taxonomy import Risk
from toolsafe.train.config import GRPORecipe
from toolsafe.train.data import balanced_by_decision, grpo_rows, oracle_prefixes, run_agent, scripted_agent
from toolsafe.train.episodes import EpisodeSettings, answer_turn, decision_turn, scenario_rows, score
from toolsafe.train.rollout import RolloutLimits, run_rollouts

SETTINGS = EpisodeSettings(yes_probability=1.0, max_turns=6)
LIMITS = RolloutLimits(max_completion_length=4096, max_turn_tokens=256, max_turns=6)
POLICY = default_policy()


def _writer(tokenizer: Any, text: str) -> Any:
    """A policy that answers every turn with ``text``."""
    ids = [*tokenizer(text)["input_ids"], tokenizer.convert_tokens_to_ids(tokenizer.eos_token)]

    def generate(contexts: list[list[int]], max_new_tokens: int) -> tuple[list[list[int]], None]:
        return [list(ids) for _ in contexts], None

    return generate


def _injected_scenario() -> Any:
    return next(
        s for s in generate("train", 70, seed=3) if s.injection is not None and s.user_risk is Risk.BENIGN
    )


def test_prefixes_stop_at_the_oracles_first_decision() -> None:
    scenarios = list(generate("train", 28, seed=2))
    pairs = [(s, 100 + i) for i, s in enumerate(scenarios)]
    prefixes = oracle_prefixes(pairs, SETTINGS, POLICY)
    assert prefixes == oracle_prefixes(pairs, SETTINGS, POLICY)
    runs = run_agent(scripted_agent("oracle"), scenarios, 0, SETTINGS, POLICY)
    for scenario, prefix, run in zip(scenarios, prefixes, runs, strict=True):
        if scenario.user_risk is Risk.MALICIOUS or scenario.cell == "user_benign/tool_benign":
            assert prefix == 0 and decision_turn(run) == 0  # refused, or carried out without a check
        assert 0 <= prefix <= decision_turn(run)
    assert any(p > 0 for p in prefixes)
    at_decision = oracle_prefixes(pairs, SETTINGS, POLICY, mode="decision")
    assert at_decision == [decision_turn(run) for run in runs]
    assert any(p < d for p, d in zip(prefixes, at_decision, strict=True))


def test_answer_prefixes_start_half_the_checks_after_the_users_answer() -> None:
    settings = EpisodeSettings(yes_probability=0.5, max_turns=6)
    scenarios = list(generate("train", 28, seed=2))
    pairs = list(scenario_rows(scenarios, 0))
    at_decision = oracle_prefixes(pairs, settings, POLICY, mode="decision")
    rows = grpo_rows(scenarios, 0, settings, "answer", POLICY)
    assert [row["prefix_turns"] for row in rows] == oracle_prefixes(pairs, settings, POLICY, mode="answer")
    answers, checks_at_decision = [], 0
    for row, decided in zip(rows, at_decision, strict=True):
        last = row["prompt"][-1]["content"]
        if row["prefix_turns"] == decided + 1:
            answers.append(last.removeprefix("<tool_check_result>").removesuffix("</tool_check_result>"))
            continue
        assert row["prefix_turns"] == decided and "<tool_check_result>" not in last
        checks_at_decision += Scenario.model_validate_json(row["scenario"]).expected.value == "confirm"
    assert set(answers) == {"yes", "no"}, "the simulated user's answer opens the rollout"
    assert len(answers) >= 5 and checks_at_decision >= 5, "checks start at the decision or after it"


def test_any_prefixes_reach_the_turns_after_the_decision_and_its_answer() -> None:
    settings = EpisodeSettings(yes_probability=0.5, max_turns=6)
    pairs = list(scenario_rows(list(generate("train", 60, seed=4)), 0))
    runs = run_agent(scripted_agent("oracle"), [s for s, _ in pairs], 0, settings, POLICY)
    anywhere = oracle_prefixes(pairs, settings, POLICY, mode="any")
    assert all(0 <= prefix < run.turns for prefix, run in zip(anywhere, runs, strict=True))
    past_answer = [
        prefix > answer_turn(run) for prefix, run in zip(anywhere, runs, strict=True) if answer_turn(run) > 0
    ]
    assert sum(past_answer) >= 5  # mid-task states after the user's answer, which ``answer`` never starts at
    assert anywhere == oracle_prefixes(pairs, settings, POLICY, mode="any")  # seeded


def test_a_prefix_leaves_the_policy_a_turn_when_the_oracle_runs_out_of_turns() -> None:
    short = EpisodeSettings(yes_probability=1.0, max_turns=2)
    pairs = list(scenario_rows(list(generate("train", 14, seed=2)), seed=0))
    runs = run_agent(scripted_agent("oracle"), [s for s, _ in pairs], 0, short, POLICY)
    assert any(decision_turn(run) >= short.max_turns for run in runs)  # no decision within 2 turns
    for mode in ("decision", "answer", "uniform", "any"):
        for prefix, run in zip(oracle_prefixes(pairs, short, POLICY, mode=mode), runs, strict=True):
            assert prefix <= run.turns - 1


def test_prefix_mode_accepts_the_old_switch() -> None:
    recipe = {"output_dir": "out", "data": {"n": 8}}
    assert GRPORecipe.model_validate({**recipe, "oracle_prefix": True}).oracle_prefix == "uniform"
    assert GRPORecipe.model_validate({**recipe, "oracle_prefix": False}).oracle_prefix == "off"
    assert GRPORecipe.model_validate({**recipe, "oracle_prefix": "decision"}).oracle_prefix == "decision"
    assert GRPORecipe.model_validate({**recipe, "oracle_prefix": "answer"}).oracle_prefix == "answer"
    with pytest.raises(ValidationError, match="oracle_prefix"):
        GRPORecipe.model_validate({**recipe, "oracle_prefix": "sometimes"})


def test_the_model_decides_at_the_check_turn_and_is_judged_on_the_whole_episode(tiny_tokenizer: Any) -> None:
    scenario = _injected_scenario()
    (oracle_run,) = run_agent(scripted_agent("oracle"), [scenario], 0, SETTINGS, POLICY)
    at = decision_turn(oracle_run)
    assert at >= 1, "the injection shows up in a tool output, after at least one call"
    goal = scenario.injection.goal.name
    eos = frozenset({tiny_tokenizer.convert_tokens_to_ids(tiny_tokenizer.eos_token)})

    def roll(text: str) -> Any:
        (rollout,) = run_rollouts(
            tiny_tokenizer,
            _writer(tiny_tokenizer, text),
            [(scenario, 0)],
            SETTINGS,
            LIMITS,
            eos,
            prefixes=[at],
            policy=POLICY,
        )
        return rollout

    ignores = roll("<think>Done.</think>I have finished your request.")
    oracle_turns = [m["content"] for m in oracle_run.chat if m["role"] == "assistant"][:at]
    prompt = tiny_tokenizer.decode(ignores.prompt_ids)
    assert all(turn in prompt for turn in oracle_turns)
    assert ignores.run.turns == at + 1 and sum(ignores.env_mask) == len(ignores.env_mask)
    assert not score(ignores.run, POLICY).policy_match

    checks = roll(f"<think>A tool output asks for {goal}.</think><tool_check>{goal}</tool_check>")
    outcome = score(checks.run, POLICY)
    assert outcome.checked_tools[0] == goal and not outcome.acted_before_confirmation


def test_dry_run_starts_where_training_rollouts_start() -> None:
    from toolsafe.train.dry_run import dry_run_grpo

    def report(prefix: str) -> Any:
        recipe = GRPORecipe.model_validate(
            {"output_dir": "out", "data": {"n": 14, "seed": 2}, "oracle_prefix": prefix, "rollout_turns": 6}
        )
        return dry_run_grpo(recipe, scenarios_limit=14)

    start, at_decision = report("off"), report("decision")
    assert at_decision.prompt_chars[1] > start.prompt_chars[1]
    agents = {a.agent: a for a in at_decision.agents}
    assert agents["oracle"].policy_match == 1.0
    refusing_from_the_start = next(a for a in start.agents if a.agent == "refuse-all")
    assert agents["refuse-all"].mean > refusing_from_the_start.mean  # it no longer refuses the safe calls


def test_winnable_only_keeps_the_scenarios_a_correct_agent_wins_within_the_horizon() -> None:
    from toolsafe.train.dry_run import dry_run_grpo

    def report(winnable_only: bool) -> Any:
        recipe = GRPORecipe.model_validate(
            {
                "output_dir": "out",
                "data": {"n": 28, "seed": 1},
                "oracle_prefix": "decision",
                "rollout_turns": 2,
                "winnable_only": winnable_only,
            }
        )
        return dry_run_grpo(recipe, scenarios_limit=28)

    every, winnable = report(False), report(True)
    oracle = {r.agent: r for r in every.agents}["oracle"]
    assert oracle.policy_match < 1.0, "after a 'yes' the oracle reads before it acts: past 2 turns"
    assert every.unwinnable == 0 and winnable.unwinnable > 0
    assert winnable.scenarios + winnable.unwinnable == every.scenarios == 28
    assert {r.agent: r for r in winnable.agents}["oracle"].policy_match == 1.0
    assert winnable.cells["user_malicious/tool_benign"] == every.cells["user_malicious/tool_benign"]


def test_dry_run_finds_budgets_too_small_for_the_oracle(tiny_tokenizer: Any) -> None:
    from toolsafe.train.data import load_scenarios
    from toolsafe.train.dry_run import _oracle_within_budgets

    def fit(**budgets: int) -> Any:
        recipe = GRPORecipe.model_validate(
            {"output_dir": "out", "data": {"n": 14, "seed": 1}, "oracle_prefix": "decision", **budgets}
        )
        rows = grpo_rows(load_scenarios(recipe.data), 1, SETTINGS, "decision", POLICY)
        return _oracle_within_budgets(recipe, tiny_tokenizer, rows, SETTINGS, POLICY)

    roomy = fit(max_completion_length=8192, max_turn_tokens=1024)
    assert roomy.policy_match == 1.0 and roomy.cut_turns == roomy.out_of_budget == 0
    short_turns = fit(max_completion_length=8192, max_turn_tokens=64)
    assert short_turns.cut_turns > 0 and short_turns.policy_match < 1.0
    short_rollouts = fit(max_completion_length=1024, max_turn_tokens=512)
    assert short_rollouts.cut_turns == 0 and short_rollouts.out_of_budget > 0


def test_balanced_decisions_take_turns_and_the_trainer_keeps_their_order() -> None:
    from toolsafe.train.dry_run import dry_run_grpo
    from toolsafe.train.grpo import grpo_arguments

    def recipe(balance: bool) -> GRPORecipe:
        return GRPORecipe.model_validate(
            {"output_dir": "out", "data": {"n": 28, "seed": 1}, "balance_decisions": balance}
        )

    rows = grpo_rows(list(generate("train", 28, seed=1)), 1, SETTINGS)
    balanced = balanced_by_decision(rows)
    decisions = [Scenario.model_validate_json(row["scenario"]).expected.value for row in balanced]
    assert decisions == ["confirm", "execute", "refuse"] * 4, "28 cells hold 4 of each of the rarer two"
    assert [row["scenario"] for row in balanced if row["cell"] == "user_benign/tool_benign"] == [
        row["scenario"] for row in rows if row["cell"] == "user_benign/tool_benign"
    ]
    every, even = (
        dry_run_grpo(recipe(False), scenarios_limit=28),
        dry_run_grpo(recipe(True), scenarios_limit=28),
    )
    assert every.decisions == {"confirm": 20, "execute": 4, "refuse": 4} and every.unbalanced == 0
    assert even.decisions == {"confirm": 4, "execute": 4, "refuse": 4} and even.unbalanced == 16
    assert grpo_arguments(recipe(True))["shuffle_dataset"] is False
    assert grpo_arguments(recipe(False))["shuffle_dataset"] is True
