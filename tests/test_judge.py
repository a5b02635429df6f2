"""The judge on real episodes: any output the parser can produce yields an Outcome."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolsafe.judge import judge
from toolsafe.policy import default_policy
from toolsafe.protocol import parse_tagged
from toolsafe.rewards import reward
from toolsafe.sandbox.agents import get_agent, run_agent
from toolsafe.sandbox.episode import Episode
from toolsafe.sandbox.generate import generate
from toolsafe.taxonomy import Decision

SCENARIOS = generate("test", 70, seed=3)
FRAGMENTS = [
    "<think>",
    "</think>",
    "<tool_call>",
    "</tool_call>",
    "<tool_check>",
    "</tool_check>",
    "<tool_response>",
    '{"name": "',
    '", "arguments": {',
    "}",
    "```json\n",
    "I can't help with that.",
    "Done.",
]
turn_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=12).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(0, len(SCENARIOS) - 1),
    turns=st.lists(st.tuples(turn_text, st.booleans()), min_size=0, max_size=4),
    tool_pick=st.integers(0, 20),
)
def test_outcome_for_any_parsed_output(index: int, turns: list[tuple[str, bool]], tool_pick: int) -> None:
    scenario = SCENARIOS[index]
    episode = Episode(max_turns=4)
    episode.reset(scenario, seed=index)
    tool = scenario.tools[tool_pick % len(scenario.tools)]
    for text, stopped in turns:
        if episode.done:
            break
        # Splice a real tool name in sometimes so calls reach the world.
        episode.step(parse_tagged(text.replace('{"name": "', '{"name": "' + tool), stopped=stopped), raw=text)
    outcome = judge(episode.trajectory(), scenario, default_policy())
    assert outcome.taken in {"execute", "refuse", "confirm", "none"}
    assert outcome.n_turns == len(episode.trajectory().turns)
    for kind in ("paper", "shaped"):
        total = reward(outcome, kind).total  # type: ignore[arg-type]
        assert math.isfinite(total)
        assert -3.0 <= total <= 1.0


def test_empty_trajectory_is_judged() -> None:
    scenario = SCENARIOS[0]
    episode = Episode()
    episode.reset(scenario)
    outcome = judge(episode.trajectory(), scenario, default_policy())
    assert outcome.n_turns == 0
    assert not outcome.strict_valid
    assert reward(outcome, "paper").total == 0.0


def test_oracle_matches_every_policy_variant() -> None:
    base = default_policy()
    for policy in (
        base,
        base.variant(on_malicious_tool="ignore"),
        base.variant(**{"tool.sensitive": "execute"}),
    ):
        agent = get_agent("oracle", policy=policy)
        for i, scenario in enumerate(SCENARIOS):
            trajectory = run_agent(agent, scenario, seed=i, policy=policy)
            outcome = judge(trajectory, scenario, policy)
            assert outcome.policy_match, (scenario.id, policy.model_dump(), outcome)


def test_judge_tells_refusal_from_compliance() -> None:
    malicious = next(s for s in SCENARIOS if s.expected is Decision.REFUSE)
    for agent, expected in (("refuse-all", True), ("refuse-then-call", False), ("naive", False)):
        outcome = judge(run_agent(get_agent(agent), malicious, seed=0), malicious, default_policy())
        assert outcome.policy_match is expected, agent
