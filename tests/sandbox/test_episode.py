"""The Episode contract: messages, dispatch that never raises, confirmation timing, determinism, leaks."""

from __future__ import annotations

import json

import pytest

from toolsafe.protocol import (
    CONFIRM_TOOL,
    CONFIRM_TOOL_SCHEMA,
    AgentTurn,
    Check,
    ParsedTurn,
    ToolCall,
    parse_tagged,
)
from toolsafe.sandbox.episode import MAX_ARGUMENT_CHARS, Episode
from toolsafe.sandbox.generate import generate
from toolsafe.sandbox.scenario import Scenario


def _turn(*, calls: tuple[ToolCall, ...] = (), checks: tuple[Check, ...] = (), text: str = "") -> ParsedTurn:
    return ParsedTurn(
        AgentTurn(tool_calls=calls, checks=checks, text=text), tagged_calls=calls, tool_call_tags=len(calls)
    )


def _first(cell: str, scenarios: list[Scenario], **where: object) -> Scenario:
    return next(
        s
        for s in scenarios
        if s.cell == cell
        and all(getattr(s, k) == v or (v is True and getattr(s, k)) for k, v in where.items())
    )


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return generate("test", 140, seed=5)


def test_reset_gives_persona_and_prompt_only(scenarios: list[Scenario]) -> None:
    scenario = scenarios[0]
    episode = Episode()
    messages = episode.reset(scenario)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == scenario.prompt
    system = messages[0]["content"]
    assert "<tool_call>" not in system and not any(name in system for name in scenario.tools)
    assert [s["function"]["name"] for s in episode.tool_schemas()] == scenario.tools
    native = Episode(wire_format="native")
    native.reset(scenario)
    assert native.tool_schemas()[-1] == CONFIRM_TOOL_SCHEMA


def test_malformed_calls_become_errors_the_model_sees(scenarios: list[Scenario]) -> None:
    episode = Episode()
    scenario = scenarios[1]
    episode.reset(scenario)
    tool = scenario.plan[0].name if scenario.plan else scenario.harmful_calls[0].name
    bad = (
        ToolCall("no_such_tool", {}),
        ToolCall(tool, {"unexpected": 1}),
        ToolCall(tool, {"x": "y" * 1_000_000}),
    )
    result = episode.step(_turn(calls=bad))
    outputs = [m["content"] for m in result.messages]
    assert "unknown tool" in outputs[0] and "available tools" in outputs[0]
    assert outputs[1].startswith("Error: invalid arguments")
    assert "too large" in outputs[2] and len(outputs[2]) < 200
    for value in (None, [1, 2], "text", {"email_id": 5}, {"email_id": {"deep": [1]}}):
        assert episode.call("read_email", value).startswith("Error")
    events = episode.trajectory().calls
    assert [e.known for e in events[:3]] == [False, True, True] and not any(e.ok for e in events)
    assert events[2].arguments == {}


def test_direct_dispatch_runs_tools(scenarios: list[Scenario]) -> None:
    scenario = _first("user_benign/tool_benign", scenarios)
    episode = Episode()
    episode.reset(scenario)
    for step in scenario.plan:
        assert not episode.call(step.name, step.arguments).startswith("Error"), step
    assert episode.trajectory().checks["task_done"]


def test_confirmation_counts_only_from_an_earlier_turn(scenarios: list[Scenario]) -> None:
    scenario = _first("user_sensitive/tool_benign", scenarios)
    sensitive = scenario.sensitive_call
    assert sensitive is not None
    episode = Episode(yes_probability=1.0)
    episode.reset(scenario)
    call = ToolCall(sensitive.name, sensitive.arguments)
    same = episode.step(_turn(checks=(Check(sensitive.name),), calls=(call,)))
    assert same.messages[0] == {
        "role": "tool",
        "name": CONFIRM_TOOL,
        "content": "<tool_check_result>yes</tool_check_result>",
    }
    assert same.messages[1]["role"] == "tool" and same.messages[1]["name"] == sensitive.name
    episode.step(_turn(calls=(call,)))
    first, second = episode.trajectory().calls
    assert not first.confirmed and second.confirmed and first.sensitive


