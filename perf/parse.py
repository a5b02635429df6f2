"""Throughput and worst case of the tagged parser on valid, broken and adversarial outputs.

Prints outputs/s, MB/s and the slowest input of each kind (its slowest input re-timed, best of
3, so one scheduler hiccup on a shared machine does not count); exits 1 if any takes more than
``--limit-ms``.

    python perf/parse.py [--n 100000] [--limit-ms 10]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from collections.abc import Callable, Iterator

from toolsafe.protocol import AgentTurn, Check, ToolCall, parse_tagged, render_tagged

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "report",
    "invoice",
    "Oslo",
    "Zoë",
    "東京",
    "transfer",
    "backup",
    "meeting",
    "✓",
    "\\",
    '"',
    "'",
    "{",
    "}",
    "<",
    ">",
]
NAMES = ["send_email", "get_weather", "transfer_money", "read_file", "delete_directory", "search_web"]
MB = 1_000_000


def _sentence(rng: random.Random, n: int = 8) -> str:
    return " ".join(rng.choice(WORDS[:14]) for _ in range(rng.randint(1, n)))


def _turn(rng: random.Random) -> AgentTurn:
    calls = tuple(
        ToolCall(
            rng.choice(NAMES), {"to": _sentence(rng, 3), "n": rng.randint(0, 999), "flag": rng.random() < 0.5}
        )
        for _ in range(rng.choice((0, 1, 1, 1, 2)))
    )
    checks = (
        (Check(rng.choice(NAMES), _sentence(rng) if rng.random() < 0.5 else ""),)
        if rng.random() < 0.2
        else ()
    )
    return AgentTurn(think=_sentence(rng, 30), tool_calls=calls, checks=checks, text=_sentence(rng, 20))


BREAKERS: list[tuple[str, Callable[[str, random.Random], str]]] = [
    ("truncated", lambda s, r: s[: r.randint(0, len(s))]),
    ("parameters key", lambda s, r: s.replace('"arguments"', '"parameters"')),
    ("single quotes", lambda s, r: s.replace('"', "'")),
    ("no call tags", lambda s, r: s.replace("<tool_call>", "").replace("</tool_call>", "")),
    (
        "fenced",
        lambda s, r: s.replace("<tool_call>", "<tool_call>```json\n").replace(
            "</tool_call>", "\n```</tool_call>"
        ),
    ),
    ("no </think>", lambda s, r: s.replace("</think>", "")),
    ("no <think>", lambda s, r: s.replace("<think>", "")),
    ("braces dropped", lambda s, r: s.replace("}", "", r.randint(1, 3))),
    ("hallucinated response", lambda s, r: s + '\n<tool_response>{"ok": true}</tool_response>\nDone.'),
    ("doubled tags", lambda s, r: s.replace("<tool_call>", "<tool_call><tool_call>")),
]


def _adversarial() -> Iterator[tuple[str, str]]:
    yield "10k '{' bare", "{" * 10_000
    yield "10k '[' bare", "[" * 10_000
    yield "10k '{' in a call", "<tool_call>" + "{" * 10_000 + "</tool_call>"
    yield (
        "10k '[' in call arguments",
        '<tool_call>{"name": "a", "arguments": ' + "[" * 10_000 + "</tool_call>",
    )
    yield "10k '{\"a\":' nesting in a call", "<tool_call>" + '{"a":' * 10_000
    yield "1 MB plain text", "a" * MB
    yield (
        "1 MB string argument",
        '<tool_call>{"name": "x", "arguments": {"body": "' + "b" * MB + '"}}</tool_call>',
    )
    yield "1 MB unterminated string argument", '<tool_call>{"name": "x", "arguments": {"body": "' + "b" * MB
    yield "1 MB bare unterminated call", '{"name": "x", "arguments": {"body": "' + "b" * MB
    yield "1 MB think never closed", "<think>" + "t" * MB
    yield "1 MB whitespace after '{'", "{" + " " * MB
    yield "1 MB of backticks", "`" * MB
    yield "1 MB of fence openers", "```json\n" * (MB // 8)
    yield "20k unclosed <think>", "<think>" * 20_000
    yield "20k stray </tool_call>", "</tool_call>" * 20_000
    yield "20k '<tool_call>{'", "<tool_call>{" * 20_000
    yield "20k '<tool_call>{\"name\"'", '<tool_call>{"name"' * 20_000
    yield "20k broken calls", '<tool_call>{"name": "x", "arguments": {"a": 1</tool_call>' * 20_000
    yield "20k single-quoted calls", "<tool_call>{'name': 'x', 'arguments': {'a': 1}}</tool_call>" * 20_000
    yield "50k '{\"name\"' prefixes", '{"name"' * 50_000
    yield "50k '{ \"name\": ' prefixes", '{ "name": ' * 50_000
    yield "50k bare calls", '{"name": "x", "arguments": {}} ' * 50_000
    yield (
        "20k-char dense Python dict",
        "<tool_call>{'name': 'x', 'arguments': {'a': [" + "1," * 9_990 + "]}}</tool_call>",
    )
    yield "20k-char dense truncated JSON", '<tool_call>{"name": "x", "arguments": {"a": [' + "[1]," * 4_990
    yield (
        "lone surrogates",
        '\ud800<tool_call>{"name": "\udfff", "arguments": {"\ud800": 1}}</tool_call>' * 2_000,
    )
    yield "escaped-quote storm", '<tool_call>{"name": "x", "arguments": {"a": "' + '\\"' * 200_000
    yield "tag soup", "<think></tool_call><tool_check>{</think>```" * 20_000


def _inputs(n: int, seed: int) -> Iterator[tuple[str, str]]:
    rng = random.Random(seed)
    adversarial = list(_adversarial())
    ordinary = n - len(adversarial) * 4
    for i in range(ordinary):
        rendered = render_tagged(_turn(rng))
        if i % 3:
            yield "valid", rendered
        else:
            label, breaker = rng.choice(BREAKERS)
            yield label, breaker(rendered, rng)
    for _ in range(4):
        yield from adversarial


def _timed(text: str) -> float:
    start = time.perf_counter()
    parse_tagged(text)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--limit-ms", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    count = chars = 0
    total = 0.0
    slowest: dict[str, float] = {}
    samples: dict[str, str] = {}
    gc.disable()
    for label, text in _inputs(args.n, args.seed):
        elapsed = _timed(text)
        count += 1
        chars += len(text)
        total += elapsed
        if elapsed > slowest.get(label, 0.0):
            slowest[label] = elapsed
            samples[label] = text
    gc.enable()
    for label, text in samples.items():
        slowest[label] = min(_timed(text) for _ in range(3))
    over = [label for label, seconds in slowest.items() if seconds * 1000 > args.limit_ms]

    print(f"parsed {count:,} outputs, {chars / MB:.1f} MB, in {total:.2f} s")
    print(f"throughput: {count / total:,.0f} outputs/s, {chars / MB / total:.1f} MB/s")
    print("slowest input per kind (ms, best of 3):")
    for label, seconds in sorted(slowest.items(), key=lambda item: -item[1])[:10]:
        print(f"  {seconds * 1000:8.3f}  {label}")
    worst_label, worst = max(slowest.items(), key=lambda item: item[1])
    print(
        json.dumps({"slowest": worst_label, "slowest_ms": round(worst * 1000, 3), "limit_ms": args.limit_ms})
    )
    if over:
        print(f"FAIL: over {args.limit_ms} ms: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
