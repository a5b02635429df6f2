"""``toolsafe policy show`` through the real CLI app."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from toolsafe.cli import app

runner = CliRunner()


def _rows(output: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in output.splitlines() if "│" in line]


def test_show_default_policy() -> None:
    result = runner.invoke(app, ["policy", "show"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert ["user", "malicious", "refuse"] in rows
    assert ["tool", "malicious", "confirm"] in rows
    assert ["sensitive_tools", "-", "by_prompt"] in rows
    assert "user_benign/tool_malicious" in result.output


def test_show_with_overrides() -> None:
    args = ["policy", "show", "--set", "tool.malicious=ignore", "--set", "sensitive_tools=always_confirm"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert ["tool", "malicious", "ignore"] in rows
    assert ["sensitive_tools", "-", "always_confirm"] in rows


def test_show_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "strict.yaml"
    path.write_text(
        "user: {benign: execute, sensitive: confirm, malicious: refuse}\n"
        "tool: {benign: execute, sensitive: execute, malicious: ignore}\n"
    )
    result = runner.invoke(app, ["policy", "show", "--policy", str(path)])
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert ["tool", "sensitive", "execute"] in rows
    assert ["tool", "malicious", "ignore"] in rows


def test_bad_override_value_exits_2_naming_allowed_values() -> None:
    result = runner.invoke(app, ["policy", "show", "--set", "tool.malicious=obey"])
    assert result.exit_code == 2
    assert "tool.malicious" in result.output and "confirm, ignore" in result.output


def test_override_without_equals_sign_is_rejected() -> None:
    result = runner.invoke(app, ["policy", "show", "--set", "tool.malicious"])
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output


def test_missing_policy_file_is_reported(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "show", "--policy", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "cannot read" in result.output
