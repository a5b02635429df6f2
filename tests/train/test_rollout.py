"""Multi-turn rollouts at the token level: environment tokens carry no loss, ids are never re-tokenised."""

from __future__ import annotations

import json
from typing import Any

import pytest

from toolsafe.sandbox.generate import generate
from toolsafe.train.data import scripted_agent
from toolsafe.train.episodes import EpisodeRun, EpisodeSettings, action_kind, next_turns, scenario_rows
from toolsafe.train.rollout import RolloutLimits, TokenRollout, run_rollouts

SETTINGS = EpisodeSettings(yes_probability=1.0, max_turns=4)
LIMITS = RolloutLimits(max_completion_length=4096, max_turn_tokens=512, max_turns=4)


def _spans(rollout: TokenRollout, keep: int) -> list[list[int]]:
    spans: list[list[int]] = []
    previous = None
    for token, bit in zip(rollout.completion_ids, rollout.env_mask, strict=True):
        if bit == keep:
            if previous != keep:
                spans.append([])
            spans[-1].append(token)
        previous = bit
    return spans


@pytest.fixture(scope="module")
def rows() -> list[Any]:
    scenarios = [s for s in generate("train", 12, seed=5) if s.plan][:3]
    assert scenarios, "the generator gave no scenario with a plan"
    return list(scenario_rows(scenarios, seed=0))


def _rollouts(
    policy_class: Any, tokenizer: Any, rows: list[Any], limits: RolloutLimits = LIMITS
) -> list[TokenRollout]:
    policy = policy_class(tokenizer, rows, SETTINGS)
    eos = frozenset({tokenizer.convert_tokens_to_ids(tokenizer.eos_token)})
    return run_rollouts(tokenizer, policy, rows, SETTINGS, limits, eos)


def test_model_tokens_are_the_generated_turns_and_environment_tokens_are_masked(
    tiny_tokenizer: Any, rows: list[Any], scripted_policy: Any
) -> None:
    for rollout, (scenario, _) in zip(_rollouts(scripted_policy, tiny_tokenizer, rows), rows, strict=True):
        written = [tiny_tokenizer.decode(span) for span in _spans(rollout, 1)]
        expected = scripted_policy.turn_texts(scenario)[: len(written)]
        assert written == [text + "<|im_end|>" for text in expected]
        assert written[-1] == scripted_policy.final + "<|im_end|>"
        environment = [tiny_tokenizer.decode(span) for span in _spans(rollout, 0)]
        assert len(environment) == len(written) - 1
        for text in environment:
            assert text.startswith("\n<|im_start|>user\n<tool_")
            assert text.endswith("<|im_start|>assistant\n")
        tool_outputs = [m["content"] for m in rollout.run.chat if m["role"] == "user"][1:]
        for output, text in zip(tool_outputs, environment, strict=True):
            assert output in text
        assert rollout.run.done and rollout.run.stop_reason == "final"


def test_ids_concatenate_to_the_rendered_conversation(
    tiny_tokenizer: Any, rows: list[Any], scripted_policy: Any
) -> None:
    from toolsafe.train.tokens import render

    rollout = _rollouts(scripted_policy, tiny_tokenizer, rows)[0]
    whole = tiny_tokenizer.decode(rollout.prompt_ids + rollout.completion_ids)
    assert whole + "\n" == render(tiny_tokenizer, rollout.run.chat, generation_prompt=False)


def test_budget_ends_the_rollout_before_an_environment_turn_overflows(
    tiny_tokenizer: Any, rows: list[Any], scripted_policy: Any
) -> None:
    first_call = len(tiny_tokenizer(scripted_policy.turn_texts(rows[0][0])[0])["input_ids"]) + 1
    limits = RolloutLimits(max_completion_length=first_call + 5, max_turn_tokens=512, max_turns=4)
    rollout = _rollouts(scripted_policy, tiny_tokenizer, rows[:1], limits)[0]
    assert rollout.env_mask == [1] * first_call
    assert rollout.run.stop_reason == "budget"


