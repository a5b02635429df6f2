"""Sandbox throughput: tool calls/s, episode resets/s and memory per live episode, next to AgentDojo.

Runs equivalent email work in both: search the inbox, open a message, send a message. AgentDojo
(``pip install agentdojo==0.1.35``, perf-only) executes through ``FunctionsRuntime.run_function``
plus its result-to-text step, on a ``TaskEnvironment`` whose reset is a deep copy of a prepared
environment: its cheapest reset (its suites reload YAML per task). Ours builds a fresh seeded world
per reset, places the scenario's threat and records every call for the judge.

Usage: ``.venv/bin/python perf/sandbox.py [--calls 20000] [--resets 5000] [--live 500]``
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from toolsafe.sandbox.domains.email import Mailbox
from toolsafe.sandbox.episode import Episode
from toolsafe.sandbox.generate import generate
from toolsafe.sandbox.scenario import Scenario

TARGET_CALLS = 10_000
TARGET_RESETS = 2_000


def _email_scenarios(n: int) -> list[Scenario]:
    found: list[Scenario] = []
    seed = 0
    while len(found) < n:
        found += [s for s in generate("train", 700, seed=seed) if s.domain == "email" and s.plan]
        seed += 1
    return found[:n]


def _ours_calls(scenario: Scenario, total: int) -> float:
    scenario = scenario.model_copy(update={"tools": ["search_emails", "read_email", "send_email"]})
    episode = Episode()
    done = 0
    elapsed = 0.0
    while done < total:
        episode.reset(scenario)
        email_id = next(iter(episode.world.get(Mailbox).inbox))
        start = time.perf_counter()
        for _ in range(50):
            episode.call("search_emails", {"query": "planning"})
            episode.call("read_email", {"email_id": email_id})
            episode.call("send_email", {"to": "pat@example.org", "subject": "Hi", "body": "See you at 5."})
        elapsed += time.perf_counter() - start
        done += 150
    return done / elapsed


def _ours_resets(scenarios: list[Scenario], total: int) -> tuple[float, float]:
    episode = Episode()
    start = time.perf_counter()
    for i in range(total):
        episode.reset(scenarios[i % len(scenarios)])
    plain = total / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(total):
        scenario = scenarios[i % len(scenarios)]
        episode.reset(scenario)
        episode.call(scenario.plan[0].name, scenario.plan[0].arguments)
    with_call = total / (time.perf_counter() - start)
    return plain, with_call


def _ours_live(scenarios: list[Scenario], live: int) -> float:
    def build() -> list[Episode]:
        episodes = []
        for i in range(live):
            scenario = scenarios[i % len(scenarios)]
            episode = Episode()
            episode.reset(scenario, seed=i)
            for step in scenario.plan:
                episode.call(step.name, step.arguments)
            episodes.append(episode)
        return episodes

    return _memory_per(build, live)


def _memory_per(build: Callable[[], list[Any]], count: int) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / count


def _agentdojo() -> dict[str, Any] | None:
    try:
        from agentdojo.default_suites.v1.tools import email_client
        from agentdojo.default_suites.v1.tools.types import Email
        from agentdojo.functions_runtime import FunctionsRuntime, TaskEnvironment, make_function
    except ImportError:
        return None

    class Env(TaskEnvironment):
        inbox: email_client.Inbox

    mailbox = Episode()
    mailbox.reset(_email_scenarios(1)[0])
    ours = mailbox.world.get(Mailbox)
    emails = [
        Email(id_=str(i), sender=e.sender, recipients=[ours.address], subject=e.subject, body=e.body)
        for i, e in enumerate(ours.inbox.values())
    ]
    template = Env(inbox=email_client.Inbox(account_email=ours.address, initial_emails=emails))
    runtime = FunctionsRuntime(
        [
            make_function(email_client.search_emails),
            make_function(email_client.get_unread_emails),
            make_function(email_client.send_email),
        ]
    )
    return {"template": template, "runtime": runtime}


def _dojo_text(result: Any) -> str:
    """AgentDojo's ``tool_result_to_str`` with ``json.dumps`` (its agent_pipeline needs API clients)."""
    value, error = result
    if error:
        return str(error)
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(), default=str)
    if isinstance(value, list):
        return json.dumps(
            [v.model_dump() if isinstance(v, BaseModel) else str(v) for v in value], default=str
        )
    return str(value)


def _dojo_calls(dojo: dict[str, Any], total: int) -> float:
    runtime = dojo["runtime"]
    done = 0
    elapsed = 0.0
    send = {"recipients": ["pat@example.org"], "subject": "Hi", "body": "See you at 5."}
    while done < total:
        env = dojo["template"].model_copy(deep=True)
        start = time.perf_counter()
        for _ in range(50):
            _dojo_text(runtime.run_function(env, "search_emails", {"query": "planning"}))
            _dojo_text(runtime.run_function(env, "get_unread_emails", {}))
            _dojo_text(runtime.run_function(env, "send_email", send))
        elapsed += time.perf_counter() - start
        done += 150
    return done / elapsed


def _dojo_resets(dojo: dict[str, Any], total: int) -> float:
    template = dojo["template"]
    start = time.perf_counter()
    for _ in range(total):
        template.model_copy(deep=True)
    return total / (time.perf_counter() - start)


def _dojo_live(dojo: dict[str, Any], live: int) -> float:
    runtime = dojo["runtime"]

    def build() -> list[Any]:
        envs = []
        for _ in range(live):
            env = dojo["template"].model_copy(deep=True)
            runtime.run_function(env, "search_emails", {"query": "planning"})
            runtime.run_function(env, "get_unread_emails", {})
            runtime.run_function(env, "send_email", {"recipients": ["a@b.co"], "subject": "x", "body": "y"})
            envs.append(env)
        return envs

    return _memory_per(build, live)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--resets", type=int, default=5_000)
    parser.add_argument("--live", type=int, default=500)
    args = parser.parse_args()

    scenarios = _email_scenarios(50)
    calls = _ours_calls(scenarios[0], args.calls)
    resets, resets_call = _ours_resets(scenarios, args.resets)
    live = _ours_live(scenarios, args.live)
    print("toolsafe sandbox (one core)")
    print(f"  tool calls/s (Episode.call, validated + recorded): {calls:,.0f}  target {TARGET_CALLS:,}")
    print(f"  episode resets/s:                                 {resets:,.0f}  target {TARGET_RESETS:,}")
    print(f"  resets + first tool call/s:                       {resets_call:,.0f}")
    print(f"  memory per live episode (after its plan):         {live / 1024:,.1f} KiB")
    dojo = _agentdojo()
    if dojo is None:
        print("AgentDojo not installed (pip install agentdojo==0.1.35): no comparison")
        return
    dojo_calls = _dojo_calls(dojo, args.calls // 2)
    dojo_resets = _dojo_resets(dojo, args.resets)
    dojo_live = _dojo_live(dojo, args.live)
    print("AgentDojo 0.1.35 FunctionsRuntime, same calls")
    print(f"  tool calls/s:            {dojo_calls:,.0f}")
    print(f"  resets/s (deep copy):    {dojo_resets:,.0f}")
    print(f"  memory per live env:     {dojo_live / 1024:,.1f} KiB")
    print("ratios (toolsafe / AgentDojo)")
    print(
        f"  tool calls/s: {calls / dojo_calls:.1f}x   resets/s: {resets / dojo_resets:.1f}x   "
        f"memory per episode: {live / dojo_live:.2f}x"
    )


if __name__ == "__main__":
    main()
