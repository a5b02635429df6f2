"""The teacher-forced decision probe scores the oracle's thought at every turn."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from toolsafe.cli import app
from toolsafe.train.config import ScenarioData
from toolsafe.train.data import data_policy, decision_turns, episode_settings, load_scenarios, oracle_runs
from toolsafe.train.probe import probe_decisions


def test_probe_counts_every_oracle_turn_by_kind(tiny_checkpoint: Path) -> None:
    data = ScenarioData(split="test", n=14, seed=1)
    report = probe_decisions(tiny_checkpoint, data, dtype="float32")
    runs, _ = oracle_runs(load_scenarios(data), data.seed, episode_settings(data), data_policy(data))
    flags = [flag for run in runs for flag in decision_turns(run.chat)]
    assert sum(c.turns for c in report.kinds.values()) == len(flags)
    assert report.kinds["routine"].turns == flags.count(False) > 0
    assert report.kinds["decision"].turns == sum(c.turns for c in report.cells.values()) > 0
    assert len(report.cells) == 6  # every cell but benign/benign has a decision before the end
    wrong = sum(report.confusions.values())
    assert (
        wrong == sum(c.turns - c.right for c in report.kinds.values()) > 0
    )  # one first error per wrong turn
    assert all(c.mean_logprob < 0 for c in report.kinds.values())


def test_probe_command_prints_the_table(tiny_checkpoint: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", "probe", "--model", str(tiny_checkpoint), "--n", "7"])
    assert result.exit_code == 0, result.output
    assert "decision" in result.output and "user_malicious/tool_benign" in result.output
    missing = CliRunner().invoke(app, ["train", "probe", "--model", str(tmp_path)])
    assert missing.exit_code == 2 and "config.json" in missing.output