def test_budget_never_cuts_a_model_turn(tiny_tokenizer: Any, rows: list[Any], scripted_policy: Any) -> None:
    first_call = len(tiny_tokenizer(scripted_policy.turn_texts(rows[0][0])[0])["input_ids"]) + 1
    limits = RolloutLimits(max_completion_length=first_call + 600, max_turn_tokens=512, max_turns=4)
    rollout = _rollouts(scripted_policy, tiny_tokenizer, rows[:1], limits)[0]
    # after the first call and its tool output fewer than 512 tokens are left: no second turn is sampled
    assert rollout.run.stop_reason == "budget" and rollout.run.turns == 1
    assert rollout.run.trajectory().turns[0].strict_valid
    assert len(rollout.completion_ids) <= limits.max_completion_length


def test_turn_cut_at_the_token_limit_ends_the_episode(
    tiny_tokenizer: Any, rows: list[Any], scripted_policy: Any
) -> None:
    limits = RolloutLimits(max_completion_length=4096, max_turn_tokens=3, max_turns=4)
    rollout = _rollouts(scripted_policy, tiny_tokenizer, rows[:1], limits)[0]
    assert rollout.env_mask == [1, 1, 1]
    assert rollout.run.stop_reason == "length"
    assert rollout.run.trajectory().turns[0].finish_reason == "length"


def _group_rollouts(
    tokenizer: Any, sample: Any, group: list[Any], **writers: list[bool]
) -> list[TokenRollout]:
    """One group's rollouts under the default policy, some written by scripted agents (``writers``)."""
    from toolsafe.policy import default_policy

    eos = frozenset({tokenizer.convert_tokens_to_ids(tokenizer.eos_token)})
    return run_rollouts(tokenizer, sample, group, SETTINGS, LIMITS, eos, policy=default_policy(), **writers)


def test_guided_rollouts_are_the_oracles_episode_with_its_turns_in_the_loss(tiny_tokenizer: Any) -> None:
    from toolsafe.policy import default_policy
    from toolsafe.taxonomy import Risk
    from toolsafe.train.data import run_agent, scripted_agent
    from toolsafe.train.episodes import score
    from toolsafe.train.rollout import guided_flags

    policy = default_policy()
    scenario = next(s for s in generate("train", 40, seed=6) if s.user_risk is Risk.SENSITIVE)
    group = [(scenario, 0)] * 3
    assert guided_flags([*group, (scenario, 4), (scenario, 4)], 1) == [True, False, False, True, False]
    eos_id = tiny_tokenizer.convert_tokens_to_ids(tiny_tokenizer.eos_token)
    careless = [
        *tiny_tokenizer("<think>Done.</think>All done.", add_special_tokens=False)["input_ids"],
        eos_id,
    ]

    def sample(contexts: list[list[int]], max_new_tokens: int) -> tuple[list[list[int]], None]:
        return [list(careless) for _ in contexts], None

    guided, *sampled = _group_rollouts(tiny_tokenizer, sample, group, guided=[True, False, False])
    (oracle,) = run_agent(scripted_agent("oracle"), [scenario], 0, SETTINGS, policy)
    oracle_turns = [m["content"] for m in oracle.chat if m["role"] == "assistant"]
    written = [tiny_tokenizer.decode(span) for span in _spans(guided, 1)]
    assert written == [turn + "<|im_end|>" for turn in oracle_turns]  # every oracle turn carries loss
    assert guided.guided and score(guided.run, policy).policy_match
    for rollout in sampled:
        assert not rollout.guided and not score(rollout.run, policy).policy_match
        assert [tiny_tokenizer.decode(span) for span in _spans(rollout, 1)] == [
            "<think>Done.</think>All done.<|im_end|>"
        ]


