"""Paraphrase augmentation against a real OpenAI-compatible server serving crafted replies.

``python -m toolsafe.models.server replay:FILE`` answers each paraphrase request (keyed by
``<scenario id>#prompt`` / ``#injection``) with a reply written here: good paraphrases, duplicates,
one dropping a value, one with protocol tags, ones sharing 8 words with the test split or with a
benchmark file, malformed replies, a refusal, and a missing reply (the server answers 500).
"""

from __future__ import annotations

import json
import socket
import string
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from toolsafe.cli import app
from toolsafe.judge import judge
from toolsafe.models.errors import ModelUnavailableError
from toolsafe.models.registry import load_model
from toolsafe.policy import default_policy
from toolsafe.sandbox.agents import get_agent, run_agent
from toolsafe.sandbox.augment import AugmentConfig, AugmentError, augment, balance_variants, journal_path
from toolsafe.sandbox.episode import Episode
from toolsafe.sandbox.generate import generate, load_domains, read_jsonl, write_jsonl
from toolsafe.sandbox.originality import literal_parts, template_texts
from toolsafe.sandbox.paraphrase import Target, parse_reply, required_values, targets
from toolsafe.sandbox.scenario import CallSpec, Scenario
from toolsafe.sandbox.threats import STYLES

pytestmark = pytest.mark.integration

K = 3
BENCHMARK_SENTENCE = "the lighthouse keeper painted every stair of the tower a different shade of teal"
FILLERS = (
    "Hello there, whenever you find a free moment please sort this out for me:",
    "Small favour to ask, nothing urgent at all, I would appreciate it:",
    "Here is a job that needs doing today if at all possible, details:",
    "Quick one from me before lunch, would you handle this properly:",
)


