"""GRPO loss + backward time when rollouts with advantage 0 are left out, against all rollouts.

    .venv/bin/python perf/grpo_loss.py                                  # SmolLM2-135M, 8 rollouts
    .venv/bin/python perf/grpo_loss.py --model runs/quickstart/sft/final --varying 1

One batch of 8 rollouts (2 scenarios x 4 generations) is generated once. Its advantages are then
set so that ``--varying`` of the 2 groups vary (the rest 0, as in a group whose rewards were all
equal), and the same batch is scored both ways, alternating, ``--repeats`` times each. Prints the
median seconds, their ratio and the largest difference between the two gradients.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="smollm2", help="smollm2 or a checkpoint directory")
    parser.add_argument(
        "--varying", type=int, default=1, choices=(1, 2), help="groups with nonzero advantages"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch
    from trl import GRPOTrainer  # type: ignore[attr-defined]

    from toolsafe.train.config import GRPORecipe, parse_recipe
    from toolsafe.train.grpo import build_grpo_trainer
    from toolsafe.train.modeling import resolve_model

    work = Path(tempfile.mkdtemp(prefix="toolsafe-perf-"))
    recipe = parse_recipe(
        {
            "model": resolve_model(args.model),
            "output_dir": str(work / "run"),
            "batch_size": 8,
            "num_generations": 4,
            "gradient_checkpointing": True,
            "precision": "auto",
            "generation_precision": "auto",
            "oracle_prefix": "decision",
            "max_completion_length": 512,
            "max_turn_tokens": 128,
            "max_prompt_tokens": 8192,
            "data": {"n": 2, "seed": 1, "max_turns": 6},
        },
        GRPORecipe,
    )
    trainer = build_grpo_trainer(recipe, log=lambda _: None)
    trainer.current_gradient_accumulation_steps = 1  # set by training_step in a real run
    trainer.model.train()
    rows = [row for row in trainer.train_dataset for _ in range(recipe.num_generations)]
    batch = trainer._generate_and_score_completions(rows)
    group = [0.9, -0.3, 0.9, -1.5]
    batch["advantages"] = torch.tensor(group + (group if args.varying == 2 else [0.0] * 4))
    print(f"completion tokens per rollout: {batch['completion_mask'].sum(-1).tolist()}")

    def timed(compute: Any) -> tuple[float, Any]:
        trainer.model.zero_grad()
        start = time.perf_counter()
        with trainer.accelerator.autocast():
            loss = compute(trainer.model, dict(batch))
        loss.backward()
        return time.perf_counter() - start, trainer.model.get_output_embeddings().weight.grad.clone()

    def full(model: Any, inputs: dict[str, Any]) -> Any:
        return GRPOTrainer.compute_loss(trainer, model, inputs)

    all_rows: list[float] = []
    kept_rows: list[float] = []
    for _ in range(args.repeats):
        seconds, full_grad = timed(full)
        all_rows.append(seconds)
        seconds, kept_grad = timed(trainer.compute_loss)
        kept_rows.append(seconds)
    baseline, kept = statistics.median(all_rows), statistics.median(kept_rows)
    print(f"loss + backward, all 8 rollouts: {baseline:.1f} s (median of {args.repeats})")
    print(f"loss + backward, {4 * args.varying} rollouts with advantage != 0: {kept:.1f} s")
    print(
        f"speed-up: {baseline / kept:.2f}x; largest gradient difference {float((full_grad - kept_grad).abs().max()):.2e}"
    )


if __name__ == "__main__":
    main()
