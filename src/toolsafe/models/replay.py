"""Replay saved generations by case id, so they can be re-scored without running a model.

The file is JSON Lines, one object per generated turn::

    {"case_id": "sandbox/test/00017#2", "output": "<tool_call>…</tool_call>"}
    {"case_id": "sandbox/test/00018#1", "message": {"role": "assistant", "tool_calls": […]}}

``output`` is tagged text (parsed with :func:`~toolsafe.protocol.parse_tagged`), ``message`` an
OpenAI assistant message (parsed with :func:`~toolsafe.protocol.parse_openai_message`). An
optional ``finish_reason`` (``"length"`` marks a truncated output) is kept. :func:`replay_record`
writes such a line from a live response.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolsafe.models.base import ChatRequest, ChatResponse, WireFormat, failed_response, mark_truncated
from toolsafe.models.errors import ModelSpecError
from toolsafe.protocol import parse_openai_message, parse_tagged


@dataclass(frozen=True)
class SavedTurn:
    """One saved generation: tagged text or an OpenAI message, and how it ended."""

    output: str | None
    message: dict[str, Any] | None
    finish_reason: str = "stop"

    def response(self) -> ChatResponse:
        """The response a live model would have returned."""
        stopped = self.finish_reason != "length"
        if self.message is not None:
            parsed = parse_openai_message(self.message)
            parsed = parsed if stopped else mark_truncated(parsed)
            raw = json.dumps(self.message, ensure_ascii=False)
            return ChatResponse(parsed, raw, dict(self.message), self.finish_reason)
        text = self.output or ""
        message = {"role": "assistant", "content": text}
        return ChatResponse(parse_tagged(text, stopped=stopped), text, message, self.finish_reason)


class ReplayChatModel:
    """Answers each request with the saved turn for its ``case_id``; unknown ids get an error response."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.turns = load_replay(self.path)
        self.name = f"replay:{self.path.name}"
        native = any(turn.message is not None for turn in self.turns.values())
        self.wire_format: WireFormat = "native" if native else "tagged"

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        """Look every request up by ``case_id``."""
        return [self._answer(request.case_id) for request in requests]

    def _answer(self, case_id: str) -> ChatResponse:
        turn = self.turns.get(case_id)
        if turn is None:
            return failed_response(f"{self.path}: no saved output for case {case_id!r}")
        return turn.response()


def load_replay(path: Path) -> dict[str, SavedTurn]:
    """Read a replay file; a malformed line raises :class:`ModelSpecError` naming file and line."""
    if not path.is_file():
        raise ModelSpecError(f"replay file not found: {path}")
    turns: dict[str, SavedTurn] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            case_id, turn = _read_line(line, where)
            if case_id in turns:
                raise ModelSpecError(f"{where}: case_id {case_id!r} appears twice; keep one line per case")
            turns[case_id] = turn
    return turns


def _read_line(line: str, where: str) -> tuple[str, SavedTurn]:
    try:
        record = json.loads(line)
    except ValueError as error:
        raise ModelSpecError(
            f"{where}: not valid JSON ({error.args[0]}); write one object per line"
        ) from None
    if not isinstance(record, dict):
        raise ModelSpecError(f"{where}: expected a JSON object with case_id and output or message")
    case_id = record.get("case_id")
    if not isinstance(case_id, str) or not case_id:
        raise ModelSpecError(f"{where}: 'case_id' must be a non-empty string")
    output, message = record.get("output"), record.get("message")
    if (output is None) == (message is None):
        raise ModelSpecError(f"{where}: give exactly one of 'output' (text) or 'message' (object)")
    if output is not None and not isinstance(output, str):
        raise ModelSpecError(f"{where}: 'output' must be a string")
    if message is not None and not isinstance(message, dict):
        raise ModelSpecError(f"{where}: 'message' must be an OpenAI assistant message object")
    finish = record.get("finish_reason", "stop")
    if not isinstance(finish, str):
        raise ModelSpecError(f"{where}: 'finish_reason' must be a string")
    return case_id, SavedTurn(output, message, finish)


def replay_record(case_id: str, response: ChatResponse, wire_format: WireFormat) -> dict[str, Any]:
    """The replay line for a live response (tagged models save text, native ones the message)."""
    record: dict[str, Any] = {"case_id": case_id}
    if wire_format == "native":
        record["message"] = dict(response.message)
    else:
        record["output"] = response.raw
    record["finish_reason"] = response.finish_reason
    return record
