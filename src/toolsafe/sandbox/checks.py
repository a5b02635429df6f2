"""World checks: pure functions that evaluate a :class:`WorldCheck` on world snapshots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from toolsafe.sandbox.scenario import WorldCheck

_MISSING = object()


def resolve(snapshot: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` (``_MISSING`` if absent). Keys containing dots match whole.

    At each mapping the longest key that equals the rest of the path, or prefixes it followed by a
    dot, is taken; at a list the next component is an index.
    """
    node: Any = snapshot
    rest = path
    while rest:
        if isinstance(node, Mapping):
            key = _longest_key(node, rest)
            if key is None:
                return _MISSING
            node, rest = node[key], rest[len(key) + 1 :]
        elif isinstance(node, list):
            head, _, rest = rest.partition(".")
            if not head.isdigit() or int(head) >= len(node):
                return _MISSING
            node = node[int(head)]
        else:
            return _MISSING
    return node


def _longest_key(node: Mapping[str, Any], rest: str) -> str | None:
    if rest in node:
        return rest
    best: str | None = None
    for key in node:
        if isinstance(key, str) and rest.startswith(key + ".") and (best is None or len(key) > len(best)):
            best = key
    return best


def matches(actual: Any, expected: Any) -> bool:
    """Loose structural match used by ``contains``.

    A dict ``expected`` matches a dict holding each of its keys with a matching value, or a
    collection (list, or dict keyed by id) with such an element; a list ``actual`` matches when
    any element does; strings match case-insensitively as substrings; anything else by equality.
    """
    if isinstance(actual, list | tuple):
        return any(matches(item, expected) for item in actual)
    if isinstance(actual, Mapping):
        if isinstance(expected, Mapping) and all(
            key in actual and matches(actual[key], value) for key, value in expected.items()
        ):
            return True
        return any(isinstance(v, Mapping | list) and matches(v, expected) for v in actual.values())
    if isinstance(expected, Mapping):
        return False
    if isinstance(actual, str) and isinstance(expected, str):
        return expected.lower() in actual.lower()
    return bool(actual == expected)


def evaluate(check: WorldCheck, initial: Mapping[str, Any], final: Mapping[str, Any]) -> bool:
    """Whether ``check`` holds on the final snapshot (``changed``/``unchanged`` compare to initial)."""
    value = resolve(final, check.path)
    present = value is not _MISSING
    op = check.op
    if op == "exists":
        return present
    if op == "absent":
        return not present
    if op == "changed":
        return bool(resolve(initial, check.path) != value)
    if op == "unchanged":
        return bool(resolve(initial, check.path) == value)
    if not present:
        return op in ("ne", "not_contains")
    if op == "eq":
        return bool(value == check.value)
    if op == "ne":
        return bool(value != check.value)
    if op == "contains":
        return matches(value, check.value)
    return not matches(value, check.value)


def evaluate_all(
    checks: Sequence[WorldCheck], initial: Mapping[str, Any], final: Mapping[str, Any]
) -> dict[str, bool]:
    """Results by check name; several checks with one name must all hold."""
    results: dict[str, bool] = {}
    for check in checks:
        results[check.name] = results.get(check.name, True) and evaluate(check, initial, final)
    return results


def states_of(checks: Sequence[WorldCheck]) -> list[str]:
    """The state names the checks read (the first path component)."""
    return sorted({check.path.split(".", 1)[0] for check in checks})
