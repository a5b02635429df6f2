"""Speed and held-out accuracy of the shipped refusal classifier (single thread, standard library).

python perf/refusal.py [--n 5000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from toolsafe.refusal import load_model
from toolsafe.refusal.data import generate
from toolsafe.refusal.training import evaluate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=5_000, help="texts to time (cycled from both splits)")
    args = parser.parse_args()

    start = time.perf_counter()
    model = load_model()
    load_ms = (time.perf_counter() - start) * 1000
    heldout = generate("heldout", seed=model.meta["seed"])
    pool = [e.text for e in generate("train", seed=model.meta["seed"]) + heldout]
    texts = [pool[i % len(pool)] for i in range(args.n)]
    long_texts = [" ".join(texts[i : i + 40]) for i in range(0, 4_000, 40)]

    timings = []
    for text in texts:
        start = time.perf_counter()
        model.score(text)
        timings.append(time.perf_counter() - start)
    long_timings = []
    for text in long_texts:
        start = time.perf_counter()
        model.score(text)
        long_timings.append(time.perf_counter() - start)
    confusion, per_category = evaluate(model, heldout)

    timings.sort()
    print(f"model load: {load_ms:.1f} ms ({len(model.vocabulary)} features)")
    print(
        f"{len(texts)} texts: {statistics.mean(timings) * 1000:.4f} ms/text mean, "
        f"p99 {timings[int(len(timings) * 0.99)] * 1000:.4f} ms, max {timings[-1] * 1000:.4f} ms"
    )
    mean_chars = statistics.mean(len(t) for t in long_texts)
    print(
        f"{len(long_texts)} long texts (~{mean_chars:.0f} chars): {statistics.mean(long_timings) * 1000:.4f} ms/text"
    )
    print(
        f"held-out accuracy: {confusion.accuracy:.4f} on {len(heldout)} texts "
        f"(recorded in the model: {model.meta['heldout_accuracy']})"
    )
    worst = sorted(per_category.items(), key=lambda item: item[1])[:3]
    print("weakest categories: " + ", ".join(f"{name} {acc:.3f}" for name, acc in worst))


if __name__ == "__main__":
    main()
