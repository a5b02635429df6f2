"""The main job on the embedded model: evaluate → SFT warm start → GRPO → evaluate → one report.

Every stage writes into its own folder under ``out`` and is skipped when its output already
exists, so an interrupted quickstart resumes where it stopped (evaluations resume episode by
episode, training from its last checkpoint; a finished training stage's checkpoints are deleted
unless ``keep_checkpoints``)::

    out/eval-base/   the embedded model before training
    out/sft/         SFT warm start on oracle conversations (final/ is the checkpoint)
    out/eval-sft/
    out/grpo/        GRPO in the sandbox from the SFT checkpoint (final/)
    out/eval-grpo/
    out/report.html  before / after SFT / after GRPO, per metric and per cell, with each stage's
                     paired change, the reward curves and the GRPO groups whose rewards varied
"""

from __future__ import annotations

import itertools
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

Log = Callable[[str], None]

STAGE_RUNS = (("base", "eval-base"), ("after SFT", "eval-sft"), ("after GRPO", "eval-grpo"))
"""Each evaluation's label in the report and its folder under the quickstart's output."""
SUMMARY_METRICS = ("policy_accuracy", "attack_success_rate", "over_refusal_rate", "over_confirm_rate")


@dataclass(frozen=True)
class QuickstartConfig:
    """Sizes of the quickstart; the defaults took 22.6 minutes on a 2-core AVX512-BF16 CPU and 45.3 on
    one without native bf16."""

    out: Path = Path("runs/quickstart")
    base_model: str = "smollm2"
    """The model to start from: ``smollm2`` (embedded) or a local transformers checkpoint directory."""
    eval_limit: int = 35
    """Test scenarios per evaluation (balanced over the 7 cells: 5 each). 56 took the quickstart to 31.6
    minutes."""
    eval_max_turns: int = 6
    """Enough for the oracle to finish every test scenario (at 4 it meets the policy on only 80%)."""
    eval_max_tokens: int = 160
    """The oracle's longest turn, a warning about an injected instruction, is 135 SmolLM2 tokens."""
    eval_batch_size: int = 35
    """Episodes generated together (on 2 CPU cores 35 at once took 201 s where 8 took 247 s)."""
    model_options: str = "dtype=auto"
    """Options of the hf backend for every evaluation (``auto``: bf16 weights on a CPU with native bf16,
    ~1.7x faster than fp32 on AVX512-BF16, fp32 on one without, where emulated bf16 is 2-3x slower)."""
    keep_checkpoints: bool = False
    """Keep a training stage's resume checkpoints (``checkpoint-N/``, ~1.6 GB each for SmolLM2 with
    the optimiser state) once it has saved ``final/``; by default they are deleted then."""
    sft_overrides: tuple[tuple[str, Any], ...] = ()
    grpo_overrides: tuple[tuple[str, Any], ...] = ()


