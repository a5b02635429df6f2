"""GRPO step time and peak memory on CPU, with the share spent in generation, sandbox and optimisation.

    .venv/bin/python perf/train.py                       # tiny random model and SmolLM2-135M, 3 steps each
    .venv/bin/python perf/train.py --models tiny --steps 5
    .venv/bin/python perf/train.py --models runs/cpu-smollm2-sft/final   # a trained checkpoint directory
    .venv/bin/python perf/train.py --recipe configs/cpu-smollm2-grpo.yaml --init-from runs/quickstart/sft/final

``--recipe`` measures a recipe as written (its model or checkpoint, budgets, oracle prefix and guided
rollouts); only ``max_steps``, ``save_steps``, ``output_dir`` and, with ``--init-from``, the checkpoint
it starts from are replaced.

Each model runs in its own process (so peak RSS is its own). A step is 8 rollouts (2 scenarios x 4
generations) of up to 6 turns; "optimisation" is the rest of the step: log-prob passes, loss,
backward and the optimiser update.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def measure(model: str, steps: int) -> dict[str, Any]:
    """Run ``steps`` GRPO steps of ``model`` (``tiny``, ``smollm2`` or a checkpoint directory); return timings."""
    from toolsafe.train.config import GRPORecipe, parse_recipe
    from toolsafe.train.modeling import resolve_model
    from toolsafe.train.tiny import build_tiny_checkpoint

    work = Path(tempfile.mkdtemp(prefix="toolsafe-perf-"))
    path = str(build_tiny_checkpoint(work / "tiny")) if model == "tiny" else resolve_model(model)
    recipe = parse_recipe(
        {
            "model": path,
            "output_dir": str(work / "run"),
            "max_steps": steps,
            "batch_size": 4,
            "gradient_accumulation_steps": 2,
            "gradient_checkpointing": model != "tiny",
            "num_generations": 4,
            "learning_rate": 1e-5,
            "precision": "auto" if model != "tiny" else "fp32",
            "generation_precision": "auto" if model != "tiny" else "fp32",
            "save_steps": 10**6,
            "max_prompt_tokens": 8192,
            "max_completion_length": 512,
            "max_turn_tokens": 128,
            "data": {"n": 2 * steps, "seed": 1, "max_turns": 6},
        },
        GRPORecipe,
    )
    return {"model": model, **timed_steps(recipe)}


def measure_recipe(path: str, steps: int, init_from: str | None) -> dict[str, Any]:
    """Run ``steps`` GRPO steps of the recipe at ``path`` (from ``init_from`` if given); return timings."""
    from toolsafe.train.config import GRPORecipe, load_recipe

    work = Path(tempfile.mkdtemp(prefix="toolsafe-perf-"))
    overrides: dict[str, Any] = {"max_steps": steps, "save_steps": 10**6, "output_dir": str(work / "run")}
    if init_from:
        overrides["init_from"] = init_from
    recipe = load_recipe(path, GRPORecipe, overrides)
    return {"model": Path(path).stem, **timed_steps(recipe)}


def timed_steps(recipe: Any) -> dict[str, Any]:
    """Train the recipe for its ``max_steps``, timing each step and its generation and sandbox time."""
    from transformers import TrainerCallback

    from toolsafe.train.grpo import build_grpo_trainer

    trainer = build_grpo_trainer(recipe, log=lambda _: None)
    rollout = trainer.rollout_func

    class StepTimer(TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.started = 0.0
            self.marks: list[tuple[float, float, float]] = []

        def on_step_begin(self, *args: Any, **kwargs: Any) -> None:
            self.started = time.perf_counter()
            self.before = (rollout.times.generation, rollout.times.sandbox)

        def on_step_end(self, *args: Any, **kwargs: Any) -> None:
            total = time.perf_counter() - self.started
            generation = rollout.times.generation - self.before[0]
            sandbox = rollout.times.sandbox - self.before[1]
            self.marks.append((total, generation, sandbox))

    timer = StepTimer()
    trainer.add_callback(timer)
    trainer.train()
    totals = [t for t, _, _ in timer.marks]
    generation = sum(g for _, g, _ in timer.marks)
    sandbox = sum(s for _, _, s in timer.marks)
    whole = sum(totals)
    logs = [entry for entry in trainer.state.log_history if "reward" in entry]
    return {
        "steps": len(totals),
        "step_s": [round(t, 2) for t in totals],
        "median_step_s": round(statistics.median(totals), 2),
        "generation_share": round(generation / whole, 3),
        "sandbox_share": round(sandbox / whole, 3),
        "optimisation_share": round(1 - (generation + sandbox) / whole, 3),
        "tokens_per_rollout": round(statistics.fmean(e["completions/mean_length"] for e in logs), 1),
        "turns_per_rollout": round(statistics.fmean(e["rollout/turns"] for e in logs), 2),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="tiny,smollm2", help="comma-separated: tiny, smollm2, or paths")
    parser.add_argument("--recipe", help="measure this GRPO recipe file instead of --models")
    parser.add_argument("--init-from", help="with --recipe: the checkpoint to start from")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        result = (
            measure_recipe(args.one, args.steps, args.init_from)
            if args.recipe
            else measure(args.one, args.steps)
        )
        print(json.dumps(result))
        return
    header = f"{'model':>8} {'median s/step':>13} {'gen':>6} {'sandbox':>8} {'optim':>6} {'tok/rollout':>11} {'RSS GB':>7}"
    print(header)
    for model in [args.recipe] if args.recipe else args.models.split(","):
        command = [sys.executable, __file__, "--one", model, "--steps", str(args.steps)]
        if args.recipe:
            command += ["--recipe", args.recipe] + (["--init-from", args.init_from] if args.init_from else [])
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(
                f"{model:>8} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
            )
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{model:>8} {result['median_step_s']:>13.2f} {result['generation_share']:>6.0%} "
            f"{result['sandbox_share']:>8.0%} {result['optimisation_share']:>6.0%} "
            f"{result['tokens_per_rollout']:>11.1f} {result['peak_rss_gb']:>7.2f}   steps {result['step_s']}"
        )


if __name__ == "__main__":
    main()
