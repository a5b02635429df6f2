"""Replaying saved generations by case id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from toolsafe.models.base import ChatModel, ChatRequest
from toolsafe.models.errors import ModelSpecError
from toolsafe.models.registry import load_model
from toolsafe.models.replay import ReplayChatModel, replay_record
from toolsafe.protocol import CONFIRM_TOOL, AgentTurn, Check, Problem, ToolCall, to_openai_message

TAGGED_CALL = (
    '<think>Look it up.</think><tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>'
)


def write_lines(path: Path, records: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8"
    )
    return path


def ask(case_id: str) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": "?"}], case_id=case_id)


def test_saved_outputs_come_back_parsed_by_case_id(tmp_path: Path) -> None:
    native = to_openai_message(AgentTurn(checks=(Check("transfer_money", "money"),)))
    path = write_lines(
        tmp_path / "saved.jsonl",
        [
            {"case_id": "s/1#1", "output": TAGGED_CALL},
            "",
            {"case_id": "s/2#1", "message": native},
            {"case_id": "s/3#1", "output": "<think>cut off", "finish_reason": "length"},
        ],
    )
    model = load_model(f"replay:{path}")
    assert isinstance(model, ChatModel) and model.name == "replay:saved.jsonl"

    tagged, confirm, truncated = model.generate([ask("s/1#1"), ask("s/2#1"), ask("s/3#1")])
    assert tagged.raw == TAGGED_CALL and tagged.finish_reason == "stop"
    assert tagged.parsed.tagged_calls == (ToolCall("get_weather", {"city": "Oslo"}),)
    assert tagged.parsed.turn.think == "Look it up."
    assert confirm.parsed.turn.checks == (Check("transfer_money", "money"),)
    assert confirm.message["tool_calls"][0]["function"]["name"] == CONFIRM_TOOL
    assert truncated.finish_reason == "length" and truncated.parsed.has(Problem.MISSING_EOS)


def test_missing_case_is_an_error_response(tmp_path: Path) -> None:
    model = ReplayChatModel(write_lines(tmp_path / "r.jsonl", [{"case_id": "a", "output": "hi"}]))
    missing, present = model.generate([ask("b"), ask("a")])
    assert missing.error is not None and "'b'" in missing.error and "r.jsonl" in missing.error
    assert missing.finish_reason == "error" and not missing.parsed.lenient_valid
    assert present.error is None and present.parsed.turn.text == "hi"


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ('{"case_id": "x", "output": "a"', "not valid JSON"),
        ('["x", "a"]', "expected a JSON object"),
        ('{"output": "a"}', "'case_id' must be a non-empty string"),
        ('{"case_id": "x"}', "exactly one of 'output'"),
        ('{"case_id": "x", "output": "a", "message": {}}', "exactly one of 'output'"),
        ('{"case_id": "x", "output": 3}', "'output' must be a string"),
        ('{"case_id": "x", "message": "hi"}', "'message' must be an OpenAI assistant message"),
        ('{"case_id": "ok", "output": "a"}', "appears twice"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path: Path, line: str, complaint: str) -> None:
    path = write_lines(tmp_path / "bad.jsonl", [{"case_id": "ok", "output": "a"}, line])
    with pytest.raises(ModelSpecError, match=complaint) as error:
        load_model(f"replay:{path}")
    assert str(error.value).startswith(f"{path}:2: ")


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(ModelSpecError, match="replay file not found"):
        load_model(f"replay:{tmp_path / 'nope.jsonl'}")


def test_records_written_from_live_responses_replay_identically(tmp_path: Path) -> None:
    source = ReplayChatModel(
        write_lines(
            tmp_path / "a.jsonl",
            [
                {"case_id": "t", "output": TAGGED_CALL},
                {
                    "case_id": "n",
                    "message": to_openai_message(AgentTurn(tool_calls=(ToolCall("f", {"x": 1}),))),
                },
            ],
        )
    )
    tagged, native = source.generate([ask("t"), ask("n")])
    records = [replay_record("t", tagged, "tagged"), replay_record("n", native, "native")]
    copy = ReplayChatModel(write_lines(tmp_path / "b.jsonl", records))
    again = copy.generate([ask("t"), ask("n")])
    assert [r.parsed for r in again] == [tagged.parsed, native.parsed]
    assert copy.wire_format == "native"


def test_a_served_replay_answers_by_the_case_id_header(tmp_path: Path) -> None:
    from toolsafe.models.openai_api import OpenAIChatModel
    from toolsafe.models.server import ChatServer

    path = write_lines(
        tmp_path / "saved.jsonl",
        [{"case_id": "s/1#1", "output": "first answer"}, {"case_id": "s/2#1", "output": "second answer"}],
    )
    with ChatServer(ReplayChatModel(path), quiet=True) as server:
        client = OpenAIChatModel(server.url, server.model.name, retries=0, timeout_s=10)
        second, first, unknown = client.generate([ask("s/2#1"), ask("s/1#1"), ask("s/3#1")])
    assert (first.message["content"], second.message["content"]) == ("first answer", "second answer")
    assert unknown.error is not None and "s/3#1" in unknown.error
