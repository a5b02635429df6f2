"""The quickstart chains every stage on a tiny model, writes one report, and a re-run skips all stages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from toolsafe.quickstart import QuickstartConfig, run_quickstart

STAGES = ["eval-base", "sft", "eval-sft", "grpo", "eval-grpo"]


def test_quickstart_runs_every_stage_once(tiny_checkpoint: Path, tmp_path: Path) -> None:
    config = QuickstartConfig(
        out=tmp_path / "qs",
        base_model=str(tiny_checkpoint),
        eval_limit=7,
        eval_max_turns=2,
        eval_max_tokens=8,
        sft_overrides=(("data", {"n": 4}), ("batch_size", 2), ("max_steps", 1), ("save_steps", 1)),
        grpo_overrides=(
            ("data", {"n": 4}),
            ("max_steps", 1),
            ("save_steps", 1),  # a resume checkpoint the finished stage then deletes
            ("batch_size", 3),
            ("num_generations", 3),  # the oracle, the contrast agent and one sample
            ("max_completion_length", 64),
            ("max_turn_tokens", 8),
            ("gradient_checkpointing", False),
        ),
    )
    lines: list[str] = []
    report = run_quickstart(config, log=lines.append)

    out = config.out
    assert report == out / "report.html" and report.stat().st_size > 0
    timings = json.loads((out / "timings.json").read_text())
    assert list(timings) == STAGES
    for name in ("eval-base", "eval-sft", "eval-grpo"):
        metrics = json.loads((out / name / "metrics.json").read_text())
        assert metrics["complete"] and metrics["n_episodes"] == 7
    assert (out / "sft" / "final" / "config.json").is_file()
    assert (out / "grpo" / "final" / "config.json").is_file()
    # a finished stage keeps final/ and its log, not the resume checkpoints
    assert not list(out.glob("*/checkpoint-*")) and (out / "grpo" / "trainer_state.json").is_file()
    html = report.read_text()
    assert "policy_accuracy" in html and "after GRPO" in html
    assert "change against the run before" in html
    summary = next(line for line in lines if line.startswith("policy_accuracy: base "))
    assert summary.count(" -> ") == 2 and summary.count("[") == 2  # SFT vs base, GRPO vs SFT
    assert "GRPO groups per cell" in html
    assert any(line.startswith("GRPO groups whose rewards varied") and " of 1 (" in line for line in lines)

    again: list[str] = []
    run_quickstart(config, log=again.append)
    assert sum("already done, skipping" in line for line in again) == len(STAGES)
    assert json.loads((out / "timings.json").read_text()) == timings

    shutil.rmtree(out / "eval-grpo")
    (out / "timings.json").write_text(json.dumps({**timings, "eval-grpo": 1e6}))
    run_quickstart(config, log=lambda _: None)
    redone = json.loads((out / "timings.json").read_text())
    assert redone["eval-grpo"] < 1e5  # a stage redone from scratch does not add its old time
    assert {k: v for k, v in redone.items() if k != "eval-grpo"} == {
        k: v for k, v in timings.items() if k != "eval-grpo"
    }
