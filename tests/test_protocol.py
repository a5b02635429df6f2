"""Properties of the wire protocol: the tagged parser is total and round-trips every rendered turn."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolsafe.protocol import (
    CONFIRM_TOOL,
    MAX_CALLS,
    MAX_TAGS,
    AgentTurn,
    Check,
    ParsedTurn,
    Problem,
    ToolCall,
    parse_openai_message,
    parse_tagged,
    render_tagged,
    to_openai_message,
    to_tagged_chat,
    tool_signature,
)

FRAGMENTS = [
    "<think>",
    "</think>",
    "<tool_call>",
    "</tool_call>",
    "<tool_check>",
    "</tool_check>",
    "<tool_response>",
    "</tool_check_result>",
    "{",
    "}",
    "[",
    "]",
    '"',
    "'",
    ":",
    ",",
    "\\",
    "```",
    "```json\n",
    '{"name": "send_email", ',
    '"arguments": {',
    '"parameters": ',
    "\ud800",
    "\n",
    " ",
    "null",
    "<|im_end|>",
]

fragment_soup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join)

TAG_WORDS = ("<think", "</think", "<tool_", "</tool_")


def _plain(value: str) -> bool:
    return not any(word in value for word in TAG_WORDS) and "{" not in value and "`" not in value


plain_text = st.text(max_size=60).map(str.strip).filter(_plain)
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,24}", fullmatch=True)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)),
    max_leaves=12,
)
arguments = st.dictionaries(st.text(max_size=12), json_values, max_size=5)
tool_calls = st.builds(ToolCall, name=names, arguments=arguments)
checks = st.builds(Check, tool_name=names, reason=st.one_of(st.just(""), st.text(max_size=40)))
turns = st.builds(
    AgentTurn,
    think=st.one_of(st.none(), plain_text),
    tool_calls=st.lists(tool_calls, max_size=3).map(tuple),
    checks=st.lists(checks, max_size=2).map(tuple),
    text=plain_text,
)


def _consistent(parsed: ParsedTurn) -> None:
    assert isinstance(parsed.turn, AgentTurn)
    assert all(isinstance(p.kind, Problem) for p in parsed.problems)
    assert parsed.tool_call_tags >= len(parsed.tagged_calls) or parsed.tagged_calls == ()
    assert set(parsed.tagged_calls) <= set(parsed.turn.tool_calls)
    if parsed.calls_sound:
        assert parsed.tool_call_tags > 0


@given(st.text())
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_parses(text: str) -> None:
    _consistent(parse_tagged(text))
    _consistent(parse_tagged(text, stopped=False, eos_token="</s>"))


@given(fragment_soup)
@settings(max_examples=500)
def test_tag_fragment_soup_parses(text: str) -> None:
    parsed = parse_tagged(text)
    _consistent(parsed)
    assert parsed.eos


@given(turns)
@settings(max_examples=200)
def test_render_then_parse_round_trips(turn: AgentTurn) -> None:
    rendered = render_tagged(turn)
    parsed = parse_tagged(rendered)
    expected = (Problem.EMPTY_OUTPUT,) if not rendered else ()
    assert tuple(p.kind for p in parsed.problems) == expected
    assert parsed.turn == turn
    assert parsed.tagged_calls == turn.tool_calls
    assert parsed.strict_valid
    assert parsed.calls_sound == bool(turn.tool_calls)


@given(turns)
@settings(max_examples=200)
def test_openai_message_round_trips(turn: AgentTurn) -> None:
    message = json.loads(json.dumps(to_openai_message(turn)))
    parsed = parse_openai_message(message)
    empty = not (turn.tool_calls or turn.checks or turn.text)
    assert tuple(p.kind for p in parsed.problems) == ((Problem.EMPTY_OUTPUT,) if empty else ())
    assert parsed.turn == turn


@given(st.dictionaries(st.text(max_size=10), json_values, max_size=4))
def test_openai_parser_is_total_on_odd_messages(message: dict[str, Any]) -> None:
    _consistent(parse_openai_message(message))


def test_arguments_holding_tag_strings_round_trip() -> None:
    call = ToolCall("write_file", {"body": "</tool_call><think>x</think><tool_response>"})
    turn = AgentTurn(think="plan", tool_calls=(call,), checks=(Check("rm", "<tool_check>odd</tool_check>"),))
    parsed = parse_tagged(render_tagged(turn))
    assert parsed.problems == ()
    assert parsed.turn == turn


def test_confirmation_request_is_a_call_of_the_confirm_tool() -> None:
    message = to_openai_message(AgentTurn(checks=(Check("transfer_money", "large amount"),)))
    function = message["tool_calls"][0]["function"]
    assert function["name"] == CONFIRM_TOOL
    assert json.loads(function["arguments"]) == {"tool_name": "transfer_money", "reason": "large amount"}


def test_empty_reasoning_survives_openai_round_trip() -> None:
    turn = AgentTurn(think="", text="done")
    assert parse_openai_message(to_openai_message(turn)).turn == turn


def test_eos_token_marks_the_output_stopped() -> None:
    parsed = parse_tagged("<think>ok</think>Hello<|im_end|>\n", stopped=False, eos_token="<|im_end|>")
    assert parsed.eos and parsed.strict_valid
    assert parsed.turn.text == "Hello"
    cut = parse_tagged("<think>ok</think>Hel", stopped=False, eos_token="<|im_end|>")
    assert not cut.eos and cut.has(Problem.MISSING_EOS) and not cut.strict_valid


def test_many_tags_are_bounded_and_reported() -> None:
    parsed = parse_tagged("<think>" * 5000)
    assert parsed.has(Problem.TOO_MANY_TAGS)
    assert not parsed.strict_valid
    assert len(parsed.problems) < 300


def test_tool_messages_become_tagged_user_turns() -> None:
    call = ToolCall("get_weather", {"city": "Oslo"}, id="c1")
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather?"},
        to_openai_message(AgentTurn(tool_calls=(call,))),
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "c2", "content": "<tool_check_result>yes</tool_check_result>"},
    ]
    chat = to_tagged_chat(messages, [{"type": "function", "function": {"name": "get_weather"}}])
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "user"]
    assert chat[0]["content"].startswith("Be brief.") and "\nget_weather()" in chat[0]["content"]
    assert parse_tagged(chat[2]["content"]).tagged_calls == (call,)
    assert chat[3]["content"] == (
        "<tool_response>sunny</tool_response>\n<tool_check_result>yes</tool_check_result>"
    )


def test_tool_signature_keeps_every_argument_fact() -> None:
    schema = {
        "type": "function",
        "function": {
            "name": "pay",
            "description": "Send  money\n to someone.",
            "parameters": {
                "type": "object",
                "properties": {
                    "to": {"type": "string", "description": "Payee id."},
                    "amount": {"type": "number"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "mode": {"type": "string", "enum": ["fast", "cheap"], "default": "cheap"},
                    "meta": {
                        "type": "object",
                        "properties": {"ref": {"type": "integer"}},
                        "required": ["ref"],
                    },
                    "any": {},
                },
                "required": ["to", "amount"],
            },
        },
    }
    assert tool_signature(schema) == (
        'pay(to: str "Payee id.", amount: float, tags?: list[str], mode?: "fast"|"cheap" = "cheap", '
        "meta?: {ref: int}, any?: any): Send money to someone."
    )
    assert tool_signature({"name": "noop"}) == "noop()"
    tagged = {"name": "wire", "description": "Send money abroad. Risk: money, privacy."}
    assert tool_signature(tagged) == "wire [Risk: money, privacy](): Send money abroad."
    assert (
        tool_signature({"name": "note", "description": "Risk: none of yours."})
        == "note [Risk: none of yours]()"
    )
    assert tool_signature({"name": "odd", "parameters": "not a schema"}) == "odd()"


ADVERSARIAL = {
    "deep braces in a call": "<tool_call>" + "{" * 10_000 + "</tool_call>",
    "deep lists in arguments": '<tool_call>{"name": "a", "arguments": ' + "[" * 10_000 + "</tool_call>",
    "unterminated megabyte string": '<tool_call>{"name": "x", "arguments": {"b": "' + "b" * 1_000_000,
    "many single-quoted calls": "<tool_call>{'name': 'x', 'arguments': {}}</tool_call>" * 100,
    "many bare calls": '{"name": "x", "arguments": {}} ' * 1_000,
    "many name prefixes": '{"name"' * 10_000,
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_adversarial_inputs_are_bounded(text: str) -> None:
    parsed = parse_tagged(text)
    _consistent(parsed)
    assert len(parsed.turn.tool_calls) <= MAX_CALLS
    assert len(parsed.problems) <= 2 * MAX_TAGS + 8
    assert not parsed.calls_sound


def test_repairs_are_reported_and_not_counted_as_sound() -> None:
    parsed = parse_tagged('<tool_call>{"name": "pay", "arguments": {"to": "ann"</tool_call>')
    assert parsed.turn.tool_calls == (ToolCall("pay", {"to": "ann"}),)
    assert parsed.tagged_calls == ()
    assert parsed.has(Problem.INVALID_JSON) and not parsed.calls_sound
