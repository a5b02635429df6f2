"""Scripted reference agents (oracle, always-refuse, …) from the sandbox, as chat models."""

from __future__ import annotations

import importlib
from typing import cast

from toolsafe.models.base import ChatModel, WireFormat
from toolsafe.models.errors import ModelSpecError

AGENTS_MODULE = "toolsafe.sandbox.agents"


def load_scripted(name: str, wire_format: WireFormat | None = None) -> ChatModel:
    """The sandbox agent registered as ``name`` (``toolsafe.sandbox.agents.get_agent``)."""
    try:
        agents = importlib.import_module(AGENTS_MODULE)
    except ModuleNotFoundError as error:
        if error.name != AGENTS_MODULE:
            raise
        raise ModelSpecError(f"scripted:{name}: {AGENTS_MODULE} is not available in this install") from None
    try:
        agent = (
            agents.get_agent(name) if wire_format is None else agents.get_agent(name, wire_format=wire_format)
        )
    except (KeyError, ValueError, LookupError) as error:
        detail = error.args[0] if error.args else error
        raise ModelSpecError(f"scripted:{name}: {detail}") from None
    return cast(ChatModel, agent)
