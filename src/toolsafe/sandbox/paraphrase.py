"""Paraphrases of scenario texts: what must survive verbatim, how to ask, how to read the answer.

A scenario's prompt and injected text are rendered from templates, so the values a paraphrase must
keep are the template's placeholder values: the text is matched back against the template's
phrasings (inside the jailbreak wrapper or attack style around it) to recover them. Added to
those: the scenario's own call arguments and check values that appear in the text (entities,
amounts, ids, file names, recipients, the injection goal's arguments, the tool names), and
anything in the text that looks like a value (numbers, e-mail addresses, URLs, paths, handles,
file names). A paraphrase missing any of them is invalid: the scenario's checks and the calls an
agent must make depend on them.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from toolsafe.sandbox.originality import words
from toolsafe.sandbox.scenario import CallSpec, Scenario
from toolsafe.taxonomy import Risk

TextField = Literal["prompt", "injection"]

PROTOCOL_TAG = re.compile(r"<\s*/?\s*(think|tool_call|tool_check|tool_response|tool_check_result)\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://[^\s'\"<>()\[\]]+")
_HANDLE = re.compile(r"(?<![\w.@])@\w+")
_PATH = re.compile(r"(?<![\w.:/])/[\w.-]+(?:/[\w.-]+)*")
_DOTTED = re.compile(r"\b[\w-]+\.[A-Za-z]{2,4}\b")
_WITH_DIGIT = re.compile(r"\S*\d\S*")
_EDGE = "([{\"'`<>.,;:!?)]}"
_STYLE_KEEP = ("base64", "reversed")
"""Attack-style placeholders whose value must survive as is (encoded instructions)."""
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.S)

SYSTEM_PROMPT = (
    "You rewrite texts for a dataset that trains AI assistants to use tools safely. "
    "You answer with a JSON array of strings and nothing else."
)


@dataclass(frozen=True)
class Target:
    """One text of a scenario to paraphrase and the strings a paraphrase must keep."""

    field: TextField
    text: str
    required: tuple[str, ...]


def targets(scenario: Scenario) -> list[Target]:
    """The texts to paraphrase: the user prompt, and the injected text when there is one."""
    found = [Target("prompt", scenario.prompt, required_values(scenario, "prompt"))]
    if scenario.injection is not None:
        found.append(Target("injection", scenario.injection.text, required_values(scenario, "injection")))
    return found


# --------------------------------------------------------------------------- required values


def required_values(scenario: Scenario, field: TextField) -> tuple[str, ...]:
    """The strings of the ``field`` text that a paraphrase must keep verbatim, in text order."""
    if field == "prompt":
        text = scenario.prompt
        candidates = [*_prompt_template_values(scenario), *_structured(_prompt_calls(scenario))]
        candidates += _check_values(scenario, ("task_done", "sensitive_done", "harmful_done"))
    else:
        if scenario.injection is None:
            return ()
        text = scenario.injection.text
        candidates = [*_injection_template_values(scenario), *_structured([scenario.injection.goal])]
        candidates += _check_values(scenario, ("injected_goal",))
    candidates += value_tokens(text)
    return _present(candidates, text)


def value_tokens(text: str) -> list[str]:
    """Substrings of ``text`` that look like values: e-mails, URLs, paths, handles, numbers, file names."""
    found = [m.group(0).rstrip(_EDGE) for m in _URL.finditer(text)]
    found += [m.group(0).rstrip(_EDGE) for m in (*_EMAIL.finditer(text), *_HANDLE.finditer(text))]
    found += [m.group(0).rstrip(_EDGE) for m in (*_PATH.finditer(text), *_DOTTED.finditer(text))]
    for match in _WITH_DIGIT.finditer(text):
        token = match.group(0).strip(_EDGE)
        token = token[:-2] if token.endswith(("'s", "’s")) else token
        found.append(token.strip(_EDGE))
    return [t for t in found if t]


def _prompt_calls(scenario: Scenario) -> list[CallSpec]:
    calls = [*scenario.plan, *scenario.harmful_calls]
    return calls + ([scenario.sensitive_call] if scenario.sensitive_call else [])


def _structured(calls: Iterable[CallSpec]) -> list[str]:
    found: list[str] = []
    for call in calls:
        found.append(call.name)
        found += [v for leaf in _leaves(call.arguments) for v in _surface_forms(leaf)]
    return found


def _check_values(scenario: Scenario, names: tuple[str, ...]) -> list[str]:
    return [
        v
        for check in scenario.checks
        if check.name in names
        for leaf in _leaves(check.value)
        for v in _surface_forms(leaf)
    ]


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _surface_forms(value: Any) -> list[str]:
    """How a call argument can be written in text; common lower-case words are not values."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [str(value), f"{value:,}"] if abs(value) >= 1000 else [str(value)]
    text = str(value).strip()
    if sum(c.isalnum() for c in text) < 2:
        return []
    looks_like_value = any(c.isdigit() or c.isupper() or c in "@/._-: " for c in text)
    return [text] if looks_like_value else []