def test_contrast_rollouts_carry_loss_only_where_they_depart_from_the_oracle(tiny_tokenizer: Any) -> None:
    from toolsafe.policy import default_policy
    from toolsafe.taxonomy import Risk
    from toolsafe.train.episodes import score
    from toolsafe.train.rollout import contrast_flags

    policy = default_policy()
    scenario = next(s for s in generate("train", 40, seed=6) if s.user_risk is Risk.SENSITIVE)
    group = [(scenario, 0)] * 3
    assert contrast_flags([*group, (scenario, 4), (scenario, 4)], 1, 1) == [False, True, False, False, True]
    eos_id = tiny_tokenizer.convert_tokens_to_ids(tiny_tokenizer.eos_token)

    def sample(contexts: list[list[int]], max_new_tokens: int) -> tuple[list[list[int]], None]:
        return [[eos_id] for _ in contexts], None

    oracle, contrast, _ = _group_rollouts(
        tiny_tokenizer, sample, group, guided=[True, False, False], contrast=[False, True, False]
    )
    # the contrast misjudges the sensitive request: it carries it out without asking
    assert contrast.contrast and score(contrast.run, policy).taken == "execute"
    assert not score(contrast.run, policy).policy_match and score(oracle.run, policy).policy_match
    # ... but its loss is one token: the first where its first turn leaves the oracle's
    assert contrast.env_mask == [0] * (len(contrast.completion_ids) - 1) + [1]
    shared = tiny_tokenizer.decode(contrast.completion_ids[:-1])
    assert oracle.run.chat[oracle.prompt_messages]["content"].startswith(shared)
    assert tiny_tokenizer.decode(contrast.completion_ids).startswith("<think>Request: ")
    assert contrast.completion_ids[-1] != oracle.completion_ids[len(contrast.completion_ids) - 1]


ONE_TURN = RolloutLimits(max_completion_length=4096, max_turn_tokens=512, max_turns=1, oracle_turns=5)


def test_one_turn_rollouts_keep_the_policys_turn_and_let_the_oracle_finish_for_the_judge(
    tiny_tokenizer: Any,
) -> None:
    from toolsafe.policy import default_policy
    from toolsafe.rewards import trl_reward_func
    from toolsafe.taxonomy import Risk
    from toolsafe.train.data import run_agent, scripted_agent
    from toolsafe.train.episodes import score

    policy = default_policy()
    settings = EpisodeSettings(yes_probability=1.0, max_turns=6)
    scenario = next(s for s in generate("train", 40, seed=6) if s.user_risk is Risk.SENSITIVE)
    (oracle,) = run_agent(scripted_agent("oracle"), [scenario], 0, settings, policy)
    first_check = next(m["content"] for m in oracle.chat if m["role"] == "assistant")
    assert "<tool_check>" in first_check  # the oracle asks before it starts a sensitive request
    eos_id = tiny_tokenizer.convert_tokens_to_ids(tiny_tokenizer.eos_token)

    def encoded(text: str) -> list[int]:
        return [*tiny_tokenizer(text, add_special_tokens=False)["input_ids"], eos_id]

    # the first sampled rollout asks as the oracle does (its thought reworded), the second closes
    asks = encoded(first_check.replace("<think>", "<think>Checking first. ", 1))
    closes = encoded("<think>Done.</think>All done.")

    def sample(contexts: list[list[int]], max_new_tokens: int) -> tuple[list[list[int]], None]:
        assert len(contexts) == 2
        return [asks, closes], None

    eos = frozenset({eos_id})
    group = [(scenario, 0)] * 3
    rollouts = run_rollouts(
        tiny_tokenizer, sample, group, settings, ONE_TURN, eos, policy=policy, guided=[True, False, False]
    )
    guided, asking, closing = rollouts
    for rollout in rollouts:  # one policy turn in the completion, nothing of the environment after it
        assert rollout.policy_turns == 1 and set(rollout.env_mask) == {1}
        assert rollout.completion_ids[-1] == eos_id
    assert tiny_tokenizer.decode(asking.completion_ids[:-1]) == first_check.replace(
        "<think>", "<think>Checking first. ", 1
    )
    # the oracle carried the asking rollouts to the end: the judge sees a whole, compliant episode
    outcomes = [score(r.run, policy) for r in rollouts]
    assert guided.run.turns > 1 and asking.run.turns > 1 and closing.run.turns == 1
    assert [o.policy_match for o in outcomes] == [True, True, False]
    assert [r.acts_as_oracle for r in rollouts] == [True, True, False]
    reward = trl_reward_func("policy")
    acts = [r.acts_as_oracle for r in rollouts]
    assert reward([], [], outcomes=outcomes, acts_as_oracle=acts) == [1.0, 1.0, 0.0]


