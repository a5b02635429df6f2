"""Scripted reference agents (oracle, always-refuse, …) from the sandbox, as chat models."""

from __future__ import annotations

from toolsafe.models.base import ChatModel, WireFormat
from toolsafe.models.errors import ModelSpecError


def load_scripted(name: str, wire_format: WireFormat | None = None) -> ChatModel:
    """The sandbox agent registered as ``name`` (``toolsafe.sandbox.agents.get_agent``)."""
    from toolsafe.sandbox.agents import get_agent

    try:
        agent = get_agent(name) if wire_format is None else get_agent(name, wire_format=wire_format)
    except (KeyError, ValueError, LookupError) as error:
        detail = error.args[0] if error.args else error
        raise ModelSpecError(f"scripted:{name}: {detail}") from None
    return agent
