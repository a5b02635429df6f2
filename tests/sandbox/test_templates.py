"""Every discovered domain's templates: bind, render, and really do what they claim on a fresh world.

These run over whatever domains are present, so a new domain is checked as soon as it lands.
"""

from __future__ import annotations

import random

import pytest

from toolsafe.sandbox.checks import evaluate, states_of
from toolsafe.sandbox.generate import load_domains, tools
from toolsafe.sandbox.scenario import CallSpec, WorldCheck
from toolsafe.sandbox.templates import (
    Call,
    Domain,
    Expect,
    Injectable,
    TaskTemplate,
    TemplateError,
    fill,
    render_call,
    render_check,
    render_prompt,
)
from toolsafe.sandbox.world import World, state_class

SEEDS = (0, 1, 7)
DOMAINS = {d.name: d for d in load_domains()}
MARKER = "ZQX-PLANTED-MARKER"


def test_fill_keeps_types_and_names_missing_placeholders() -> None:
    bound = {"n": 3, "who": "Ana"}
    assert fill({"count": "{n}", "text": "hi {who} x{n}", "list": ["{who}"]}, bound) == {
        "count": 3,
        "text": "hi Ana x3",
        "list": ["Ana"],
    }
    with pytest.raises(TemplateError, match="missing"):
        fill("{missing} value", bound)


def test_at_least_two_domains_are_discovered() -> None:
    assert {"email", "files"} <= set(DOMAINS)


def _run(world: World, calls: list[CallSpec]) -> list[str]:
    known = tools()
    problems = []
    for spec in calls:
        result = known[spec.name].call(world.get, spec.arguments)
        if not result.ok:
            problems.append(f"{spec.name}{spec.arguments}: {result.output[:160]}")
    return problems


def _prepare(world: World, checks: list[WorldCheck]) -> dict[str, object]:
    for name in states_of(checks):
        world.get(state_class(name))
    return world.snapshot()


def _verify(label: str, world: World, calls: list[CallSpec], checks: list[WorldCheck]) -> list[str]:
    """Checks are false before the calls (unless 'unchanged'/negative) and true after them."""
    failures = []
    initial = _prepare(world, checks)
    for check in checks:
        if check.op not in ("ne", "not_contains", "unchanged", "absent") and evaluate(
            check, initial, initial
        ):
            failures.append(f"{label}: check {check.name} {check.path} already holds before acting")
    failures += [f"{label}: {p}" for p in _run(world, calls)]
    final = world.snapshot()
    failures += [
        f"{label}: check {c.name} {c.op} {c.path} fails after the calls"
        for c in checks
        if not evaluate(c, initial, final)
    ]
    return failures


def _task_failures(domain: Domain, task: TaskTemplate, seed: int) -> list[str]:
    label = f"{task.id}@{seed}"
    world = World(seed, task.split)
    rng = random.Random(seed)
    bindings = task.bind(world, rng)
    failures = []
    try:
        for prompt in task.prompts:
            fill(prompt, bindings)
        plan = [render_call(c, bindings) for c in task.plan]
        checks = [render_check(c, bindings) for c in task.checks]
    except TemplateError as error:
        return [f"{label}: {error}"]
    if not any(c.name == "task_done" for c in checks):
        failures.append(f"{label}: no task_done check")
    if task.sensitive_step is not None and not tools()[plan[task.sensitive_step].name].sensitive:
        failures.append(
            f"{label}: sensitive_step calls {plan[task.sensitive_step].name}, which has no risk tag"
        )
    for exposure in task.exposures:
        probe = World(seed, task.split)
        task.bind(probe, random.Random(seed))
        slot = str(fill(exposure.slot, bindings))
        state_name, _, locator = slot.partition(":")
        target = probe.get(state_class(state_name))
        if not isinstance(target, Injectable):
            failures.append(f"{label}: state {state_name} has no inject method")
            continue
        target.inject(locator, MARKER)
        known = tools()
        outputs = [known[s.name].call(probe.get, s.arguments).output for s in plan[: exposure.step + 1]]
        if MARKER not in outputs[-1]:
            failures.append(
                f"{label}: text placed at {slot} does not appear in the output of {plan[exposure.step].name}"
            )
    return failures + _verify(label, world, plan, checks)


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_task_templates_complete_their_tasks(name: str) -> None:
    domain = DOMAINS[name]
    failures = [f for task in domain.tasks for seed in SEEDS for f in _task_failures(domain, task, seed)]
    assert failures == []


def _call_failures(
    label: str, split: str, bind, calls: tuple[Call, ...], expects: tuple[Expect, ...], seed: int
) -> list[str]:  # type: ignore[no-untyped-def]
    world = World(seed, split)
    try:
        bindings = bind(world, random.Random(seed))
        specs = [render_call(c, bindings) for c in calls]
        checks = [render_check(c, bindings) for c in expects]
    except TemplateError as error:
        return [f"{label}: {error}"]
    if not checks:
        return [f"{label}: no check tells whether the call ran"]
    return _verify(label, world, specs, checks)


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_harmful_requests_and_goals_are_observable(name: str) -> None:
    domain = DOMAINS[name]
    failures: list[str] = []
    for seed in SEEDS:
        for harm in domain.harmful:
            failures += _call_failures(
                f"{harm.id}@{seed}", harm.split, harm.bind, harm.calls, harm.checks, seed
            )
            try:
                render_prompt(
                    harm.prompts, harm.bind(World(seed, harm.split), random.Random(seed)), random.Random(0)
                )
            except TemplateError as error:
                failures.append(f"{harm.id}: {error}")
        for goal in domain.goals:
            failures += _call_failures(
                f"{goal.id}@{seed}", goal.split, goal.bind, (goal.call,), (goal.check,), seed
            )
        for content in domain.contents:
            if content.guarded is not None:
                failures += _call_failures(
                    f"{content.id}@{seed}",
                    content.split,
                    content.bind,
                    (content.guarded,),
                    content.checks,
                    seed,
                )
    assert failures == []


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_templates_are_well_formed(name: str) -> None:
    domain = DOMAINS[name]
    templates = domain.templates()
    for group in ([*domain.tasks, *domain.harmful], domain.goals, domain.contents):
        ids = [t.id for t in group]
        assert len(ids) == len(set(ids)), f"{name}: template ids repeat: {sorted(ids)}"
    assert {t.split for t in templates} <= {"train", "test"}
    for split in ("train", "test"):
        assert any(t.split == split for t in domain.tasks), f"{name}: no {split} tasks"
    for content in domain.contents:
        if content.kind == "action_request":
            assert content.guarded is not None, content.id
        else:
            assert content.secret, content.id
    train_prompts = {p for t in [*domain.tasks, *domain.harmful] if t.split == "train" for p in t.prompts}
    test_prompts = {p for t in [*domain.tasks, *domain.harmful] if t.split == "test" for p in t.prompts}
    assert not train_prompts & test_prompts
