"""GRPO step time and peak memory on CPU, with the share spent in generation, sandbox and optimisation.

    .venv/bin/python perf/train.py                       # tiny random model and SmolLM2-135M, 3 steps each
    .venv/bin/python perf/train.py --models tiny --steps 5
    .venv/bin/python perf/train.py --models runs/cpu-smollm2-sft/final   # a trained checkpoint directory

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
    from transformers import TrainerCallback

    from toolsafe.train.config import GRPORecipe, parse_recipe
    from toolsafe.train.grpo import build_grpo_trainer
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
            "precision": "bf16-mixed" if model != "tiny" else "fp32",
            "generation_precision": "bf16" if model != "tiny" else "fp32",
            "save_steps": 10**6,
            "max_prompt_tokens": 8192,
            "max_completion_length": 512,
            "max_turn_tokens": 128,
            "data": {"n": 2 * steps, "seed": 1, "max_turns": 6},
        },
        GRPORecipe,
    )
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
        "model": model,
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
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.steps)))
        return
    header = f"{'model':>8} {'median s/step':>13} {'gen':>6} {'sandbox':>8} {'optim':>6} {'tok/rollout':>11} {'RSS GB':>7}"
    print(header)
    for model in args.models.split(","):
        command = [sys.executable, __file__, "--one", model, "--steps", str(args.steps)]
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
