"""The one interface every model backend implements: messages + tools in, an assistant turn out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, runtime_checkable

from toolsafe.protocol import FormatProblem, ParsedTurn, Problem, parse_tagged

WireFormat = Literal["tagged", "native"]
"""``tagged``: the model writes ``<tool_call>`` text; ``native``: OpenAI ``tool_calls``."""

CASE_ID_HEADER = "X-Toolsafe-Case-Id"
"""HTTP header carrying :attr:`ChatRequest.case_id` to an endpoint; the project's server passes it
on, so ``replay:`` and ``scripted:`` models can be served over HTTP (other servers ignore it)."""


@dataclass(frozen=True)
class ChatRequest:
    """One generation request.

    ``messages`` are OpenAI chat messages (``system``/``user``/``assistant``/``tool``); ``tools``
    are OpenAI function-tool schemas. ``case_id`` identifies the episode and turn
    (e.g. ``sandbox/test/00017#2``) so replay and scripted backends can key on it.
    """

    messages: Sequence[dict[str, Any]]
    tools: Sequence[dict[str, Any]] = ()
    case_id: str = ""
    max_tokens: int = 256
    temperature: float = 0.0
    seed: int = 0
    context: Mapping[str, Any] = field(default_factory=dict)
    """Side information for scripted agents (e.g. ``{"scenario": Scenario}``); real models ignore it."""


@dataclass(frozen=True)
class ChatResponse:
    """What a backend returns for one request; errors are data, never exceptions."""

    parsed: ParsedTurn
    raw: str = ""
    """The generated text (tagged backends) or the JSON of the assistant message (native)."""
    message: dict[str, Any] = field(default_factory=dict)
    """The assistant message as the backend produced it, OpenAI format."""
    finish_reason: str = "stop"
    error: str | None = None
    """Set when the call failed after retries (network, server, timeout)."""
    usage: dict[str, int] = field(default_factory=dict)


def failed_response(error: str) -> ChatResponse:
    """The response for a request that produced no output: an empty, unterminated turn plus ``error``."""
    return ChatResponse(parsed=parse_tagged("", stopped=False), finish_reason="error", error=error)


def mark_truncated(parsed: ParsedTurn) -> ParsedTurn:
    """A parse of output cut at the length limit: ``eos`` false and a ``missing_eos`` problem."""
    if not parsed.eos:
        return parsed
    return replace(parsed, eos=False, problems=(FormatProblem(Problem.MISSING_EOS), *parsed.problems))


@runtime_checkable
class ChatModel(Protocol):
    """A chat model that can take a batch of requests.

    Backends decide how to parallelise (batched generation locally, concurrent HTTP requests
    for endpoints). ``wire_format`` says how the agent's actions are written.
    """

    name: str
    wire_format: WireFormat

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]: ...
