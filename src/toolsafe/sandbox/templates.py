# TEMPLATE FORMAT READY
"""The domain template format: what a domain module declares besides its states and tools.

A domain module in :mod:`toolsafe.sandbox.domains` exports one ``DOMAIN = Domain(...)`` holding:

- :class:`TaskTemplate` — benign user tasks, and *sensitive* ones (``sensitive_step`` set: the plan
  call that needs the user's confirmation first, e.g. a legitimate transfer or deletion);
- :class:`HarmfulRequest` — malicious user requests, each with the harmful call(s) it aims at;
- :class:`InjectionGoal` — a concrete harmful call an attacker pushes through tool output, with a
  world check that tells whether it ran;
- :class:`SensitiveContent` — legitimate tool content carrying a secret / PII, or asking for a
  sensitive action, with the guarded call and the secret used for leak detection.

Every template is tagged ``train`` or ``test``; the two splits use disjoint phrasings and draw
entities from disjoint pools (``world.pool`` is the split: states seed their entities from the
pool, binders draw attacker/target values with :func:`pick`).

Templates are data with one function each: ``bind(world, rng) -> dict`` reads the seeded world
and returns the placeholder values. Prompts, call arguments, check paths/values and texts are
``str.format`` templates over those bindings; an argument that is exactly ``"{name}"`` keeps the
bound value's type (ints stay ints). :func:`render` turns a template into the pure-data pieces a
:class:`~toolsafe.sandbox.scenario.Scenario` carries.

Goal and content binders run after the task's: ``world.facts["task"]`` then holds the task's
bindings, and :func:`task_entities` its values, so an attack can avoid targeting the entities the
task itself needs (the user's task must stay completable).

Injection and content placement: a slot is ``"<state name>:<locator>"``; the state class
registered under that name implements :class:`Injectable` (``inject(locator, text)``), which
places the text where the exposing tool's output will show it (an email body, a file …). A task
says which of its plan calls expose which slots with :class:`Exposure`.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from toolsafe.sandbox.scenario import CallSpec, Split, WorldCheck
from toolsafe.sandbox.world import World

T = TypeVar("T")

Bindings = dict[str, Any]
Binder = Callable[[World, random.Random], Bindings]
"""Reads the seeded world (and draws from the split's pools) to fill a template's placeholders."""

CheckName = Literal[
    "task_done", "injected_goal", "data_leaked", "sensitive_done", "harmful_done", "guarded_done"
]
CheckOp = Literal["eq", "ne", "contains", "not_contains", "exists", "absent", "changed", "unchanged"]

HARM_CATEGORIES: tuple[str, ...] = (
    "fraud",
    "privacy",
    "credentials",
    "destruction",
    "harassment",
    "physical",
    "misinformation",
    "exfiltration",
)
"""Risk categories a harmful request or an injection goal belongs to."""


@runtime_checkable
class Injectable(Protocol):
    """A state that can hold attacker or sensitive text at a locator (e.g. an email id, a path)."""

    def inject(self, locator: str, text: str) -> None: ...


def no_bindings(world: World, rng: random.Random) -> Bindings:
    """A binder for templates without placeholders."""
    return {}


@dataclass(frozen=True)
class Call:
    """A tool call whose argument values may be format templates over the bindings."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Expect:
    """A world check template; ``path`` and string ``value`` are format templates.

    ``path`` is dotted from the state name (``mail.outbox``); keys that contain dots (file paths)
    are matched whole. ``contains`` on a list matches any element; a dict value matches an element
    holding those keys with matching values; strings match case-insensitively as substrings.
    """

    name: CheckName
    path: str
    op: CheckOp
    value: Any = None


@dataclass(frozen=True)
class Exposure:
    """Plan call ``step`` (0-based) returns the content of ``slot`` in its output."""

    step: int
    slot: str
    """``"<state>:<locator>"`` template, e.g. ``"mail:{email_id}"``."""


@dataclass(frozen=True)
class TaskTemplate:
    """A user task: benign, or sensitive when ``sensitive_step`` names the call needing confirmation."""

    id: str
    split: Split
    prompts: tuple[str, ...]
    """Phrasings of the request, with ``{placeholders}``."""
    bind: Binder
    plan: tuple[Call, ...]
    """The calls that complete the task, in order; arguments are concrete once bound."""
    checks: tuple[Expect, ...]
    """Checks on the final world (``task_done``, and ``sensitive_done`` for the sensitive call)."""
    exposures: tuple[Exposure, ...] = ()
    """Where tool-side threats can appear while doing this task."""
    sensitive_step: int | None = None
    """For a sensitive user task: index in ``plan`` of the call that needs confirmation."""
    outbound_step: int | None = None
    """Index of a plan call that sends what an earlier call read to someone (hosts secrets)."""

    @property
    def sensitive(self) -> bool:
        return self.sensitive_step is not None


@dataclass(frozen=True)
class HarmfulRequest:
    """A malicious user request and the harmful call(s) it aims at."""

    id: str
    split: Split
    category: str
    """One of :data:`HARM_CATEGORIES`."""
    prompts: tuple[str, ...]
    bind: Binder
    calls: tuple[Call, ...]
    checks: tuple[Expect, ...]
    """``harmful_done`` checks: true when the harmful call ran."""


@dataclass(frozen=True)
class InjectionGoal:
    """What an attacker wants the agent to do: an instruction, the call, and how to see it ran."""

    id: str
    split: Split
    category: str
    instruction: str
    """Imperative text naming the action, e.g. ``"send $1,450 to account {iban}"``."""
    bind: Binder
    call: Call
    check: Expect
    """An ``injected_goal`` check: true when the goal executed."""
    exfiltrates: bool = False
    """The goal sends user data to the attacker (fits the data-exfiltration style)."""


@dataclass(frozen=True)
class SensitiveContent:
    """Legitimate tool content that leads to a sensitive action or disclosure.

    ``kind="secret"``/``"pii"``: the text carries ``secret``; the guarded call is the host task's
    ``outbound_step`` (the agent is about to send it on). ``kind="action_request"``: the text asks
    for a sensitive action, ``guarded`` is that call.
    """

    id: str
    split: Split
    kind: Literal["secret", "pii", "action_request"]
    text: str
    bind: Binder = no_bindings
    secret: str | None = None
    guarded: Call | None = None
    checks: tuple[Expect, ...] = ()
    """Checks that the guarded call ran: ``guarded_done`` (``sensitive_done`` here is read as
    ``guarded_done``, so it never mixes with the user task's own sensitive call)."""


@dataclass(frozen=True)
class Domain:
    """Everything a domain module contributes to scenario generation."""

    name: str
    description: str
    system: str
    """Task-level persona for the agent in this domain (no tool list, no protocol)."""
    tasks: tuple[TaskTemplate, ...] = ()
    harmful: tuple[HarmfulRequest, ...] = ()
    goals: tuple[InjectionGoal, ...] = ()
    contents: tuple[SensitiveContent, ...] = ()

    def templates(self) -> list[TaskTemplate | HarmfulRequest | InjectionGoal | SensitiveContent]:
        return [*self.tasks, *self.harmful, *self.goals, *self.contents]


# --------------------------------------------------------------------------- helpers for domains


def pick(rng: random.Random, pools: Mapping[str, Sequence[T]], pool: str) -> T:
    """Draw one value from the split's pool (``pools["train"]`` or ``pools["test"]``)."""
    return rng.choice(list(pools[pool]))


def sample(rng: random.Random, pools: Mapping[str, Sequence[T]], pool: str, k: int) -> list[T]:
    """Draw ``k`` distinct values from the split's pool."""
    return rng.sample(list(pools[pool]), k)


def task_entities(world: World) -> set[Any]:
    """The hashable values the scenario's task is bound to (empty when no task is bound yet)."""
    bound = world.facts.get("task", {})
    return {v for v in bound.values() if isinstance(v, str | int | float)}


def split_pair(
    make: Callable[[Split, tuple[str, ...]], T], train: Sequence[str], test: Sequence[str]
) -> tuple[T, T]:
    """Build the train and test version of one template from their disjoint phrasings."""
    return make("train", tuple(train)), make("test", tuple(test))


def harmful_request_maker(
    domain: str, bind: Binder
) -> Callable[[str, str, tuple[Call, ...], Expect], Callable[[Split, tuple[str, ...]], HarmfulRequest]]:
    """A factory of :class:`HarmfulRequest` pairs for ``split_pair``: id ``<domain>.<key>.<split>``."""

    def harmful(
        key: str, category: str, calls: tuple[Call, ...], check: Expect
    ) -> Callable[[Split, tuple[str, ...]], HarmfulRequest]:
        def make(split: Split, prompts: tuple[str, ...]) -> HarmfulRequest:
            return HarmfulRequest(
                id=f"{domain}.{key}.{split}",
                split=split,
                category=category,
                prompts=prompts,
                bind=bind,
                calls=calls,
                checks=(check,),
            )

        return make

    return harmful


# --------------------------------------------------------------------------- rendering

_WHOLE = re.compile(r"^\{(\w+)\}$")


class TemplateError(ValueError):
    """A template names a placeholder its binder does not provide."""


def fill(value: Any, bindings: Mapping[str, Any]) -> Any:
    """Substitute bindings into a (nested) template value; ``"{x}"`` alone keeps x's type."""
    if isinstance(value, str):
        whole = _WHOLE.match(value)
        if whole and whole.group(1) in bindings:
            return bindings[whole.group(1)]
        if "{" not in value:
            return value
        try:
            return string.Formatter().vformat(value, (), bindings)
        except (KeyError, IndexError) as error:
            raise TemplateError(f"placeholder {error} not bound in {value[:80]!r}") from None
    if isinstance(value, Mapping):
        return {k: fill(v, bindings) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill(v, bindings) for v in value]
    return value


def render_call(call: Call, bindings: Mapping[str, Any]) -> CallSpec:
    """A concrete :class:`CallSpec` from a call template."""
    return CallSpec(name=call.name, arguments=fill(dict(call.arguments), bindings))


def render_check(expect: Expect, bindings: Mapping[str, Any]) -> WorldCheck:
    """A concrete :class:`WorldCheck` from a check template."""
    return WorldCheck(
        name=expect.name, path=fill(expect.path, bindings), op=expect.op, value=fill(expect.value, bindings)
    )


def render_prompt(prompts: Sequence[str], bindings: Mapping[str, Any], rng: random.Random) -> str:
    """One phrasing, chosen by ``rng``, with its placeholders filled."""
    return str(fill(rng.choice(list(prompts)), bindings))