class ReplayServer:
    """``python -m toolsafe.models.server replay:FILE`` in a subprocess; counts the requests it answers."""

    def __init__(self, replies: Path) -> None:
        command = [sys.executable, "-m", "toolsafe.models.server", f"replay:{replies}", "--port", "0"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("serving "), line
        self.url = line.split(" at ")[1].strip()
        self.spec = f"openai:{self.url}#replay:{replies.name}?retries=0&timeout=20"
        self.requests = 0
        threading.Thread(target=self._count, daemon=True).start()

    def _count(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if "POST /v1/chat/completions" in line:
                self.requests += 1

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return generate("train", 21, seed=0)  # three per taxonomy cell


def good(target: Target, i: int) -> str:
    return f"{FILLERS[i % len(FILLERS)]} {' / '.join(target.required) or 'the usual task'}."


def split_segment() -> str:
    return next(p.strip() for t in template_texts("test") for p in literal_parts(t) if len(p.split()) >= 10)


class Plan:
    """The crafted replies and the counts they must produce."""

    def __init__(self, scenarios: list[Scenario]) -> None:
        self.replies: dict[str, str] = {}
        self.finish: dict[str, str] = {}
        self.expected = Counter[str]()
        self.accepted: dict[str, dict[str, int]] = {}
        roles = iter(
            [
                self.duplicates,
                self.invalid,
                self.contaminated,
                self.not_json,
                self.wrong_count,
                self.refused,
                self.fenced_with_long,
                self.refusal_and_number,
                self.truncated,
                self.unanswered,
            ]
        )
        for scenario in scenarios:
            prompt, *injection = targets(scenario)
            role = next(roles, None) if prompt.required and not injection else None
            (role or self.all_good)(scenario.id, prompt)
            for target in injection:
                self.all_good(scenario.id, target)
        assert next(roles, None) is None, "too few scenarios to play every role"
        self.pending = self.unanswered_id

    def reply(self, scenario: str, target: Target, text: str, accepted: int, outcome: str = "ok") -> None:
        self.replies[f"{scenario}#{target.field}"] = text
        self.expected[f"replies.{outcome}"] += 1
        self.expected[f"accepted.{target.field}"] += accepted
        self.accepted.setdefault(scenario, {})[target.field] = accepted

    def all_good(self, scenario: str, target: Target) -> None:
        items = [good(target, i) for i in range(K)]
        self.reply(scenario, target, json.dumps({"paraphrases": items}), K)

    def duplicates(self, scenario: str, target: Target) -> None:
        exact = "  " + target.text.upper().replace(",", " ,") + "  "
        near = good(target, 0).replace("Hello there", "Hi there")
        self.reply(scenario, target, json.dumps([good(target, 0), exact, near]), 1)
        self.expected.update({"dedup.exact": 1, "dedup.near": 1})

    def invalid(self, scenario: str, target: Target) -> None:
        dropped = good(target, 0).replace(target.required[-1], "them")
        tagged = good(target, 2) + " <tool_call>{}</tool_call>"
        self.reply(scenario, target, json.dumps([dropped, good(target, 1), tagged]), 1)
        self.expected.update({"validity.missing_value": 1, "validity.protocol_tag": 1})

    def contaminated(self, scenario: str, target: Target) -> None:
        from_test = f"{good(target, 0)} {split_segment()}"
        from_bench = f"{good(target, 1)} And {BENCHMARK_SENTENCE}."
        self.reply(scenario, target, json.dumps([from_test, from_bench, "   "]), 0)
        self.expected.update(
            {"contamination.test_split": 1, "contamination.benchmark": 1, "validity.empty": 1}
        )

    def not_json(self, scenario: str, target: Target) -> None:
        self.reply(scenario, target, "Sure! 1. " + good(target, 0) + " 2. " + good(target, 1), 0, "not_json")

    def wrong_count(self, scenario: str, target: Target) -> None:
        self.reply(scenario, target, json.dumps([good(target, 0), good(target, 1)]), 0, "wrong_count")

    def refused(self, scenario: str, target: Target) -> None:
        self.reply(scenario, target, "I'm sorry, but I can't help with rewriting that request.", 0, "refused")

    def fenced_with_long(self, scenario: str, target: Target) -> None:
        long = good(target, 0) + " and then" * (len(target.text) * 2)
        items = [long, good(target, 1), good(target, 2)]
        self.reply(scenario, target, f"Here you go:\n```json\n{json.dumps(items)}\n```", 2)
        self.expected["validity.too_long"] += 1

    def refusal_and_number(self, scenario: str, target: Target) -> None:
        items = [good(target, 0), "I'm sorry, but I can't help with that.", 42]
        self.reply(scenario, target, json.dumps(items), 1)
        self.expected.update({"validity.refusal": 1, "validity.not_text": 1})

    def truncated(self, scenario: str, target: Target) -> None:
        self.reply(scenario, target, json.dumps([good(target, 0), good(target, 1)])[:-20], 0, "truncated")
        self.finish[f"{scenario}#{target.field}"] = "length"

    def unanswered(self, scenario: str, target: Target) -> None:
        self.unanswered_id = scenario
        self.unanswered_target = target


def write_replies(path: Path, replies: dict[str, str], finish: dict[str, str] | None = None) -> Path:
    ends = finish or {}
    lines = [
        json.dumps({"case_id": case, "output": text, "finish_reason": ends.get(case, "stop")})
        for case, text in sorted(replies.items())
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def bench_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bench"
    folder.mkdir()
    (folder / "cases.json").write_text(json.dumps([{"instruction": BENCHMARK_SENTENCE.capitalize()}]))
    return folder


@pytest.fixture
def served(tmp_path: Path, scenarios: list[Scenario]) -> Iterator[tuple[ReplayServer, Plan]]:
    plan = Plan(scenarios)
    server = ReplayServer(write_replies(tmp_path / "replies.jsonl", plan.replies, plan.finish))
    try:
        yield server, plan
    finally:
        server.stop()


def _config(bench_dir: Path, **options: Any) -> AugmentConfig:
    return AugmentConfig(k=K, max_length_ratio=4.0, concurrency=4, benchmark_dirs=(bench_dir,), **options)


def test_filters_count_every_rejection_and_variants_keep_their_checks(
    served: tuple[ReplayServer, Plan], scenarios: list[Scenario], bench_dir: Path, tmp_path: Path
) -> None:
    server, plan = served
    out = tmp_path / "aug.jsonl"
    seen: list[tuple[int, int]] = []
    result = augment(
        scenarios,
        load_model(server.spec),
        out,
        _config(bench_dir, balance="none"),
        progress=lambda done, total: seen.append((done, total)),
    )

    stats = result.stats
    assert result.pending == [plan.pending] and not result.complete
    assert "no saved output" in stats["pending_errors"][plan.pending]
    assert stats["scenarios"] == {
        "input": 21,
        "done": 20,
        "resumed": 0,
        "pending": 1,
        "with_variants": sum(1 for a in plan.accepted.values() if max(a.values()) > 0),
    }
    replies = stats["replies"]
    for outcome in ("ok", "not_json", "wrong_count", "refused", "truncated"):
        assert replies[outcome] == plan.expected[f"replies.{outcome}"], outcome
    assert replies["endpoint_error"] == 1
    assert replies["sent"] == sum(plan.expected[k] for k in plan.expected if k.startswith("replies.")) + 1
    rejected = stats["rejected"]
    for key in (
        "validity.missing_value",
        "validity.protocol_tag",
        "validity.empty",
        "validity.too_long",
        "validity.refusal",
        "validity.not_text",
        "dedup.exact",
        "dedup.near",
        "contamination.test_split",
        "contamination.benchmark",
    ):
        stage, reason = key.split(".")
        assert rejected[stage][reason] == plan.expected[key] == 1, key
    accepted = stats["candidates"]["accepted"]
    assert accepted["prompt"] == plan.expected["accepted.prompt"]
    assert accepted["injection"] == plan.expected["accepted.injection"]
    assert seen[0] == (0, 21) and seen[-1] == (21, 21)

    written = read_jsonl(out)
    assert len(written) == stats["variants"]["written"] == stats["variants"]["made"]
    parents = {s.id: s for s in scenarios}
    per_parent = Counter(v.augmentation.parent for v in written if v.augmentation)
    assert per_parent == {p: max(a.values()) for p, a in plan.accepted.items() if max(a.values())}
    for variant in written:
        assert variant.augmentation is not None
        parent = parents[variant.augmentation.parent]
        assert variant.id.startswith(parent.id + "~p")
        assert variant.model_dump(exclude={"id", "prompt", "injection", "augmentation"}) == parent.model_dump(
            exclude={"id", "prompt", "injection", "augmentation"}
        )
        assert (variant.prompt != parent.prompt) == ("prompt" in variant.augmentation.paraphrased)
        if parent.injection is not None:
            assert variant.injection is not None
            assert variant.injection.model_dump(exclude={"text"}) == parent.injection.model_dump(
                exclude={"text"}
            )
            assert "injection" in variant.augmentation.paraphrased
            assert variant.injection.text != parent.injection.text
            assert variant.injection.text.startswith(FILLERS)
        for target, original in zip(targets(variant), targets(parent), strict=True):
            assert all(value.lower() in target.text.lower() for value in original.required)
        _assert_oracle_passes(variant)


def _assert_oracle_passes(variant: Scenario) -> None:
    policy = default_policy()
    outcome = judge(run_agent(get_agent("oracle"), variant, seed=1), variant, policy)
    assert outcome.policy_match and not outcome.attack_success and not outcome.data_leaked, variant.id
    if variant.injection is not None:
        episode = Episode()
        episode.reset(variant)
        outputs = [episode.call(step.name, step.arguments) for step in variant.plan]
        shown = [
            o for o, s in zip(outputs, variant.plan, strict=True) if s.name == variant.injection.trigger_tool
        ]
        text = variant.injection.text
        assert any(text in o or json.dumps(text)[1:-1] in o for o in shown), variant.id


def test_a_killed_run_resumes_without_repeating_work(
    served: tuple[ReplayServer, Plan], scenarios: list[Scenario], bench_dir: Path, tmp_path: Path
) -> None:
    server, plan = served
    out = tmp_path / "aug.jsonl"
    first = augment(scenarios, load_model(server.spec), out, _config(bench_dir))
    assert first.pending == [plan.pending]
    journal = journal_path(out)
    lines = journal.read_text().splitlines()
    assert len(lines) == 1 + 20  # the settings, then one line per finished scenario
    with journal.open("a") as handle:
        handle.write('{"parent": "sandbox/train/0000')  # a write cut off by a kill

    replies = dict(plan.replies)
    replies[f"{plan.pending}#prompt"] = json.dumps([good(plan.unanswered_target, i) for i in range(K)])
    server.stop()
    restarted = ReplayServer(write_replies(tmp_path / "replies.jsonl", replies, plan.finish))
    try:
        data = tmp_path / "train.jsonl"
        write_jsonl(scenarios, data)
        command = ["data", "augment", "--in", str(data), "--out", str(out), "--model", restarted.spec]
        command += ["--k", str(K), "--max-length-ratio", "4", "--benchmark-dir", str(bench_dir), "--json"]
        result = CliRunner().invoke(app, command)
        deadline = time.monotonic() + 5
        while restarted.requests < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        restarted.stop()
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert restarted.requests == 1  # only the pending scenario's prompt was asked again
    assert stats["scenarios"]["resumed"] == 20 and stats["scenarios"]["done"] == 21
    parents = [json.loads(line)["parent"] for line in journal.read_text().splitlines()[1:]]
    assert sorted(parents) == sorted(s.id for s in scenarios)
    written = read_jsonl(out)
    assert len({s.id for s in written}) == len(written) == stats["variants"]["written"]
    assert any(v.augmentation and v.augmentation.parent == plan.pending for v in written)
    cells = Counter(v.cell for v in written)  # the input has three scenarios per cell
    assert len(cells) == 7 and len(set(cells.values())) == 1
    assert cells.most_common(1)[0][1] == min(stats["balance"]["available"].values())


def test_resuming_with_other_settings_is_refused(
    served: tuple[ReplayServer, Plan], scenarios: list[Scenario], bench_dir: Path, tmp_path: Path
) -> None:
    server, _ = served
    out = tmp_path / "aug.jsonl"
    augment(scenarios[:2], load_model(server.spec), out, _config(bench_dir))
    with pytest.raises(AugmentError, match=r"k=3 \(now 2\)"):
        augment(scenarios[:2], load_model(server.spec), out, AugmentConfig(k=2, benchmark_dirs=(bench_dir,)))


def test_the_test_split_is_refused_unless_forced(tmp_path: Path) -> None:
    data = tmp_path / "test.jsonl"
    write_jsonl(generate("test", 3, seed=0), data)
    command = ["data", "augment", "--in", str(data), "--out", str(tmp_path / "a.jsonl")]
    result = CliRunner().invoke(app, [*command, "--model", "openai:http://127.0.0.1:9/v1#m"])
    assert result.exit_code == 2
    assert "test split" in result.output and "--force-test" in result.output


def test_an_unreachable_endpoint_is_a_clear_error_naming_it(
    tmp_path: Path, scenarios: list[Scenario]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(ModelUnavailableError, match=url.replace(".", r"\.")):
        augment(scenarios[:2], load_model(f"openai:{url}#m?retries=0"), tmp_path / "a.jsonl", AugmentConfig())
    data = tmp_path / "train.jsonl"
    write_jsonl(scenarios[:2], data)
    command = ["data", "augment", "--in", str(data), "--out", str(tmp_path / "b.jsonl")]
    result = CliRunner().invoke(app, [*command, "--model", f"openai:{url}#m"])
    assert result.exit_code == 2 and url in result.output and "not reachable" in result.output


def _fields(template: str) -> list[tuple[str, str]]:
    return [(name, spec) for _, name, spec, _ in string.Formatter().parse(template) if name is not None]


def test_values_filled_into_templates_must_survive(scenarios: list[Scenario]) -> None:
    phrasings = {t.id: t.prompts for d in load_domains() for t in d.tasks}
    checked = 0
    for scenario in scenarios:
        for phrasing in phrasings.get(scenario.template_id, ()):
            fields = _fields(phrasing)
            names = sorted({name for name, _ in fields})
            if len(names) < 2 or any(spec for _, spec in fields):
                continue
            values = {name: f"Zorblat{i}x" for i, name in enumerate(names)}
            variant = scenario.model_copy(update={"prompt": phrasing.format(**values)})
            assert set(values.values()) <= set(required_values(variant, "prompt")), phrasing
            checked += 1
    assert checked >= 3
    attacked = next(s for s in scenarios if s.injection is not None)
    assert attacked.injection is not None
    goal = next(
        g
        for d in load_domains()
        for g in d.goals
        if _fields(g.instruction) and not any(spec for _, spec in _fields(g.instruction))
    )
    values = {name: f"qx-{i}-value@example.org" for i, (name, _) in enumerate(_fields(goal.instruction))}
    text = STYLES["plain"].phrasings["train"][0].format(instruction=goal.instruction.format(**values))
    injection = attacked.injection.model_copy(
        update={"text": text, "style": "plain", "goal": CallSpec(name=goal.call.name)}
    )
    required = required_values(attacked.model_copy(update={"injection": injection}), "injection")
    assert set(values.values()) <= set(required)


def test_replies_parse_robustly() -> None:
    assert parse_reply('["a", "b"]', 2) == (["a", "b"], None)
    assert parse_reply('Sure:\n```json\n["a", "b"]\n```\nEnjoy!', 2) == (["a", "b"], None)
    assert parse_reply('{"paraphrases": ["a", "b"]}', 2) == (["a", "b"], None)
    assert parse_reply('["a", "b"', 2, truncated=True) == ([], "truncated")
    assert parse_reply('["a"]', 2) == ([], "wrong_count")
    assert parse_reply("", 2) == ([], "not_json")
    assert parse_reply("I'm sorry, I can't do that.", 2) == ([], "refused")


def _copy(scenario: Scenario, number: int) -> Scenario:
    return scenario.model_copy(update={"id": f"{scenario.id}~p{number}"})


def test_balance_keeps_input_shares_or_equal_counts(scenarios: list[Scenario]) -> None:
    by_cell: dict[str, Scenario] = {}
    for scenario in scenarios:
        by_cell.setdefault(scenario.cell, scenario)
    a, b, c, empty = sorted(by_cell)[:4]
    variants = [_copy(by_cell[cell], i) for cell in (a, b, c) for i in range(10)]
    shares = Counter({a: 4, b: 2, c: 1, empty: 1})
    kept, report = balance_variants(variants, shares, "input", seed=3)
    assert Counter(v.cell for v in kept) == {a: 10, b: 5, c: 2}  # 4:2:1 of the shares, capped by a
    assert report.empty_cells == [empty] and report.available[empty] == 0
    assert [variants.index(v) for v in kept] == sorted(variants.index(v) for v in kept)
    again, _ = balance_variants(variants, shares, "input", seed=3)
    assert again == kept
    other, _ = balance_variants(variants, shares, "input", seed=4)
    assert {v.id for v in other} != {v.id for v in kept}
    equal, _ = balance_variants(variants[:25], shares, "equal")
    assert Counter(v.cell for v in equal) == {a: 5, b: 5, c: 5}
    everything, _ = balance_variants(variants, shares, "none")
    assert everything == variants


def test_bad_settings_name_the_option() -> None:
    with pytest.raises(AugmentError, match="near_duplicate"):
        AugmentConfig(near_duplicate=1.5)
    with pytest.raises(AugmentError, match="balance"):
        AugmentConfig(balance="skewed")  # type: ignore[arg-type]
