"""Multi-turn rollouts at the token level: environment tokens carry no loss, ids are never re-tokenised."""

from __future__ import annotations

from typing import Any

import pytest

from toolsafe.sandbox.generate import generate
from toolsafe.train.episodes import EpisodeSettings, scenario_rows
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
