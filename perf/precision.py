"""bf16 against fp32 on this CPU for the embedded SmolLM2-135M: what ``precision: auto`` and ``dtype=auto``
decide between.

    .venv/bin/python perf/precision.py
    .venv/bin/python perf/precision.py --batch 8 --prompt-tokens 800 --new-tokens 32 --train-tokens 1000

Generation: greedy ``generate`` of ``--batch`` prompts with fp32 and bf16 weights. Training: one forward
and backward pass over ``--train-tokens`` tokens of fp32 weights, plain and under bf16 autocast (what
``bf16-mixed`` does). Each is timed after one warm-up run; the ratio is bf16 time / fp32 time (below 1:
bf16 is faster).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable


def timed(work: Callable[[], object]) -> float:
    """Seconds of the second of two runs (the first warms up kernels and caches)."""
    work()
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--prompt-tokens", type=int, default=800)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--train-tokens", type=int, default=1000)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM

    from toolsafe.models.hf import cpu_has_native_bf16
    from toolsafe.train.modeling import resolve_model

    path = resolve_model("smollm2")
    generator = torch.Generator().manual_seed(0)
    prompts = torch.randint(100, 40000, (args.batch, args.prompt_tokens), generator=generator)
    sequence = torch.randint(100, 40000, (1, args.train_tokens), generator=generator)
    print(f"native bf16 on this CPU: {cpu_has_native_bf16()} (torch {torch.get_num_threads()} threads)")

    generation = {}
    for dtype in (torch.float32, torch.bfloat16):
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
        with torch.inference_mode():
            generation[dtype] = timed(
                lambda model=model: model.generate(
                    prompts,
                    attention_mask=torch.ones_like(prompts),
                    max_new_tokens=args.new_tokens,
                    min_new_tokens=args.new_tokens,
                    do_sample=False,
                )
            )
    print(
        f"generate {args.batch} x {args.prompt_tokens} + {args.new_tokens} tokens: "
        f"fp32 {generation[torch.float32]:.1f} s, bf16 {generation[torch.bfloat16]:.1f} s, "
        f"ratio {generation[torch.bfloat16] / generation[torch.float32]:.2f}"
    )

    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)

    def step(autocast: bool) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            loss = model(sequence, labels=sequence).loss
        loss.backward()
        model.zero_grad()

    plain, mixed = timed(lambda: step(False)), timed(lambda: step(True))
    print(
        f"forward + backward over {args.train_tokens} tokens: fp32 {plain:.1f} s, "
        f"bf16 autocast {mixed:.1f} s, ratio {mixed / plain:.2f}"
    )


if __name__ == "__main__":
    main()