def test_one_turn_rewards_pay_no_delay_the_oracles_completion_makes_up_for(tiny_tokenizer: Any) -> None:
    from toolsafe.policy import default_policy
    from toolsafe.rewards import trl_reward_func
    from toolsafe.sandbox.generate import tools
    from toolsafe.taxonomy import Risk
    from toolsafe.train.episodes import score

    policy = default_policy()
    settings = EpisodeSettings(yes_probability=1.0, max_turns=6)
    scenario = next(
        s
        for s in generate("train", 40, seed=6)
        if s.user_risk is Risk.SENSITIVE and any(not tools()[c.name].tags for c in s.plan)
    )
    eos_id = tiny_tokenizer.convert_tokens_to_ids(tiny_tokenizer.eos_token)
    untagged = [c for c in scenario.plan if not tools()[c.name].tags]  # a read-only step of the task
    call = (
        "<tool_call>"
        + json.dumps({"name": untagged[0].name, "arguments": untagged[0].arguments})
        + "</tool_call>"
    )
    ids = [
        *tiny_tokenizer("<think>Reading first.</think>" + call, add_special_tokens=False)["input_ids"],
        eos_id,
    ]

    def sample(contexts: list[list[int]], max_new_tokens: int) -> tuple[list[list[int]], None]:
        return [list(ids) for _ in contexts], None

    (rollout,) = run_rollouts(
        tiny_tokenizer, sample, [(scenario, 0)], settings, ONE_TURN, frozenset({eos_id}), policy=policy
    )
    outcome = score(rollout.run, policy)
    # the oracle asks on its next turn, before the sensitive call, so the episode still meets the policy
    assert outcome.policy_match
    # but the oracle asks on the first turn, so the rollout's own turn put the check off: no reward
    assert not rollout.acts_as_oracle
    assert trl_reward_func("policy")([], [], outcomes=[outcome], acts_as_oracle=[False]) == [0.0]


def test_one_turn_contrast_carries_loss_only_where_it_acts_otherwise_than_the_oracle(
    tiny_tokenizer: Any,
) -> None:
    from toolsafe.policy import default_policy
    from toolsafe.train.data import oracle_prefixes
    from toolsafe.train.episodes import action_kind

    policy = default_policy()
    settings = EpisodeSettings(yes_probability=0.5, max_turns=6)
    pairs = list(scenario_rows(generate("train", 40, seed=6), seed=1))
    prefixes = oracle_prefixes(pairs, settings, policy, mode="answer")
    eos_id = tiny_tokenizer.convert_tokens_to_ids(tiny_tokenizer.eos_token)

    def sample(contexts: list[list[int]], max_new_tokens: int) -> tuple[list[list[int]], None]:
        return [[eos_id] for _ in contexts], None

    flags = [True] * len(pairs)
    contrast = run_rollouts(
        tiny_tokenizer, sample, pairs, settings, ONE_TURN, frozenset({eos_id}),
        prefixes=prefixes, policy=policy, contrast=flags,
    )  # fmt: skip
    oracle = run_rollouts(
        tiny_tokenizer, sample, pairs, settings, ONE_TURN, frozenset({eos_id}),
        prefixes=prefixes, policy=policy, guided=flags,
    )  # fmt: skip
    departing = other_tool = 0
    for mistaken, right in zip(contrast, oracle, strict=True):
        written = mistaken.run.chat[mistaken.prompt_messages]["content"]
        target = right.run.chat[right.prompt_messages]["content"]
        if action_kind(written) == action_kind(target):
            assert mistaken.departure is None and set(mistaken.env_mask) == {0}
        else:
            departing += 1
            other_tool += action_kind(written)[0] == action_kind(target)[0] == "call"
            assert mistaken.departure is not None and sum(mistaken.env_mask) == 1
            assert not mistaken.acts_as_oracle
    # calling another tool is another action: passing over an approved action departs from the oracle
    assert departing > other_tool > 0


def _roll_in_setup(
    tokenizer: Any, scripted_policy: Any, scenarios: list[Any], per_group: int, max_turns: int
) -> tuple[list[Any], EpisodeSettings, Any, frozenset[int]]:
    """Rows of ``per_group`` rollouts per scenario, their settings, the scripted policy on them and EOS."""
    settings = EpisodeSettings(yes_probability=1.0, max_turns=max_turns)
    rows = [row for row in scenario_rows(scenarios, seed=0) for _ in range(per_group)]
    eos = frozenset({tokenizer.convert_tokens_to_ids(tokenizer.eos_token)})
    return rows, settings, scripted_policy(tokenizer, rows, settings), eos


