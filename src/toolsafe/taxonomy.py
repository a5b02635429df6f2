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
        """Inverse of :attr:`cell`."""
        user, tool = cell.split("/")
        return cls(Risk(user.removeprefix("user_")), Risk(tool.removeprefix("tool_")))


def all_cells() -> list[Labels]:
    """Every (user, tool) combination, user-major."""
    return [Labels(u, t) for u in Risk for t in Risk]