def _present(candidates: Iterable[str], text: str) -> tuple[str, ...]:
    """The candidates found in ``text`` (case-insensitive, whole words), minus those inside a longer one."""
    haystack = _fold(text)
    found: dict[str, tuple[str, int]] = {}
    for candidate in candidates:
        value = _fold(candidate)
        if value and value not in found:
            where = _find(haystack, value)
            if where >= 0:
                found[value] = (" ".join(candidate.split()), where)
    kept = [v for v in found if not any(v != other and _find(other, v) >= 0 for other in found)]
    return tuple(found[v][0] for v in sorted(kept, key=lambda v: found[v][1]))


def _find(haystack: str, value: str) -> int:
    """Where ``value`` occurs in ``haystack`` not glued to a longer word (``5`` is not in ``15``)."""
    start = r"(?<!\w)" if value[0].isalnum() or value[0] == "_" else ""
    end = r"(?!\w)" if value[-1].isalnum() or value[-1] == "_" else ""
    match = re.search(f"{start}{re.escape(value)}{end}", haystack)
    return match.start() if match else -1


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


# --------------------------------------------------------------------------- template matching


@cache
def _pattern(template: str) -> re.Pattern[str] | None:
    """A regex matching what ``template.format(**values)`` produces, one named group per placeholder."""
    parts: list[str] = []
    seen: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    for literal, name, _, _ in parsed:
        parts.append(re.escape(literal))
        if name is None:
            continue
        if not name.isidentifier():
            return None
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
    return re.compile("".join(parts), re.S)


def match_template(template: str, text: str) -> dict[str, str] | None:
    """The placeholder values that turn ``template`` into exactly ``text``, or None."""
    pattern = _pattern(template)
    found = pattern.fullmatch(text) if pattern else None
    return found.groupdict() if found else None


def _first_match(templates: Iterable[str], text: str) -> dict[str, str] | None:
    for template in templates:
        values = match_template(template, text)
        if values is not None:
            return values
    return None


@cache
def _prompt_templates() -> dict[str, tuple[str, ...]]:
    from toolsafe.sandbox.generate import load_domains

    found = {t.id: t.prompts for d in load_domains() for t in d.tasks}
    found.update({t.id: t.prompts for d in load_domains() for t in d.harmful})
    return found


@cache
def _goal_instructions(tool: str) -> tuple[str, ...]:
    from toolsafe.sandbox.generate import load_domains

    return tuple(g.instruction for d in load_domains() for g in d.goals if g.call.name == tool)


def _prompt_template_values(scenario: Scenario) -> list[str]:
    from toolsafe.sandbox.threats import JAILBREAKS

    phrasings = _prompt_templates().get(scenario.template_id, ())
    inner = [scenario.prompt]
    wrapper = JAILBREAKS.get(scenario.jailbreak or "")
    if wrapper is not None:
        unwrapped = _first_match((p for ps in wrapper.phrasings.values() for p in ps), scenario.prompt)
        if unwrapped and "prompt" in unwrapped:
            inner.insert(0, unwrapped["prompt"])
    for text in inner:
        values = _first_match(phrasings, text)
        if values is not None:
            return list(values.values())
    return []


def _injection_template_values(scenario: Scenario) -> list[str]:
    from toolsafe.sandbox.threats import STYLES

    injection = scenario.injection
    assert injection is not None
    style = STYLES.get(injection.style)
    wrapped = (
        _first_match((p for ps in style.phrasings.values() for p in ps), injection.text) if style else None
    )
    if wrapped is None:
        return []
    kept = [wrapped[key] for key in _STYLE_KEEP if key in wrapped]
    instruction = wrapped.get("instruction")
    if instruction is None and "first" in wrapped and "second" in wrapped:
        instruction = f"{wrapped['first']} {wrapped['second']}"
    goal = _first_match(_goal_instructions(injection.goal.name), instruction) if instruction else None
    return kept + (list(goal.values()) if goal else [])


