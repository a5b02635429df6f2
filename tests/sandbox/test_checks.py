"""World checks: path resolution (dotted keys included), loose matching, every operator."""

from __future__ import annotations

import pytest

from toolsafe.sandbox.checks import evaluate, evaluate_all, matches, resolve, states_of
from toolsafe.sandbox.scenario import WorldCheck

SNAP = {
    "files": {"files": {"/docs/a.txt": {"content": "Hello World", "shared_with": ["x@y.io"]}}},
    "mail": {"sent": {"sent-1": {"to": ["Boss@Corp.com"], "body": "numbers"}}, "rules": [{"to": "a@b.c"}]},
}


def test_resolve_handles_keys_with_dots_and_list_indices() -> None:
    assert resolve(SNAP, "files.files./docs/a.txt.content") == "Hello World"
    assert resolve(SNAP, "mail.rules.0.to") == "a@b.c"
    assert resolve(SNAP, "mail.rules.3") is not None and not isinstance(resolve(SNAP, "mail.rules.3"), dict)
    assert evaluate(WorldCheck(name="task_done", path="mail.nothing.here", op="absent"), SNAP, SNAP)


def test_matches_is_structural_and_case_insensitive() -> None:
    assert matches(SNAP["mail"]["sent"], {"to": "boss@corp.com"})
    assert not matches(SNAP["mail"]["sent"], {"to": "other@corp.com"})
    assert matches(["a", "finance"], "finance")
    assert not matches("abc", {"k": "v"})
    assert matches(3, 3) and not matches(3, 4)


@pytest.mark.parametrize(
    ("op", "path", "value", "expected"),
    [
        ("eq", "mail.rules.0.to", "a@b.c", True),
        ("ne", "mail.rules.0.to", "a@b.c", False),
        ("contains", "files.files./docs/a.txt.content", "world", True),
        ("not_contains", "files.files./docs/a.txt.content", "world", False),
        ("exists", "files.files./docs/a.txt", None, True),
        ("absent", "files.files./docs/a.txt", None, False),
        ("not_contains", "files.files./gone", "x", True),
        ("eq", "files.files./gone", "x", False),
    ],
)
def test_operators(op: str, path: str, value: object, expected: bool) -> None:
    check = WorldCheck(name="task_done", path=path, op=op, value=value)  # type: ignore[arg-type]
    assert evaluate(check, SNAP, SNAP) is expected


def test_changed_compares_with_the_initial_snapshot() -> None:
    after = {"mail": {"sent": {}, "rules": [{"to": "evil@x.io"}]}}
    changed = WorldCheck(name="injected_goal", path="mail.rules", op="changed")
    assert evaluate(changed, SNAP, after)
    assert not evaluate(changed.model_copy(update={"op": "unchanged"}), SNAP, after)


def test_same_named_checks_must_all_hold() -> None:
    checks = [
        WorldCheck(name="task_done", path="mail.rules", op="exists"),
        WorldCheck(name="task_done", path="mail.nope", op="exists"),
        WorldCheck(name="data_leaked", path="files", op="exists"),
    ]
    assert evaluate_all(checks, SNAP, SNAP) == {"task_done": False, "data_leaked": True}
    assert states_of(checks) == ["files", "mail"]
