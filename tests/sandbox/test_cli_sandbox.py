"""The ``toolsafe sandbox`` and ``toolsafe data`` commands."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from toolsafe.cli import app
from toolsafe.sandbox.generate import read_jsonl

runner = CliRunner()


def test_stats_json_has_the_documented_keys() -> None:
    result = runner.invoke(app, ["sandbox", "stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"domains", "tools", "sensitive_tools", "attack_styles", "scenario_templates"} <= set(data)
    assert data["domains"] >= 2 and data["attack_styles"] >= 8
    assert 0 < data["sensitive_tools"] < data["tools"]
    assert data["scenario_templates"]["train"] > 0 and data["scenario_templates"]["test"] > 0


def test_data_generate_writes_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "test.jsonl"
    result = runner.invoke(
        app, ["data", "generate", "--split", "test", "--n", "14", "--seed", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    scenarios = read_jsonl(out)
    assert len(scenarios) == 14 and scenarios[13].id == "sandbox/test/000013"
    assert "user_benign/tool_benign: 2" in result.output


def test_data_generate_rejects_a_bad_split(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "generate", "--split", "dev", "--out", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2 and "train or test" in result.output


def test_play_steps_through_an_episode() -> None:
    turns = '<tool_call>{"name": "no_such_tool", "arguments": {}}</tool_call>\nI refuse.\n'
    result = runner.invoke(app, ["sandbox", "play", "--scenario", "sandbox/test/000003"], input=turns)
    assert result.exit_code == 0, result.output
    assert "unknown tool" in result.output and "ended: final" in result.output


def test_play_rejects_a_bad_id() -> None:
    result = runner.invoke(app, ["sandbox", "play", "--scenario", "banana"])
    assert result.exit_code == 2 and "sandbox/test/000017" in result.output
