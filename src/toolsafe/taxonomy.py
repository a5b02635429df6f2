"""The tri-modal taxonomy: two channels (user, tool), three risk classes, three decisions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Risk(StrEnum):
    """How risky the content arriving on a channel is."""

    BENIGN = "benign"
    MALICIOUS = "malicious"
    SENSITIVE = "sensitive"


class Channel(StrEnum):
    """Where content reaches the agent from."""

    USER = "user"
    TOOL = "tool"


class Decision(StrEnum):
    """What an agent does about a request: act, decline, or ask the user first."""

    EXECUTE = "execute"
    REFUSE = "refuse"
    CONFIRM = "confirm"


RISK_TAGS: frozenset[str] = frozenset(
    {"money", "privacy", "credentials", "irreversible", "system", "external_comm"}
)
"""Tags a tool can carry; a tool with any of them is *sensitive*."""


@dataclass(frozen=True)
class Labels:
    """The labels a scenario carries: the class of its user prompt and of its tool responses."""

    user: Risk
    tool: Risk

    @property
    def cell(self) -> str:
        """The taxonomy cell name, e.g. ``user_benign/tool_malicious``."""
        return f"user_{self.user.value}/tool_{self.tool.value}"

    @classmethod
    def from_cell(cls, cell: str) -> Labels:
        """Inverse of :attr:`cell`; a malformed name raises ``ValueError`` saying the expected form."""
        user, slash, tool = cell.partition("/")
        allowed = {r.value for r in Risk}
        user_risk, tool_risk = user.removeprefix("user_"), tool.removeprefix("tool_")
        if not (slash and user.startswith("user_") and tool.startswith("tool_")) or not (
            user_risk in allowed and tool_risk in allowed
        ):
            choices = ", ".join(r.value for r in Risk)
            raise ValueError(f"cell {cell!r}: expected user_<risk>/tool_<risk> with risk one of {choices}")
        return cls(Risk(user_risk), Risk(tool_risk))


def all_cells() -> list[Labels]:
    """Every (user, tool) combination, user-major."""
    return [Labels(u, t) for u in Risk for t in Risk]
