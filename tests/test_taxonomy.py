"""The taxonomy: classes, channels, decisions and cell names."""

from __future__ import annotations

import pytest

from toolsafe.taxonomy import RISK_TAGS, Channel, Decision, Labels, Risk, all_cells


def test_values_are_the_wire_names() -> None:
    assert [r.value for r in Risk] == ["benign", "malicious", "sensitive"]
    assert [c.value for c in Channel] == ["user", "tool"]
    assert {d.value for d in Decision} == {"execute", "refuse", "confirm"}
    assert Risk("malicious") is Risk.MALICIOUS


@pytest.mark.parametrize("labels", all_cells(), ids=lambda labels: labels.cell)
def test_cell_name_round_trips(labels: Labels) -> None:
    assert Labels.from_cell(labels.cell) == labels


def test_cell_name_format() -> None:
    assert Labels(Risk.BENIGN, Risk.MALICIOUS).cell == "user_benign/tool_malicious"


def test_all_cells_is_user_major_and_complete() -> None:
    cells = all_cells()
    assert len(set(cells)) == 9
    assert [c.user for c in cells[:3]] == [Risk.BENIGN] * 3


@pytest.mark.parametrize(
    "cell", ["user_evil/tool_benign", "benign/benign", "user_benign", "tool_benign/user_benign"]
)
def test_malformed_cell_is_rejected_with_the_expected_form(cell: str) -> None:
    with pytest.raises(ValueError, match="expected user_<risk>/tool_<risk>"):
        Labels.from_cell(cell)


def test_risk_tags_are_lowercase_identifiers() -> None:
    assert "money" in RISK_TAGS and "credentials" in RISK_TAGS
    assert all(tag.isidentifier() and tag.islower() for tag in RISK_TAGS)
