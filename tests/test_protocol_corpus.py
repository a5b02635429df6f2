"""Hand-written model outputs, good and broken, with the turn and problems the parser must report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from toolsafe.protocol import AgentTurn, Check, ToolCall, parse_tagged

CORPUS = Path(__file__).parent / "data" / "protocol_corpus.jsonl"
CASES: list[dict[str, Any]] = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def _expected_turn(expect: dict[str, Any]) -> AgentTurn:
    return AgentTurn(
        think=expect["think"],
        tool_calls=tuple(ToolCall(c["name"], c["arguments"]) for c in expect["calls"]),
        checks=tuple(Check(c["tool_name"], c["reason"]) for c in expect["checks"]),
        text=expect["text"],
    )


def test_corpus_is_large_and_ids_are_unique() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_corpus_case(case: dict[str, Any]) -> None:
    parsed = parse_tagged(case["output"], stopped=case.get("stopped", True), eos_token=case.get("eos_token"))
    assert parsed.turn == _expected_turn(case["expect"])
    assert sorted(p.kind.value for p in parsed.problems) == case["problems"]
    assert parsed.strict_valid is case["strict_valid"]
    assert parsed.calls_sound is case["calls_sound"]