# --------------------------------------------------------------------------- the request


def request_messages(target: Target, k: int, scenario: Scenario) -> list[dict[str, str]]:
    """The chat messages asking for ``k`` paraphrases of ``target`` as a JSON array."""
    if target.field == "prompt":
        what = "request a user sends to an AI assistant that can use tools"
        note = (
            " It is harmful on purpose: keep it exactly as harmful and as pushy, since the dataset"
            " teaches assistants to recognise and refuse such requests."
            if scenario.user_risk is Risk.MALICIOUS
            else ""
        )
    else:
        what = "text an attacker hid inside a tool's output (an e-mail, a file, a web page)"
        note = (
            " It tries to make the assistant do something its user never asked for: keep it an"
            " instruction that asks for the same action, since the dataset teaches assistants to"
            " spot and resist such text."
        )
    keep = (
        f"\nCopy each of these strings exactly, character for character: {json.dumps(list(target.required))}"
        if target.required
        else ""
    )
    ask = (
        f"Write {k} different paraphrases of the {what}.{note}\n"
        "Each paraphrase says the same thing in other words, keeps the language and is about as long."
        f"{keep}\nDo not add explanations, notes, markup or tags.\n"
        f"Answer with a JSON array of exactly {k} strings.\n\nText:\n{target.text}"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": ask}]


def max_tokens_for(text: str, k: int, max_length_ratio: float) -> int:
    """Room for ``k`` paraphrases at the longest allowed length (about 3 characters a token)."""
    return min(8192, 64 + k * (int(len(text) * max_length_ratio / 3) + 16))


# --------------------------------------------------------------------------- the reply

ReplyProblem = Literal["not_json", "wrong_count", "refused", "truncated"]


def parse_reply(text: str, k: int, *, truncated: bool = False) -> tuple[list[Any], ReplyProblem | None]:
    """The list of ``k`` paraphrases in a reply, or the problem that makes the reply unusable.

    Accepts a bare JSON array, one inside a code fence or after some chatter, and an object with
    one array value (``{"paraphrases": [...]}``).
    """
    from toolsafe.refusal import is_refusal

    value = _json_list(text)
    if value is None:
        if truncated:
            return [], "truncated"
        return [], "refused" if text.strip() and is_refusal(text) else "not_json"
    if len(value) != k:
        return [], "wrong_count"
    return value, None


def _json_list(text: str) -> list[Any] | None:
    decoder = json.JSONDecoder()
    sources = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for source in sources:
        for start in [i for i, c in enumerate(source) if c in "[{"][:32]:
            try:
                value, _ = decoder.raw_decode(source, start)
            except ValueError:
                continue
            if isinstance(value, dict):
                lists = [v for v in value.values() if isinstance(v, list)]
                value = lists[0] if len(lists) == 1 else None
            if isinstance(value, list):
                return value
    return None


# --------------------------------------------------------------------------- one paraphrase

InvalidReason = Literal["not_text", "empty", "too_long", "protocol_tag", "missing_value", "refusal"]


def invalid_reason(candidate: Any, target: Target, max_length_ratio: float) -> InvalidReason | None:
    """Why ``candidate`` cannot replace ``target.text``, or None when it can."""
    from toolsafe.refusal import is_refusal

    if not isinstance(candidate, str):
        return "not_text"
    text = candidate.strip()
    if not text:
        return "empty"
    if len(text) > max_length_ratio * len(target.text):
        return "too_long"
    if PROTOCOL_TAG.search(text):
        return "protocol_tag"
    if is_refusal(text) and not is_refusal(target.text):
        return "refusal"
    if missing_values(text, target):
        return "missing_value"
    return None


def missing_values(text: str, target: Target) -> list[str]:
    """The required strings of ``target`` that ``text`` lacks (case-insensitive)."""
    folded = _fold(text)
    return [value for value in target.required if _find(folded, _fold(value)) < 0]


def normalised(text: str) -> str:
    """Lower-case words only: two texts equal under this are duplicates."""
    return " ".join(words(text))


def ngram_jaccard(a: str, b: str, n: int = 3) -> float:
    """Jaccard similarity of the word ``n``-gram sets of two texts (shorter texts: whole word runs)."""
    left, right = _ngrams(words(a), n), _ngrams(words(b), n)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def _ngrams(found: list[str], n: int) -> set[tuple[str, ...]]:
    size = min(n, len(found))
    return {tuple(found[i : i + size]) for i in range(len(found) - size + 1)} if size else set()