def recipe_data(name: str) -> dict[str, Any]:
    """A shipped recipe (``toolsafe/recipes/<name>.yaml``) as a mapping."""
    text = resources.files("toolsafe").joinpath(f"recipes/{name}.yaml").read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _evaluate(spec: str, out: Path, cfg: QuickstartConfig, log: Log) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from toolsafe.evaluate import evaluate_sandbox
    from toolsafe.models.registry import load_model
    from toolsafe.rollout import RolloutConfig

    config = RolloutConfig(
        batch_size=cfg.eval_batch_size, max_turns=cfg.eval_max_turns, max_tokens=cfg.eval_max_tokens
    )
    spec = f"{spec}?{cfg.model_options}" if cfg.model_options else spec
    log(f"evaluating {spec} on {cfg.eval_limit} test scenarios → {out}")
    with Progress(
        TextColumn(f"[bold]eval {out.name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    ) as progress:
        task = progress.add_task("eval", total=None)
        result = evaluate_sandbox(
            load_model(spec),
            spec,
            out,
            limit=cfg.eval_limit,
            config=config,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    return result.metrics


def run_quickstart(cfg: QuickstartConfig | None = None, log: Log = print) -> Path:
    """Run every stage that has not finished yet; returns the path of the final report."""
    from toolsafe.train import train_grpo, train_sft
    from toolsafe.train.config import GRPORecipe, SFTRecipe, merge_overrides, parse_recipe

    cfg = cfg or QuickstartConfig()
    out = cfg.out
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = _read_json(out / "timings.json")

    def stage(name: str, done: bool, work: Callable[[], object]) -> None:
        """Run ``work`` unless ``done``; its time adds to an interrupted attempt's (the stage writes
        into ``out/name``, so a missing folder means a fresh start)."""
        if done:
            log(f"[{name}] already done, skipping")
            return
        if not (out / name).exists():
            timings.pop(name, None)
        start = time.perf_counter()
        work()
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
        (out / "timings.json").write_text(json.dumps(timings, indent=2))
        if not cfg.keep_checkpoints:
            for checkpoint in (out / name).glob("checkpoint-*"):
                shutil.rmtree(checkpoint)

    sft_final = out / "sft" / "final"
    grpo_final = out / "grpo" / "final"
    base_spec = "smollm2" if cfg.base_model == "smollm2" else f"hf:{cfg.base_model}"
    sft_data = merge_overrides(
        recipe_data("cpu-smollm2-sft"),
        {"model": cfg.base_model, "output_dir": str(out / "sft"), **dict(cfg.sft_overrides)},
    )
    grpo_data = merge_overrides(
        recipe_data("cpu-smollm2-grpo"),
        {"output_dir": str(out / "grpo"), "init_from": str(sft_final), **dict(cfg.grpo_overrides)},
    )
    sft_recipe = parse_recipe(sft_data, SFTRecipe, source="cpu-smollm2-sft")
    grpo_recipe = parse_recipe(grpo_data, GRPORecipe, source="cpu-smollm2-grpo")

    stage(
        "eval-base", _finished(out / "eval-base"), lambda: _evaluate(base_spec, out / "eval-base", cfg, log)
    )
    stage("sft", (sft_final / "config.json").exists(), lambda: train_sft(sft_recipe, log=log))
    stage(
        "eval-sft",
        _finished(out / "eval-sft"),
        lambda: _evaluate(f"hf:{sft_final}", out / "eval-sft", cfg, log),
    )
    stage("grpo", (grpo_final / "config.json").exists(), lambda: train_grpo(grpo_recipe, log=log))
    stage(
        "eval-grpo",
        _finished(out / "eval-grpo"),
        lambda: _evaluate(f"hf:{grpo_final}", out / "eval-grpo", cfg, log),
    )

    evaluations = stage_evaluations(out)
    history = grpo_log_history(out / "grpo")
    report = write_quickstart_report(out, evaluations, history)
    for line in stage_changes(evaluations):
        log(line)
    variance = group_variance(history)
    if variance:
        varied = sum(v for _, v in variance.values())
        per_cell = ", ".join(f"{cell} {v}/{g}" for cell, (g, v) in variance.items())
        log(
            f"GRPO groups whose rewards varied (only these move the model): {varied} of "
            f"{sum(g for g, _ in variance.values())} ({per_cell})"
        )
    log(f"report: {report}")
    for name, seconds in timings.items():
        log(f"  {name:<10} {seconds / 60:5.1f} min")
    return report


@dataclass(frozen=True)
class StageEvaluation:
    """One finished evaluation of the quickstart: its label, ``metrics.json`` and episode records."""

    label: str
    metrics: dict[str, Any]
    records: list[dict[str, Any]]


def stage_evaluations(out: Path) -> list[StageEvaluation]:
    """The quickstart's evaluations that have written their metrics, in stage order."""
    from toolsafe.store import read_results

    return [
        StageEvaluation(label, _read_json(out / name / "metrics.json"), list(read_results(out / name)))
        for label, name in STAGE_RUNS
        if (out / name / "metrics.json").exists()
    ]


def stage_changes(
    evaluations: list[StageEvaluation], metrics: tuple[str, ...] = SUMMARY_METRICS
) -> list[str]:
    """One line per metric: its value at each evaluation and, from the second on, the change against
    the stage before with its paired 95% interval (``*`` where the interval leaves out 0)."""
    from toolsafe.report.metrics import paired_differences

    changes = [
        paired_differences(before.records, after.records) for before, after in itertools.pairwise(evaluations)
    ]
    lines = []
    for metric in metrics:
        parts = []
        for i, evaluation in enumerate(evaluations):
            estimate = evaluation.metrics.get("overall", {}).get(metric)
            if estimate is None:
                continue
            part = f"{evaluation.label} {estimate['value']:.3f}"
            change = changes[i - 1].get(metric) if i else None
            if change is not None:
                mark = "*" if change.low > 0 or change.high < 0 else ""
                part += f" ({change.value:+.3f} [{change.low:+.3f}, {change.high:+.3f}]{mark})"
            parts.append(part)
        if parts:
            lines.append(f"{metric}: " + " -> ".join(parts))
    return lines


def _finished(run_dir: Path) -> bool:
    metrics = _read_json(run_dir / "metrics.json")
    return bool(metrics.get("complete")) and bool(metrics.get("n_episodes"))


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def grpo_log_history(grpo_dir: Path) -> list[dict[str, Any]]:
    """The GRPO trainer's log (the newest ``trainer_state.json``: the finished run's, else its latest
    checkpoint's); empty before one."""
    candidates = sorted(grpo_dir.glob("**/trainer_state.json"), key=lambda p: p.stat().st_mtime)
    if not candidates:
        return []
    history: list[dict[str, Any]] = json.loads(candidates[-1].read_text()).get("log_history", [])
    return history


def group_variance(history: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Per taxonomy cell, GRPO's groups and how many of them earned different rewards, summed over
    the logged steps (exact when every step is logged, as in the quickstart)."""
    totals: dict[str, tuple[int, int]] = {}
    for entry in history:
        for key, value in entry.items():
            if key.startswith("groups/"):
                cell = key.removeprefix("groups/")
                groups, varied = totals.get(cell, (0, 0))
                totals[cell] = (groups + round(value), varied + round(entry.get(f"groups_varied/{cell}", 0)))
    return dict(sorted(totals.items()))


def reward_curves(history: list[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    """Per-step reward and reward-term series from the GRPO trainer's log."""
    curves: dict[str, list[tuple[int, float]]] = {}
    for entry in history:
        step = entry.get("step", 0)
        for key, value in entry.items():
            if isinstance(value, int | float) and (
                key == "reward" or key.startswith(("reward_terms/", "rewards/"))
            ):
                curves.setdefault(key, []).append((int(step), float(value)))
    return curves


def write_quickstart_report(
    out: Path, evaluations: list[StageEvaluation], grpo_history: list[dict[str, Any]]
) -> Path:
    """The evaluations side by side, the GRPO reward curves and its groups per cell, in one HTML file."""
    from toolsafe.report.html import png_tag, pyplot, render_comparison

    runs = [(e.label, e.metrics) for e in evaluations]
    records = [e.records for e in evaluations]
    page = render_comparison(runs, records, against="previous") if runs else "<html><body></body></html>"
    curves = reward_curves(grpo_history)
    if curves:
        plt = pyplot()
        fig, axis = plt.subplots(figsize=(11, 4.5))
        for key, points in sorted(curves.items()):
            steps, values = zip(*points, strict=True)
            axis.plot(steps, values, label=key, linewidth=2.5 if key == "reward" else 1.0)
        axis.set_xlabel("GRPO step")
        axis.set_ylabel("mean over the step's rollouts")
        axis.legend(fontsize=7, ncol=3)
        axis.set_title("GRPO reward and each of its terms")
        page = page.replace("</body>", f"<h2>GRPO reward curves</h2>{png_tag(fig)}</body>")
    variance = group_variance(grpo_history)
    if variance:
        rows = "".join(
            f'<tr><td class="l">{cell}</td><td>{groups}</td><td>{varied}</td></tr>'
            for cell, (groups, varied) in variance.items()
        )
        table = (
            "<h2>GRPO groups per cell</h2><p class='muted'>A group is one scenario's rollouts; only a"
            " group whose rewards differ has advantages, so only those move the model.</p>"
            '<table><tr><th class="l">cell</th><th>groups</th><th>rewards varied</th></tr>'
            f"{rows}</table>"
        )
        page = page.replace("</body>", f"{table}</body>")
    path = out / "report.html"
    path.write_text(page.replace("toolsafe comparison</h1>", "toolsafe quickstart</h1>"), encoding="utf-8")
    return path
