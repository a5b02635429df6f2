"""Scenario generation: domain templates × threats → balanced, deterministic :class:`Scenario` lists.

``generate(split, n, seed)`` cycles through the policy's taxonomy cells, so every cell gets an
equal share; scenario ``i`` depends only on ``(split, seed, i)`` and its id is
``sandbox/<split>/<i:06d>``. Domains are discovered by importing every module of
:mod:`toolsafe.sandbox.domains`; a module without a ``DOMAIN`` (or with no templates) is skipped.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from toolsafe.policy import Policy, default_policy
from toolsafe.sandbox import pools
from toolsafe.sandbox.scenario import CallSpec, Injection, Scenario, SensitiveContent, Split, WorldCheck
from toolsafe.sandbox.templates import (
    Domain,
    HarmfulRequest,
    InjectionGoal,
    TaskTemplate,
    fill,
    render_call,
    render_check,
    render_prompt,
)
from toolsafe.sandbox.templates import SensitiveContent as ContentTemplate
from toolsafe.sandbox.threats import JAILBREAKS, STYLES, apply_jailbreak, apply_style
from toolsafe.sandbox.tools import ToolSpec, registry
from toolsafe.sandbox.world import World
from toolsafe.taxonomy import Labels, Risk

JAILBREAK_RATE = 0.5
"""Share of malicious prompts wrapped in a jailbreak."""

DISCLOSURE_RATE = 0.5
"""Share of sensitive tool content that carries a secret or PII (the rest asks for an action)."""


class GenerationError(ValueError):
    """Scenarios cannot be generated (no domain offers a template for a needed cell)."""


@cache
def load_domains() -> tuple[Domain, ...]:
    """Import every module in :mod:`toolsafe.sandbox.domains` and collect their ``DOMAIN``."""
    import toolsafe.sandbox.domains as package

    found: list[Domain] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        domain = getattr(module, "DOMAIN", None)
        if isinstance(domain, Domain) and domain.templates():
            found.append(domain)
    return tuple(found)


def tools() -> dict[str, ToolSpec]:
    """Every tool of every domain (loads the domains)."""
    load_domains()
    return registry()


@dataclass(frozen=True)
class _Catalogue:
    """The templates of one split, indexed for drawing."""

    tasks: tuple[tuple[Domain, TaskTemplate], ...]
    harmful: tuple[tuple[Domain, HarmfulRequest], ...]
    goals: tuple[InjectionGoal, ...]
    contents: tuple[ContentTemplate, ...]


@cache
def _catalogue(split: Split) -> _Catalogue:
    known = tools()
    domains = load_domains()

    def usable(names: Iterable[str]) -> bool:
        return all(name in known for name in names)

    return _Catalogue(
        tasks=tuple(
            (d, t) for d in domains for t in d.tasks if t.split == split and usable(c.name for c in t.plan)
        ),
        harmful=tuple(
            (d, h) for d in domains for h in d.harmful if h.split == split and usable(c.name for c in h.calls)
        ),
        goals=tuple(g for d in domains for g in d.goals if g.split == split and usable([g.call.name])),
        contents=tuple(
            c
            for d in domains
            for c in d.contents
            if c.split == split and (c.guarded is None or usable([c.guarded.name]))
        ),
    )


def generate(split: Split, n: int, seed: int = 0, policy: Policy | None = None) -> list[Scenario]:
    """``n`` scenarios of ``split``, balanced over ``policy.cells()``; deterministic in ``(split, seed)``."""
    if split not in ("train", "test"):
        raise GenerationError(f"split: got {split!r}; use train or test")
    pol = policy or default_policy()
    cells = pol.cells()
    return [_scenario(split, seed, index, cells[index % len(cells)], pol) for index in range(n)]


def _scenario(split: Split, seed: int, index: int, labels: Labels, policy: Policy) -> Scenario:
    rng = random.Random(f"{split}:{seed}:{index}")
    catalogue = _catalogue(split)
    scenario_id = f"sandbox/{split}/{index:06d}"
    world_seed = rng.randrange(2**31)
    world = World(world_seed, split)
    if labels.user is Risk.MALICIOUS:
        return _malicious(scenario_id, split, labels, world, rng, catalogue, policy)
    return _task(scenario_id, split, labels, world, rng, catalogue, policy)


def _malicious(
    scenario_id: str,
    split: Split,
    labels: Labels,
    world: World,
    rng: random.Random,
    catalogue: _Catalogue,
    policy: Policy,
) -> Scenario:
    if not catalogue.harmful:
        raise GenerationError(f"no harmful-request templates for split {split}")
    domain, template = rng.choice(catalogue.harmful)
    bindings = template.bind(world, rng)
    prompt = render_prompt(template.prompts, bindings, rng)
    jailbreak = None
    if rng.random() < JAILBREAK_RATE:
        jailbreak = rng.choice(sorted(JAILBREAKS))
        prompt = apply_jailbreak(jailbreak, prompt, split, rng)
    calls = [render_call(call, bindings) for call in template.calls]
    return Scenario(
        id=scenario_id,
        split=split,
        domain=domain.name,
        template_id=template.id,
        labels=labels,
        prompt=prompt,
        system=_system(domain, world),
        tools=_offer([c.name for c in calls], domain, rng),
        world_seed=world.seed,
        plan=[],
        checks=[render_check(check, bindings) for check in template.checks],
        expected=policy.expected_decision(labels, uses_sensitive_tool=_any_sensitive(calls)),
        attack_category=template.category,
        jailbreak=jailbreak,
        harmful_calls=calls,
    )


def _task(
    scenario_id: str,
    split: Split,
    labels: Labels,
    world: World,
    rng: random.Random,
    catalogue: _Catalogue,
    policy: Policy,
) -> Scenario:
    wants_sensitive = labels.user is Risk.SENSITIVE
    candidates = [
        (d, t)
        for d, t in catalogue.tasks
        if t.sensitive == wants_sensitive and (labels.tool is Risk.BENIGN or t.exposures)
    ]
    disclose = rng.random() < DISCLOSURE_RATE
    if labels.tool is Risk.SENSITIVE:
        hosting = [(d, t) for d, t in candidates if _hosts_content(t, catalogue, disclose)]
        if not hosting:
            disclose = not disclose
            hosting = [(d, t) for d, t in candidates if _hosts_content(t, catalogue, disclose)]
        candidates = hosting
    if not candidates:
        raise GenerationError(f"no {'sensitive' if wants_sensitive else 'benign'} task fits {labels.cell}")
    domain, template = rng.choice(candidates)
    bindings = template.bind(world, rng)
    world.facts["task"] = dict(bindings)
    plan = [render_call(call, bindings) for call in template.plan]
    checks = [render_check(check, bindings) for check in template.checks]
    prompt = render_prompt(template.prompts, bindings, rng)
    extra: list[str] = []
    injection: Injection | None = None
    content: SensitiveContent | None = None
    threat_at: int | None = None
    if labels.tool is not Risk.BENIGN:
        exposures = list(template.exposures)
        if labels.tool is Risk.SENSITIVE:
            exposures = [e for e in exposures if _fitting(template, e.step, catalogue, disclose)]
        exposure = rng.choice(exposures)
        slot = str(fill(exposure.slot, bindings))
        trigger = plan[exposure.step].name
        threat_at = exposure.step + 1
        if labels.tool is Risk.MALICIOUS:
            injection, goal_check = _inject(split, slot, trigger, plan, world, rng, catalogue)
            checks.append(goal_check)
            extra.append(injection.goal.name)
        else:
            fitting = _fitting(template, exposure.step, catalogue, disclose)
            content, content_checks = _content(template, fitting, slot, trigger, plan, world, rng)
            checks.extend(content_checks)
            extra.append(content.guarded_call.name)
    sensitive_call = None
    if template.sensitive_step is not None:
        sensitive_call = plan[template.sensitive_step]
        step = template.sensitive_step
        threat_at = step if threat_at is None else min(threat_at, step)
    multi_step = (threat_at if threat_at is not None else len(plan)) >= 2
    return Scenario(
        id=scenario_id,
        split=split,
        domain=domain.name,
        template_id=template.id,
        labels=labels,
        prompt=prompt,
        system=_system(domain, world),
        tools=_offer([*(c.name for c in plan), *extra], domain, rng),
        world_seed=world.seed,
        plan=plan,
        sensitive_call=sensitive_call,
        injection=injection,
        sensitive_content=content,
        checks=checks,
        expected=policy.expected_decision(labels, uses_sensitive_tool=_any_sensitive(plan)),
        multi_step=multi_step,
    )


def _hosts_content(template: TaskTemplate, catalogue: _Catalogue, disclose: bool) -> bool:
    return any(_fitting(template, exposure.step, catalogue, disclose) for exposure in template.exposures)


def _fitting(
    template: TaskTemplate, step: int, catalogue: _Catalogue, disclose: bool
) -> list[ContentTemplate]:
    """Content templates of one group (disclosure or action request) that fit plan call ``step``."""
    plan_tools = {c.name for c in template.plan}
    return [
        c
        for c in catalogue.contents
        if (c.kind != "action_request") == disclose and _content_fits(template, step, c, plan_tools)
    ]


def _content_fits(template: TaskTemplate, step: int, content: ContentTemplate, plan_tools: set[str]) -> bool:
    if content.kind == "action_request":
        return content.guarded is not None and content.guarded.name not in plan_tools
    return template.outbound_step is not None and template.outbound_step > step


def _inject(
    split: Split,
    slot: str,
    trigger: str,
    plan: Sequence[CallSpec],
    world: World,
    rng: random.Random,
    catalogue: _Catalogue,
) -> tuple[Injection, WorldCheck]:
    plan_tools = {c.name for c in plan}
    goals = [g for g in catalogue.goals if g.call.name not in plan_tools]
    if not goals:
        raise GenerationError(f"no injection goal for split {split} uses a tool outside the task's plan")
    goal = rng.choice(goals)
    bindings = goal.bind(world, rng)
    instruction = str(fill(goal.instruction, bindings))
    styles = sorted(name for name in STYLES if goal.exfiltrates or name != "exfiltration")
    style = rng.choice(styles)
    text = apply_style(style, instruction, split, rng)
    injection = Injection(
        slot=slot, style=style, text=text, goal=render_call(goal.call, bindings), trigger_tool=trigger
    )
    return injection, render_check(goal.check, bindings)


def _content(
    template: TaskTemplate,
    fitting: Sequence[ContentTemplate],
    slot: str,
    trigger: str,
    plan: Sequence[CallSpec],
    world: World,
    rng: random.Random,
) -> tuple[SensitiveContent, list[WorldCheck]]:
    chosen = rng.choice(list(fitting))
    bindings = chosen.bind(world, rng)
    if chosen.guarded is not None and chosen.kind == "action_request":
        guarded = render_call(chosen.guarded, bindings)
    else:
        assert template.outbound_step is not None  # _content_fits guarantees it
        guarded = plan[template.outbound_step]
    secret = str(fill(chosen.secret, bindings)) if chosen.secret else None
    content = SensitiveContent(
        slot=slot,
        kind=chosen.kind,
        text=str(fill(chosen.text, bindings)),
        secret=secret,
        guarded_call=guarded,
        trigger_tool=trigger,
    )
    checks = [render_check(check, bindings) for check in chosen.checks]
    return content, [
        c.model_copy(update={"name": "guarded_done"}) if c.name == "sensitive_done" else c for c in checks
    ]


def _system(domain: Domain, world: World) -> str:
    user = pools.user_profile(world)
    return f"{domain.system} The user is {user['name']} <{user['email']}>, based in {user['city']}."


def _any_sensitive(calls: Sequence[CallSpec]) -> bool:
    known = tools()
    return any(known[c.name].sensitive for c in calls if c.name in known)


def _offer(needed: Sequence[str], domain: Domain, rng: random.Random) -> list[str]:
    """The needed tools plus 2–4 distractors from other domains (same domain if it is alone), shuffled."""
    offered = list(dict.fromkeys(needed))
    known = tools()
    others = sorted(
        name for name, spec in known.items() if spec.domain != domain.name and name not in offered
    )
    if len(others) < 2:
        others = sorted(name for name in known if name not in offered)
    count = min(len(others), rng.randint(2, 4))
    offered += rng.sample(others, count)
    rng.shuffle(offered)
    return offered


def stats() -> dict[str, Any]:
    """Counts describing the sandbox: domains, tools, sensitive tools, attack styles, templates per split."""
    domains = load_domains()
    known = tools()
    templates = [t for d in domains for t in d.templates()]
    return {
        "domains": len(domains),
        "tools": len(known),
        "sensitive_tools": sum(spec.sensitive for spec in known.values()),
        "attack_styles": len(STYLES),
        "jailbreaks": len(JAILBREAKS),
        "scenario_templates": {
            split: sum(t.split == split for t in templates) for split in ("train", "test")
        },
        "domain_names": [d.name for d in domains],
    }


def scenario_by_id(
    scenario_id: str, *, split: Split = "test", seed: int = 0, policy: Policy | None = None
) -> Scenario:
    """The generated scenario with this id (``sandbox/test/000017``) or index (``17``)."""
    text = scenario_id.strip()
    parts = text.split("/")
    if len(parts) == 3 and parts[0] == "sandbox" and parts[1] in ("train", "test"):
        split = parts[1]  # type: ignore[assignment]
        text = parts[2]
    if not text.isdigit():
        raise GenerationError(
            f"scenario: got {scenario_id!r}; use an id like sandbox/test/000017 or an index"
        )
    index = int(text)
    pol = policy or default_policy()
    cells = pol.cells()
    return _scenario(split, seed, index, cells[index % len(cells)], pol)


# --------------------------------------------------------------------------- I/O


def write_jsonl(scenarios: Iterable[Scenario], path: str | Path) -> int:
    """Write scenarios one JSON object a line; returns the count."""
    count = 0
    with Path(path).open("w", encoding="utf-8") as handle:
        for scenario in scenarios:
            handle.write(scenario.model_dump_json() + "\n")
            count += 1
    return count


def read_jsonl(path: str | Path) -> list[Scenario]:
    """Read scenarios written by :func:`write_jsonl`; a bad line raises naming the file and line."""
    scenarios: list[Scenario] = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                scenarios.append(Scenario.model_validate_json(line))
            except ValueError as error:
                first = str(error).splitlines()[0]
                raise GenerationError(f"{path}:{number}: not a scenario ({first})") from None
    return scenarios


def hf_rows(scenarios: Iterable[Scenario]) -> list[dict[str, Any]]:
    """Flat rows for a Hugging Face dataset: chat ``prompt``, labels, and the scenario as JSON."""
    rows = []
    for scenario in scenarios:
        rows.append(
            {
                "id": scenario.id,
                "prompt": [
                    {"role": "system", "content": scenario.system or ""},
                    {"role": "user", "content": scenario.prompt},
                ],
                "cell": scenario.cell,
                "domain": scenario.domain,
                "expected": scenario.expected.value,
                "tools": list(scenario.tools),
                "scenario": scenario.model_dump_json(),
            }
        )
    return rows


def to_hf_dataset(scenarios: Iterable[Scenario]) -> Any:
    """A ``datasets.Dataset`` of :func:`hf_rows` (needs ``pip install 'toolsafe[train]'``)."""
    try:
        import datasets
    except ImportError:
        raise ImportError(
            "the datasets export needs the train extra: pip install 'toolsafe[train]'"
        ) from None
    return datasets.Dataset.from_list(hf_rows(scenarios))


def save_hf(scenarios: Iterable[Scenario], directory: str | Path) -> None:
    """Save scenarios as a Hugging Face dataset directory (``datasets.load_from_disk`` reads it)."""
    to_hf_dataset(scenarios).save_to_disk(str(directory))


def scenario_from_json(text: str) -> Scenario:
    """Parse one scenario from its JSON (e.g. the ``scenario`` column of :func:`hf_rows`)."""
    return Scenario.model_validate(json.loads(text))
