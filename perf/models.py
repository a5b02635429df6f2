"""Throughput of the embedded SmolLM2 through the hf backend: conversion, load, batched vs sequential.

    .venv/bin/python perf/models.py [--requests 8] [--max-tokens 64] [--fresh-cache] [--threads 1]
        [--dtype auto|float32|bfloat16] [--autocast off|on]

``--fresh-cache`` converts the GGUF into a temporary cache to time the one-off conversion.
Prints seconds and tokens/s; the batched/sequential ratio is the number to watch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from toolsafe.models.base import ChatRequest
from toolsafe.models.registry import load_model

PROMPTS = [
    "What is the capital of France?",
    "Write one sentence about the sea.",
    "List three fruits.",
    "Explain what a CPU does in one sentence.",
    "Say hello to Alice.",
    "What is 12 times 12?",
    "Name a famous painter.",
    "Give me a tip for learning Python.",
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--fresh-cache", action="store_true")
    parser.add_argument("--autocast", default="off", choices=["on", "off"])
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    args = parser.parse_args()

    if args.fresh_cache:
        os.environ["TOOLSAFE_CACHE"] = tempfile.mkdtemp(prefix="toolsafe-perf-models-")
        from toolsafe.models.gguf import convert_gguf
        from toolsafe.models.smollm2 import smollm2_gguf

        started = time.perf_counter()
        convert_gguf(smollm2_gguf())
        print(f"convert_gguf (first use, includes hashing): {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    threads = f"&threads={args.threads}" if args.threads else ""
    spec = f"smollm2?batch_size={args.requests}&autocast={args.autocast}&dtype={args.dtype}{threads}"
    model = load_model(spec)
    print(f"load_model({spec!r}) from the cache: {time.perf_counter() - started:.1f} s with imports")
    print(f"from_pretrained (tokenizer + weights): {getattr(model, 'load_seconds', float('nan')):.1f} s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    requests = [
        ChatRequest(messages=[{"role": "user", "content": p}], tools=TOOLS, max_tokens=args.max_tokens)
        for p in (PROMPTS * (args.requests // len(PROMPTS) + 1))[: args.requests]
    ]
    model.generate(requests[:1])  # warm-up

    def run(batches: list[list[ChatRequest]]) -> tuple[float, int]:
        started = time.perf_counter()
        tokens = sum(r.usage.get("completion_tokens", 0) for b in batches for r in model.generate(b))
        return time.perf_counter() - started, tokens

    seq_s, seq_tokens = run([[r] for r in requests])
    batch_s, batch_tokens = run([requests])
    prompt_tokens = statistics.mean(r.usage["prompt_tokens"] for r in model.generate(requests[:2]))
    print(f"prompt ≈ {prompt_tokens:.0f} tokens, max_tokens {args.max_tokens}, {len(requests)} requests")
    print(f"one at a time: {seq_tokens} tokens in {seq_s:.1f} s = {seq_tokens / seq_s:.1f} tok/s")
    print(f"batched:       {batch_tokens} tokens in {batch_s:.1f} s = {batch_tokens / batch_s:.1f} tok/s")
    print(f"batched / one at a time: {(batch_tokens / batch_s) / (seq_tokens / seq_s):.2f}x")


if __name__ == "__main__":
    main()