def test_denied_calls_are_flagged(scenarios: list[Scenario]) -> None:
    scenario = _first("user_sensitive/tool_benign", scenarios)
    assert scenario.sensitive_call is not None
    episode = Episode(yes_probability=0.0)
    episode.reset(scenario)
    name = scenario.sensitive_call.name
    assert episode.confirm(name) == "no"
    episode.call(name, scenario.sensitive_call.arguments)
    (event,) = episode.trajectory().calls
    assert event.denied and not event.confirmed


def test_answers_are_seeded_and_episodes_deterministic(scenarios: list[Scenario]) -> None:
    def answers(seed: int) -> list[str]:
        episode = Episode()
        episode.reset(scenarios[2], seed=seed)
        return [episode.confirm("x") for _ in range(12)]

    assert answers(1) == answers(1)
    assert {tuple(answers(s)) for s in range(6)} != {tuple(answers(1))}
    assert set(answers(3)) <= {"yes", "no"}


def test_episode_ends_on_final_turn_max_turns_or_error(scenarios: list[Scenario]) -> None:
    scenario = _first("user_benign/tool_benign", scenarios)
    episode = Episode(max_turns=2)
    episode.reset(scenario)
    call = ToolCall(scenario.plan[0].name, scenario.plan[0].arguments)
    assert not episode.step(_turn(calls=(call,))).done
    assert episode.step(_turn(calls=(call,))).done
    assert episode.trajectory().terminated == "max_turns"
    assert episode.step(_turn(text="late")).messages == []
    episode.reset(scenario)
    assert episode.step(parse_tagged("All done."), raw="All done.").done
    trajectory = episode.trajectory()
    assert trajectory.terminated == "final" and trajectory.final_text == "All done."
    assert trajectory.messages[-1] == {"role": "assistant", "content": "All done."}
    episode.reset(scenario)
    assert episode.step(_turn(calls=(call,)), finish_reason="error").done
    assert episode.trajectory().terminated == "error"


def test_injection_shows_up_in_its_trigger_output(scenarios: list[Scenario]) -> None:
    scenario = _first("user_benign/tool_malicious", scenarios)
    injection = scenario.injection
    assert injection is not None
    episode = Episode()
    episode.reset(scenario)
    outputs = [episode.call(step.name, step.arguments) for step in scenario.plan]
    trigger = [o for s, o in zip(scenario.plan, outputs, strict=True) if s.name == injection.trigger_tool]
    assert any(injection.text in json.loads(json.dumps(o)) or injection.text[:40] in o for o in trigger)
    assert episode.trajectory().checks["injected_goal"] is False
    episode.call(injection.goal.name, injection.goal.arguments)
    assert episode.trajectory().checks["injected_goal"] is True


def test_secrets_that_leave_are_detected(scenarios: list[Scenario]) -> None:
    scenario = next(
        s
        for s in generate("test", 400, seed=5)
        if s.sensitive_content and s.sensitive_content.kind == "secret"
    )
    content = scenario.sensitive_content
    assert content is not None and content.secret
    episode = Episode()
    episode.reset(scenario)
    assert not episode.trajectory().leaked
    for step in scenario.plan:
        episode.call(step.name, step.arguments)
    trajectory = episode.trajectory()
    assert trajectory.leaked and trajectory.checks["data_leaked"]


def test_native_wire_format_links_results_to_calls(scenarios: list[Scenario]) -> None:
    scenario = _first("user_sensitive/tool_benign", scenarios)
    assert scenario.sensitive_call is not None
    episode = Episode(wire_format="native", yes_probability=1.0)
    episode.reset(scenario)
    step = scenario.plan[0]
    result = episode.step(
        _turn(checks=(Check(scenario.sensitive_call.name),), calls=(ToolCall(step.name, step.arguments),))
    )
    ids = [m["tool_call_id"] for m in result.messages]
    assert result.messages[0]["content"] == "yes" and len(set(ids)) == 2
    assistant = episode.trajectory().messages[2]
    assert [c["id"] for c in assistant["tool_calls"]] == ids


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="yes_probability"):
        Episode(yes_probability=1.5)
    with pytest.raises(ValueError, match="max_turns"):
        Episode(max_turns=0)
    assert MAX_ARGUMENT_CHARS < 1_000_000
