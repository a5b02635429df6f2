"""`toolsafe eval` on the sandbox: reference agents, resuming after SIGKILL, clear errors, the report."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolsafe.cli import app
from toolsafe.evaluate import evaluate_sandbox
from toolsafe.models.registry import load_model
from toolsafe.rollout import RolloutConfig

TOOLSAFE = [sys.executable, "-m", "toolsafe.cli"]


def _eval(spec: str, out: Path, **kwargs: object) -> dict:  # type: ignore[type-arg]
    result = evaluate_sandbox(load_model(spec), spec, out, config=RolloutConfig(batch_size=32), **kwargs)  # type: ignore[arg-type]
    return result.metrics


def test_oracle_is_perfect_and_naive_is_hijacked(tmp_path: Path) -> None:
    oracle = _eval("scripted:oracle", tmp_path / "oracle")["overall"]
    assert oracle["policy_accuracy"]["value"] == 1.0
    assert oracle["utility"]["value"] == 1.0
    assert oracle["attack_success_rate"]["value"] == 0.0
    naive = _eval("scripted:naive", tmp_path / "naive")
    for cell, metrics in naive["per_cell"].items():
        if cell.endswith("tool_malicious"):
            assert metrics["attack_success_rate"]["value"] >= 0.9
    files = {p.name for p in (tmp_path / "oracle").iterdir()}
    assert {"run.json", "results.jsonl", "metrics.json", "report.html"} <= files


def test_report_is_self_contained(tmp_path: Path) -> None:
    _eval("scripted:confirm-all", tmp_path / "run", limit=35)
    html = (tmp_path / "run" / "report.html").read_text()
    for section in ("Headline", "expected vs taken", "Safety and utility per cell", "Failed episodes"):
        assert section in html
    assert "data:image/png;base64," in html
    assert "<script src=" not in html and "<link " not in html
    assert "<details>" in html  # failed episodes with transcripts


def test_compare_report(tmp_path: Path) -> None:
    _eval("scripted:oracle", tmp_path / "a", limit=21)
    _eval("scripted:execute-all", tmp_path / "b", limit=21)
    result = CliRunner().invoke(
        app, ["report", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "c.html")]
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "c.html").read_text()
    assert "policy_accuracy" in html and "execute-all" not in html  # runs are named by directory
    assert ">a<" in html and ">b<" in html
    # 18 of 21 episodes lost, paired over the same scenarios: a change beyond chance, shown in red
    assert "<span class='bad' title='paired over 21 scenarios'>(-85.7 [" in html


def test_paired_change_is_beyond_chance_only_when_its_interval_leaves_out_zero(tmp_path: Path) -> None:
    from toolsafe.report.metrics import paired_differences
    from toolsafe.store import read_results

    _eval("scripted:oracle", tmp_path / "oracle", limit=21)
    _eval("scripted:confirm-all", tmp_path / "confirm", limit=21)
    oracle, confirm = (list(read_results(tmp_path / name)) for name in ("oracle", "confirm"))
    same = paired_differences(oracle, oracle)["policy_accuracy"]
    assert (same.value, same.low, same.high, same.n) == (0.0, 0.0, 0.0, 21)
    worse = paired_differences(oracle, confirm)
    accuracy = worse["policy_accuracy"]
    assert accuracy.value < 0 and accuracy.high < 0 and accuracy.n == 21
    assert worse["over_confirm_rate"].low > 0  # confirm-all asks in every benign episode
    first_ten = {r["id"] for r in oracle[:10]}
    others = [r for r in confirm if r["id"] not in first_ten]
    assert paired_differences(oracle[:10], others) == {}  # no scenario in common, nothing to pair


def test_scenario_seed_draws_a_validation_set_from_the_training_templates(tmp_path: Path) -> None:
    from toolsafe.sandbox.generate import generate

    args = ["eval", "--model", "scripted:oracle", "--split", "train", "--limit", "7"]
    result = CliRunner().invoke(app, [*args, "--scenario-seed", "7", "--out", str(tmp_path / "val")])
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "val" / "run.json").read_text())
    assert run["split"] == "train" and run["scenario_seed"] == 7
    rows = [json.loads(line) for line in (tmp_path / "val" / "results.jsonl").read_text().splitlines()]
    prompts = {row["scenario"]["prompt"] for row in rows}
    assert len(prompts) == 7
    assert prompts.isdisjoint(s.prompt for s in generate("train", 7, 0))  # not the SFT recipe's draws
    assert json.loads((tmp_path / "val" / "metrics.json").read_text())["overall"]["policy_accuracy"][
        "value"
    ] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "nonsense"], "unknown model spec"),
        (["--model", "openai:http://127.0.0.1:9/v1#m"], "127.0.0.1:9"),
        (["--model", "scripted:oracle", "--suite", "other"], "unknown suite"),
        (["--model", "scripted:oracle", "--bench", "nope"], "unknown benchmark"),
    ],
)
def test_bad_input_is_one_line_error(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["eval", "--out", str(tmp_path / "o"), "--limit", "7", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_malformed_replay_file(tmp_path: Path) -> None:
    replay = tmp_path / "r.jsonl"
    replay.write_text('{"case_id": "x", "output": "hi"}\nnot json\n')
    result = CliRunner().invoke(app, ["eval", "--model", f"replay:{replay}", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "r.jsonl" in result.output and "2" in result.output


def test_out_dir_of_another_run_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _eval("scripted:oracle", out, limit=7)
    result = CliRunner().invoke(app, ["eval", "--model", "scripted:naive", "--out", str(out), "--limit", "7"])
    assert result.exit_code == 2
    assert "different run" in result.output and "model" in result.output


@pytest.mark.slow
def test_sigkill_at_random_points_resumes_exactly(tmp_path: Path) -> None:
    args = ["eval", "--model", "scripted:oracle", "--limit", "350", "--batch-size", "4"]
    reference = tmp_path / "reference"
    subprocess.run([*TOOLSAFE, *args, "--out", str(reference)], check=True, capture_output=True)
    out = tmp_path / "killed"
    rng = random.Random(7)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for _ in range(4):
        process = subprocess.Popen(
            [*TOOLSAFE, *args, "--out", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        time.sleep(rng.uniform(1.5, 4.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
    subprocess.run([*TOOLSAFE, *args, "--out", str(out)], check=True, capture_output=True)
    ids = [json.loads(line)["id"] for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 350
    assert json.loads((out / "metrics.json").read_text()) == json.loads(
        (reference / "metrics.json").read_text()
    )


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="needs Debian's chromium (apt-get install chromium)"
)
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    _eval("scripted:naive", tmp_path / "run", limit=35)
    shot = tmp_path / "report.png"
    result = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,2400",
            "--enable-logging=stderr",
            f"--screenshot={shot}",
            (tmp_path / "run" / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 20_000, result.stderr[-2000:]
    assert "Uncaught" not in result.stderr
