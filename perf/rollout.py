"""Sandbox rollout throughput: a local model batched vs one episode at a time, with and without
reusing earlier turns' KV cache, and an OpenAI-compatible endpoint at concurrency 1 vs 8 — ratios
measured in the same run.

    .venv/bin/python perf/rollout.py [--episodes 16] [--max-turns 2] [--max-tokens 48] [--model smollm2]
                                     [--only kv|batching|endpoint]

KV reuse pays on long episodes of a model that makes calls, e.g. the quickstart's SFT checkpoint:
``--only kv --model 'hf:runs/quickstart/sft/final?dtype=bfloat16' --max-turns 6 --max-tokens 128``.

The endpoint is toolsafe's own OpenAI-compatible server (``toolsafe.models.server``) in front of
the same model on 127.0.0.1, so the concurrency ratio shows how much server-side batching the
rollout engine unlocks by keeping several requests in flight.
"""

from __future__ import annotations

import argparse
import time

from toolsafe.models.openai_api import OpenAIChatModel
from toolsafe.models.registry import load_model
from toolsafe.models.server import ChatServer
from toolsafe.rollout import RolloutConfig, run_episodes
from toolsafe.sandbox.generate import generate
from toolsafe.store import MemoryStore


def episodes_per_second(model: object, scenarios: list, batch_size: int, args: argparse.Namespace) -> float:  # type: ignore[type-arg]
    config = RolloutConfig(batch_size=batch_size, max_turns=args.max_turns, max_tokens=args.max_tokens)
    start = time.perf_counter()
    summary = run_episodes(model, scenarios, MemoryStore(), config=config)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    assert summary.ran == len(scenarios), summary.failed
    return len(scenarios) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=16)
    parser.add_argument("--max-turns", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--only", choices=["kv", "batching", "endpoint"], help="run one comparison")
    args = parser.parse_args()
    run = {args.only} if args.only else {"kv", "batching", "endpoint"}
    scenarios = generate("test", max(70, args.episodes), seed=1)[: args.episodes]
    local = load_model(args.model)
    if "kv" in run:
        joiner = "&" if "?" in args.model else "?"
        no_reuse = load_model(f"{args.model}{joiner}kv_reuse=0")
        fresh = episodes_per_second(no_reuse, scenarios, 8, args)
        reused = episodes_per_second(local, scenarios, 8, args)
        cache = local.prefix_cache  # type: ignore[attr-defined]
        print(
            f"local {args.model}, batched (8): KV reuse off {fresh:.3f} ep/s · on {reused:.3f} ep/s · "
            f"ratio {reused / fresh:.2f}x ({cache.reused_tokens / cache.prompt_tokens:.0%} of prompt tokens reused)"
        )
        del no_reuse
        cache.clear()  # the runs below start from nothing cached, as the first did

    if "batching" in run:
        one = episodes_per_second(local, scenarios, 1, args)
        batched = episodes_per_second(local, scenarios, 8, args)
        print(
            f"local {args.model}: one at a time {one:.3f} ep/s · batched (8) {batched:.3f} ep/s · "
            f"ratio {batched / one:.2f}x"
        )

    if "endpoint" in run:
        with ChatServer(local, max_batch=8, quiet=True) as server:
            endpoint = f"{server.url}"
            serial = OpenAIChatModel(endpoint, args.model, wire_format="tagged", concurrency=1)
            parallel = OpenAIChatModel(endpoint, args.model, wire_format="tagged", concurrency=8)
            c1 = episodes_per_second(serial, scenarios, 1, args)
            c8 = episodes_per_second(parallel, scenarios, 8, args)
        print(f"endpoint: concurrency 1 {c1:.3f} ep/s · concurrency 8 {c8:.3f} ep/s · ratio {c8 / c1:.2f}x")


if __name__ == "__main__":
    main()
