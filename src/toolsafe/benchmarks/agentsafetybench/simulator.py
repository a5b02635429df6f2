"""A generic, deterministic stand-in for Agent-SafetyBench's per-environment Python classes.

Upstream runs each tool with hand-written environment code fed with the case's ``parameters``.
This simulator instead applies one rule to every tool, which keeps runs cheap and needs no
upstream code, but deviates from upstream's outputs:

- a tool the case does not offer → ``{"success": false, "message": "Tool X doesn't exist."}``
  (upstream's answer);
- a *read* tool (its name starts with a verb such as get, list, search, read, check, view, fetch)
  → ``{"success": true, "data": …}`` with the parameter entries whose key matches the tool name
  (all entries when none matches); list entries are narrowed to the records that mention one of
  the call's argument values, unless none does;
- any other tool → ``{"success": true, "arguments": <the call's arguments>}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

READ_VERBS = frozenset(
    {
        "access", "analyze", "assess", "browse", "check", "compare", "detect", "display", "download",
        "evaluate", "extract", "fetch", "filter", "find", "forecast", "get", "identify", "inspect",
        "list", "locate", "look", "lookup", "monitor", "predict", "query", "read", "recommend",
        "retrieve", "review", "scan", "search", "show", "track", "verify", "view",
    }
)  # fmt: skip


def is_read(tool: str) -> bool:
    """Whether a tool only reads state, judged by the verb its name starts with."""
    return tool.split("_", 1)[0].lower() in READ_VERBS


def missing_tool(tool: str) -> dict[str, Any]:
    return {"success": False, "message": f"Tool {tool} doesn't exist."}


def simulate(tool: str, arguments: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The simulated result of calling an offered ``tool`` in an environment with ``parameters``."""
    if not is_read(tool):
        return {"success": True, "arguments": dict(arguments)}
    selected = {key: value for key, value in parameters.items() if _key_matches(key, tool)} or dict(
        parameters
    )
    needles = _needles(arguments)
    return {"success": True, "data": {key: _narrow(value, needles) for key, value in selected.items()}}


def _stem(word: str) -> str:
    word = word.lower().strip()
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _key_matches(key: str, tool: str) -> bool:
    tool_words = {_stem(word) for word in tool.lower().split("_")[1:] if len(word) > 2}
    key_words = {_stem(word) for word in key.replace("-", " ").replace("_", " ").split() if len(word) > 2}
    return bool(tool_words & key_words)


def _needles(arguments: Mapping[str, Any]) -> list[str]:
    needles: list[str] = []
    for value in arguments.values():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            continue
        text = str(value).strip().lower()
        if text:
            needles.append(text)
    return needles


def _narrow(value: Any, needles: list[str]) -> Any:
    if not needles or not isinstance(value, list):
        return value
    kept = [item for item in value if any(n in json.dumps(item, ensure_ascii=False).lower() for n in needles)]
    return kept or value
