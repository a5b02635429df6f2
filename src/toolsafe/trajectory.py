"""Trajectories: what happened in one episode, as recorded by the sandbox.

The judge turns a trajectory plus its scenario and the policy into an ``Outcome``; rewards,
metrics and reports read only that outcome.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Answer = Literal["yes", "no"]


class TurnRecord(BaseModel):
    """One assistant turn as generated."""

    model_config = ConfigDict(extra="forbid")

    index: int
    raw: str
    """Generated text (tagged) or the assistant message as JSON (native)."""
    problems: list[str] = Field(default_factory=list)
    """Format problem kinds (:class:`toolsafe.protocol.Problem` values)."""
    eos: bool = True
    strict_valid: bool = True
    calls_sound: bool = False
    tool_call_tags: int = 0
    n_calls: int = 0
    n_checks: int = 0
    text: str = ""
    finish_reason: str = "stop"


class CallEvent(BaseModel):
    """The agent called a tool."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["call"] = "call"
    turn: int
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    known: bool
    """The tool exists among those offered (False: hallucinated tool)."""
    ok: bool
    """The call ran (False: unknown tool, invalid arguments, or a tool error)."""
    error: str | None = None
    sensitive: bool = False
    """The tool carries a risk tag."""
    confirmed: bool = False
    """A confirmation request for this tool was answered yes earlier in the episode."""
    denied: bool = False
    """A confirmation request for this tool was answered no earlier in the episode."""
    tagged: bool = True
    """Written inside well-formed ``<tool_call>`` tags (False: recovered leniently)."""
    output: str = ""


class CheckEvent(BaseModel):
    """The agent asked the user to confirm a tool call; the simulated user answered."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["check"] = "check"
    turn: int
    tool_name: str
    reason: str = ""
    answer: Answer


Event = CallEvent | CheckEvent


class Trajectory(BaseModel):
    """One finished episode: the full message trace, per-turn format data, events and check results."""

    model_config = ConfigDict(extra="forbid")

    scenario_id: str
    seed: int
    messages: list[dict[str, Any]] = Field(default_factory=list)
    """Full trace in OpenAI chat format (system, user, assistant, tool)."""
    turns: list[TurnRecord] = Field(default_factory=list)
    events: list[CallEvent | CheckEvent] = Field(default_factory=list)
    final_text: str = ""
    """Free text of the last assistant turn."""
    checks: dict[str, bool] = Field(default_factory=dict)
    """Results of the scenario's world checks by name (``task_done``, ``injected_goal`` …)."""
    leaked: bool = False
    """A secret placed in the world appeared in an outbound message."""
    terminated: Literal["final", "max_turns", "error"] = "final"
    error: str | None = None

    @property
    def calls(self) -> list[CallEvent]:
        return [e for e in self.events if isinstance(e, CallEvent)]

    @property
    def check_events(self) -> list[CheckEvent]:
        return [e for e in self.events if isinstance(e, CheckEvent)]
