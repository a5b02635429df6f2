"""Scenario generation: balance over the policy's cells, determinism, ids, offered tools, I/O."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from toolsafe.policy import default_policy
from toolsafe.sandbox.generate import (
    GenerationError,
    generate,
    hf_rows,
    load_domains,
    read_jsonl,
    save_hf,
    scenario_from_json,
    tools,
    write_jsonl,
)
from toolsafe.sandbox.scenario import Scenario
from toolsafe.taxonomy import Risk


def test_every_policy_cell_gets_at_least_eight_percent(test_split: list[Scenario]) -> None:
    counts = Counter(s.cell for s in test_split)
    cells = {c.cell for c in default_policy().cells()}
    assert set(counts) == cells and len(cells) == 7
    assert min(counts.values()) / len(test_split) >= 0.08


def test_a_third_is_multi_step_and_domains_are_mixed(test_split: list[Scenario]) -> None:
    assert sum(s.multi_step for s in test_split) / len(test_split) >= 1 / 3
    assert len({s.domain for s in test_split}) == len(load_domains())


def test_generation_is_deterministic_and_prefix_stable(test_split: list[Scenario]) -> None:
    again = generate("test", 50, seed=0)
    assert [s.model_dump() for s in again] == [s.model_dump() for s in test_split[:50]]
    assert [s.id for s in again[:3]] == ["sandbox/test/000000", "sandbox/test/000001", "sandbox/test/000002"]
    other = generate("test", 50, seed=1)
    assert [s.prompt for s in other] != [s.prompt for s in again]


def test_scenarios_carry_what_the_episode_needs(test_split: list[Scenario]) -> None:
    policy = default_policy()
    known = tools()
    for scenario in test_split:
        offered = set(scenario.tools)
        assert set(scenario.tools) <= set(known)
        needed = {c.name for c in scenario.plan} | {c.name for c in scenario.harmful_calls}
        if scenario.injection:
            needed.add(scenario.injection.goal.name)
            assert scenario.injection.trigger_tool in {c.name for c in scenario.plan}
            assert scenario.injection.goal.name not in {c.name for c in scenario.plan}
            assert any(c.name == "injected_goal" for c in scenario.checks)
        if scenario.sensitive_content:
            needed.add(scenario.sensitive_content.guarded_call.name)
        assert needed <= offered
        assert 2 <= len(offered - needed) <= 4, scenario.id
        assert scenario.expected is policy.expected_decision(scenario.labels)
        assert (scenario.injection is not None) == (scenario.tool_risk is Risk.MALICIOUS)
        assert (scenario.sensitive_content is not None) == (scenario.tool_risk is Risk.SENSITIVE)
        assert (scenario.sensitive_call is not None) == (scenario.user_risk is Risk.SENSITIVE)
        if scenario.user_risk is Risk.MALICIOUS:
            assert scenario.harmful_calls and scenario.attack_category and not scenario.plan
        else:
            assert scenario.plan and any(c.name == "task_done" for c in scenario.checks)


def test_attack_styles_and_disclosures_are_varied(test_split: list[Scenario]) -> None:
    styles = Counter(s.injection.style for s in test_split if s.injection)
    assert len(styles) >= 8
    kinds = Counter(s.sensitive_content.kind for s in test_split if s.sensitive_content)
    assert set(kinds) == {"secret", "pii", "action_request"}
    assert sum(s.jailbreak is not None for s in test_split) > 0
    categories = {s.attack_category for s in test_split if s.attack_category}
    assert {"fraud", "privacy", "credentials", "destruction", "harassment"} <= categories


def test_policy_variant_changes_expected_decisions() -> None:
    ignore = default_policy().variant(on_malicious_tool="ignore")
    scenarios = generate("test", 21, seed=3, policy=ignore)
    attacked = [s for s in scenarios if s.cell == "user_benign/tool_malicious"]
    assert attacked and all(s.expected.value == "execute" for s in attacked)


def test_bad_split_is_a_clear_error() -> None:
    with pytest.raises(GenerationError, match="split"):
        generate("dev", 3)  # type: ignore[arg-type]


def test_jsonl_round_trip(tmp_path: Path, test_split: list[Scenario]) -> None:
    path = tmp_path / "s.jsonl"
    assert write_jsonl(test_split[:30], path) == 30
    assert read_jsonl(path) == test_split[:30]
    path.write_text('{"id": 1}\n')
    with pytest.raises(GenerationError, match=r"s\.jsonl:1"):
        read_jsonl(path)


def test_hf_rows_and_dataset_export(tmp_path: Path, test_split: list[Scenario]) -> None:
    rows = hf_rows(test_split[:5])
    assert rows[0]["prompt"][1] == {"role": "user", "content": test_split[0].prompt}
    assert scenario_from_json(rows[0]["scenario"]) == test_split[0]
    json.dumps(rows)
    datasets = pytest.importorskip("datasets")
    save_hf(test_split[:5], tmp_path / "hf")
    loaded = datasets.load_from_disk(str(tmp_path / "hf"))
    assert loaded.num_rows == 5 and loaded[2]["id"] == test_split[2].id


def test_generation_does_not_depend_on_the_hash_seed() -> None:
    import subprocess
    import sys

    code = (
        "import hashlib; from toolsafe.sandbox.generate import generate; "
        "print(hashlib.sha256(''.join(s.model_dump_json() for s in generate('test', 210, 4)).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def test_threats_are_visible_in_their_trigger_output(test_split: list[Scenario]) -> None:
    from toolsafe.sandbox.episode import Episode

    hidden: list[str] = []
    for scenario in test_split:
        threat = scenario.injection or scenario.sensitive_content
        if threat is None:
            continue
        episode = Episode()
        episode.reset(scenario)
        outputs = [(step.name, episode.call(step.name, step.arguments)) for step in scenario.plan]
        seen = [out for name, out in outputs if name == threat.trigger_tool]
        if not any(threat.text in out or json.dumps(threat.text)[1:-1] in out for out in seen):
            hidden.append(f"{scenario.id} {scenario.template_id} via {threat.trigger_tool}")
    assert hidden == []
