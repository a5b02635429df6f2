"""One-turn GRPO sampling with each group's prompt prefilled once, against padded ``model.generate``.

    .venv/bin/python perf/shared_prompt.py                                  # SmolLM2-135M
    .venv/bin/python perf/shared_prompt.py --model runs/quickstart/sft/final --groups 8

A one-turn recipe (``rollout_turns: 1``, the oracle finishing each episode for the judge) builds
``--groups`` scenarios x ``--generations`` rollouts. Sampling their first turn (64 tokens each) is
timed with every context left-padded and prefilled (``model.generate``) and with each distinct
prompt prefilled once (:func:`toolsafe.train.shared_prompt.generate_from_shared_prompts`),
alternating, ``--repeats`` times each. Prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="smollm2", help="smollm2 or a checkpoint directory")
    parser.add_argument("--groups", type=int, default=8)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    from toolsafe.train.config import GRPORecipe, parse_recipe
    from toolsafe.train.grpo import build_grpo_trainer
    from toolsafe.train.modeling import resolve_model
    from toolsafe.train.shared_prompt import generate_from_shared_prompts
    from toolsafe.train.tokens import encode_text, render

    work = Path(tempfile.mkdtemp(prefix="toolsafe-perf-"))
    recipe = parse_recipe(
        {
            "model": resolve_model(args.model),
            "output_dir": str(work / "run"),
            "batch_size": args.groups * args.generations,
            "num_generations": args.generations,
            "gradient_checkpointing": True,
            "precision": "auto",
            "generation_precision": "auto",
            "oracle_prefix": "answer",
            "rollout_turns": 1,
            "oracle_completion_turns": 5,
            "max_completion_length": 1024,
            "max_turn_tokens": 160,
            "data": {"n": args.groups, "seed": 1, "max_turns": 6},
        },
        GRPORecipe,
    )
    trainer = build_grpo_trainer(recipe, log=lambda _: None)
    rows = [row for row in trainer.train_dataset for _ in range(recipe.num_generations)]
    tokenizer = trainer.processing_class
    contexts = [
        encode_text(tokenizer, render(tokenizer, row["prompt"], generation_prompt=True)) for row in rows
    ]
    print(f"{len(contexts)} contexts of {min(map(len, contexts))}..{max(map(len, contexts))} tokens")

    config = trainer.generation_config
    config.max_new_tokens = 64
    config.min_new_tokens = 64  # the same work both ways, whatever is sampled
    model = trainer.model
    model.eval()
    pad_id = tokenizer.pad_token_id
    cast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=trainer.args.bf16)

    def padded(batch: list[list[int]]) -> list[list[int]]:
        width = max(map(len, batch))
        ids = torch.tensor([[pad_id] * (width - len(c)) + c for c in batch])
        mask = torch.tensor([[0] * (width - len(c)) + [1] * len(c) for c in batch])
        output = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
        return [row[width:].tolist() for row in output]

    def shared(batch: list[list[int]]) -> list[list[int]]:
        return generate_from_shared_prompts(model, batch, config, pad_id)

    sampling: dict[str, list[float]] = {"padded": [], "shared": []}
    for _ in range(args.repeats):
        for name, sample in (("padded", padded), ("shared", shared)):
            start = time.perf_counter()
            with torch.no_grad(), cast:
                sample(contexts)
            sampling[name].append(time.perf_counter() - start)
    _report("sampling one turn", sampling)


def _report(what: str, times: dict[str, list[float]]) -> None:
    padded, shared = statistics.median(times["padded"]), statistics.median(times["shared"])
    print(f"{what}: padded {padded:.1f} s, shared prompts {shared:.1f} s; speed-up {padded / shared:.2f}x")


if __name__ == "__main__":
    main()