def _rolled_in_turns(rollout: TokenRollout) -> int:
    return sum(m["role"] == "assistant" for m in rollout.run.chat[: rollout.prompt_messages])


def test_a_policy_roll_in_opens_each_group_from_one_state_the_policy_reached(
    tiny_tokenizer: Any, scripted_policy: Any
) -> None:
    scenarios = [s for s in generate("train", 30, seed=3) if len(s.plan) >= 2][:6]
    rows, settings, policy, eos = _roll_in_setup(tiny_tokenizer, scripted_policy, scenarios, 3, max_turns=6)
    limits = RolloutLimits(max_completion_length=4096, max_turn_tokens=512, max_turns=1, roll_in=3)
    roll_in_contexts: list[int] = []

    def rolling_in(contexts: list[list[int]], max_new_tokens: int) -> Any:
        roll_in_contexts.append(len(contexts))
        return policy(contexts, max_new_tokens)

    rollouts = run_rollouts(tiny_tokenizer, policy, rows, settings, limits, eos, roll_in_generate=rolling_in)
    rolled_in = []
    for start in range(0, len(rollouts), 3):
        group = rollouts[start : start + 3]
        assert len({tuple(r.prompt_ids) for r in group}) == 1  # one state per group
        first = group[0]
        written = [m["content"] for m in first.run.chat[: first.prompt_messages] if m["role"] == "assistant"]
        texts = scripted_policy.turn_texts(first.run.scenario)
        assert written == texts[: len(written)] and len(written) <= 3  # the policy's own turns, in order
        assert scripted_policy.final not in written  # a turn that would end the episode is not rolled in
        for rollout in group:  # the group's own turn is the policy's next one, and it carries the loss
            assert tiny_tokenizer.decode(_spans(rollout, 1)[0][:-1]) == texts[len(written)]
        rolled_in.append(len(written))
    assert max(rolled_in) >= 1 and min(rolled_in) < 3  # the seeded draw rolls some groups in, not all alike
    assert sum(roll_in_contexts) >= sum(rolled_in) and max(roll_in_contexts) <= len(rollouts) // 3


def test_a_roll_in_leaves_each_group_a_turn_before_the_episode_ends(
    tiny_tokenizer: Any, scripted_policy: Any
) -> None:
    scenarios = [s for s in generate("train", 30, seed=3) if len(s.plan) >= 3][:4]
    rows, settings, policy, eos = _roll_in_setup(tiny_tokenizer, scripted_policy, scenarios, 2, max_turns=2)
    limits = RolloutLimits(max_completion_length=4096, max_turn_tokens=512, max_turns=1, roll_in=3)
    for rollout in run_rollouts(tiny_tokenizer, policy, rows, settings, limits, eos):
        assert _rolled_in_turns(rollout) <= 1 and rollout.policy_turns == 1 and sum(rollout.env_mask) > 0


def test_a_roll_in_to_departure_stops_where_the_policy_first_acts_otherwise_than_the_oracle(
    tiny_tokenizer: Any, scripted_policy: Any
) -> None:
    scenarios = [s for s in generate("train", 60, seed=4) if len(s.plan) >= 2][:10]
    rows, settings, policy, eos = _roll_in_setup(tiny_tokenizer, scripted_policy, scenarios, 2, max_turns=6)
    limits = RolloutLimits(4096, 512, max_turns=1, roll_in=3, roll_in_to_departure=True)
    rollouts = run_rollouts(tiny_tokenizer, policy, rows, settings, limits, eos)
    oracle = scripted_agent("oracle")
    stops = []
    for rollout in rollouts[::2]:
        texts = scripted_policy.turn_texts(rollout.run.scenario)
        replay = EpisodeRun.start(rollout.run.scenario, rollout.run.seed, settings)
        rolled_in = _rolled_in_turns(rollout)
        for text in texts[:rolled_in]:  # each rolled-in turn acts as the oracle's in its state
            assert action_kind(text) == action_kind(next_turns(oracle, [replay])[0][0])
            replay.act(text, stopped=True)
        departs = action_kind(texts[rolled_in]) != action_kind(next_turns(oracle, [replay])[0][0])
        assert departs or rolled_in == 3 or texts[rolled_in] == scripted_policy.final
        stops.append((rolled_in, departs))
    assert any(n > 0 for n, _ in stops) and any(departs for _, departs in stops)
