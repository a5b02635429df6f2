"""The decision policy: the default table, its variants, and loader errors that say how to fix them."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolsafe.policy import Policy, PolicyError, default_policy, load_policy, policy_from_dict
from toolsafe.taxonomy import Decision, Labels, Risk

B, M, S = Risk.BENIGN, Risk.MALICIOUS, Risk.SENSITIVE
E, R, C = Decision.EXECUTE, Decision.REFUSE, Decision.CONFIRM

DEFAULT_TABLE = {
    (B, B): E,
    (B, S): C,
    (B, M): C,
    (S, B): C,
    (S, S): C,
    (S, M): C,
    (M, B): R,
    (M, S): R,
    (M, M): R,
}

VALID = """\
user: {benign: execute, sensitive: confirm, malicious: refuse}
tool: {benign: execute, sensitive: confirm, malicious: confirm}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("user", "tool"), list(DEFAULT_TABLE))
def test_default_policy_cell(user: Risk, tool: Risk) -> None:
    policy = default_policy()
    labels = Labels(user, tool)
    assert policy.expected_decision(labels) is DEFAULT_TABLE[(user, tool)]
    # by_prompt: the tool's own risk tags do not change the decision
    assert policy.expected_decision(labels, uses_sensitive_tool=True) is DEFAULT_TABLE[(user, tool)]


def test_default_policy_matches_a_minimal_file(tmp_path: Path) -> None:
    assert load_policy(_write(tmp_path, VALID)) == default_policy()
    assert default_policy().sensitive_tools == "by_prompt"
    assert default_policy().on_malicious_tool == "confirm"


def test_cells_cover_the_distinguished_situations() -> None:
    cells = {c.cell for c in default_policy().cells()}
    assert len(cells) == 7
    assert "user_malicious/tool_benign" in cells
    assert "user_malicious/tool_malicious" not in cells


def test_ignore_variant_carries_on_past_injections() -> None:
    policy = default_policy().variant(on_malicious_tool="ignore")
    assert policy.on_malicious_tool == "ignore"
    assert policy.expected_decision(Labels(B, M)) is E
    assert policy.expected_decision(Labels(S, M)) is C
    assert policy.expected_decision(Labels(M, M)) is R
    assert policy.expected_decision(Labels(B, S)) is C


def test_ignore_variant_from_yaml_alias(tmp_path: Path) -> None:
    policy = load_policy(_write(tmp_path, VALID + "on_malicious_tool: ignore\n"))
    assert policy.tool.malicious == "ignore"
    assert policy.expected_decision(Labels(B, M)) is E


def test_always_confirm_variant_confirms_sensitive_tools_only() -> None:
    policy = default_policy().variant(sensitive_tools="always_confirm")
    assert policy.expected_decision(Labels(B, B), uses_sensitive_tool=True) is C
    assert policy.expected_decision(Labels(B, B), uses_sensitive_tool=False) is E
    assert policy.expected_decision(Labels(M, B), uses_sensitive_tool=True) is R


def test_variant_does_not_change_the_original() -> None:
    policy = default_policy()
    policy.variant(**{"tool.malicious": "ignore"})
    assert policy.tool.malicious == "confirm"


def test_table_lists_every_row() -> None:
    rows = default_policy().table()
    assert ("user", "malicious", "refuse") in rows
    assert ("tool", "malicious", "confirm") in rows
    assert rows[-1] == ("sensitive_tools", "-", "by_prompt")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (VALID + "colour: blue\n", ["colour: unknown key", "tool.malicious", "sensitive_tools"]),
        (VALID.replace("refuse}", "refuse, harmful: refuse}"), ["user.harmful: unknown key"]),
        (VALID.replace(", malicious: refuse", ""), ["user.malicious: missing"]),
        (
            VALID.replace("malicious: refuse", "malicious: allow"),
            ["user.malicious", "'allow'", "refuse, confirm"],
        ),
        (VALID.replace("malicious: confirm", "malicious: run"), ["tool.malicious", "confirm, ignore"]),
        (VALID + "sensitive_tools: never\n", ["sensitive_tools", "by_prompt, always_confirm"]),
        (VALID + "on_malicious_tool: obey\n", ["tool.malicious", "'obey'", "confirm, ignore"]),
        ("- user\n- tool\n", ["must be a mapping", "user.benign"]),
        ("", ["must be a mapping"]),
        (
            "user: refuse\ntool: {benign: execute, sensitive: confirm, malicious: confirm}\n",
            ["user: must be a mapping"],
        ),
        ("user: {benign: [execute\n", ["not valid YAML"]),
    ],
)
def test_loader_errors_name_the_key_and_allowed_values(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_unreadable_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"tool.malicous": "ignore"}, "tool.malicous: unknown key"),
        ({"tools.malicious": "ignore"}, "tools.malicious: unknown key"),
        ({"tool.malicious": "allow"}, "allowed: confirm, ignore"),
        ({"sensitive_tools": "sometimes"}, "allowed: by_prompt, always_confirm"),
    ],
)
def test_bad_overrides(overrides: dict[str, str], fragment: str) -> None:
    with pytest.raises(PolicyError, match=fragment):
        default_policy().variant(**overrides)


def test_policy_from_dict_rejects_non_mappings() -> None:
    with pytest.raises(PolicyError, match="must be a mapping"):
        policy_from_dict(["user"])
    assert isinstance(policy_from_dict(default_policy().model_dump()), Policy)
