"""``toolsafe train``: recipe errors are one line with exit code 2; the GPU recipes dry-run on CPU."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolsafe.cli import app

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_bad_recipe_exits_2_with_one_line_naming_the_field(tmp_path: Path) -> None:
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("kind: grpo\noutput_dir: out\nnum_generations: 1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "grpo", "--config", str(recipe)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "num_generations" in lines[0] and lines[0].startswith("error:")


def test_sft_command_rejects_a_grpo_recipe() -> None:
    result = CliRunner().invoke(app, ["train", "sft", "--config", str(CONFIGS / "cpu-smollm2-grpo.yaml")])
    assert result.exit_code == 2
    assert "needs a 'sft' recipe" in result.output


@pytest.mark.parametrize("name", ["qwen2.5-7b-grpo-full.yaml", "qwen2.5-7b-grpo-lora.yaml"])
def test_gpu_recipe_dry_run_scores_scripted_agents_without_a_model(name: str) -> None:
    before = set(sys.modules)
    result = CliRunner().invoke(
        app, ["train", "grpo", "--config", str(CONFIGS / name), "--dry-run", "--scenarios", "14"]
    )
    assert result.exit_code == 0, result.output
    assert "scenarios: 14 of" in result.output
    rewards = {
        line.split(":")[0].strip(): float(line.split("reward ")[1].split()[0])
        for line in result.output.splitlines()
        if " reward " in line
    }
    assert set(rewards) == {"oracle", "contrast", "refuse-all", "execute-all", "naive"}
    assert rewards["oracle"] > max(rewards["refuse-all"], rewards["execute-all"], rewards["naive"])
    assert rewards["contrast"] < rewards["oracle"]
    assert "policy_match 1.00" in next(line for line in result.output.splitlines() if "oracle" in line)
    assert not any(m.startswith("torch") for m in set(sys.modules) - before)


def test_grpo_without_its_warm_start_says_how_to_make_it(tmp_path: Path) -> None:
    recipe = tmp_path / "grpo.yaml"
    recipe.write_text(f"kind: grpo\noutput_dir: {tmp_path / 'out'}\ninit_from: {tmp_path / 'nothing'}\n")
    result = CliRunner().invoke(app, ["train", "grpo", "--config", str(recipe)])
    assert result.exit_code == 2
    assert "init_from" in result.output and "toolsafe train sft" in result.output
