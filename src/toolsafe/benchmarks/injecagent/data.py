"""InjecAgent's shipped files: test cases, tool specifications and the attacker-response cache."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from toolsafe.benchmarks.base import DATA_ENV, BenchDataError, data_dir

Attack = Literal["dh", "ds"]
Setting = Literal["base", "enhanced"]
ATTACKS: tuple[Attack, ...] = ("dh", "ds")
SETTINGS: tuple[Setting, ...] = ("base", "enhanced")

FALLBACK_RESPONSE = '{"success": true}'
"""Answer for an attacker tool with no cached response at all."""


@dataclass(frozen=True)
class InjecCase:
    """One record of ``test_cases_<attack>_<setting>.json``, with the fields the agents need."""

    attack: Attack
    setting: Setting
    index: int
    user_tool: str
    user_instruction: str
    tool_parameters: str
    """Python-literal string, as in the file (``{'product_id': 'B08KFQ9HK5'}``)."""
    tool_response: str
    """The injected observation, exactly as in the file (it carries an extra pair of quotes)."""
    thought: str
    attacker_tools: tuple[str, ...]
    attacker_instruction: str
    attack_type: str

    @property
    def case_id(self) -> str:
        return f"injecagent/{self.attack}/{self.setting}/{self.index}"


@dataclass(frozen=True)
class InjecAgentData:
    """Everything loaded from the data folder."""

    cases: tuple[InjecCase, ...]
    tools: dict[str, dict[str, Any]]
    """Tool specs by model-facing name (``toolkit + name``), ToolEmu format."""
    responses: dict[str, str] = field(default_factory=dict)
    """Cached attacker-tool responses keyed ``(<Tool>,<parameters string>)``."""
    fallbacks: dict[str, str] = field(default_factory=dict)
    """Per attacker tool, its cached response with the smallest key: the answer on a cache miss."""


def folder(data: Path | None) -> Path:
    return data_dir(data) / "injecagent" / "data"


def _fix_hint() -> str:
    return f"pass --data-dir or set ${DATA_ENV} to a folder holding injecagent/data/"


def read_json(path: Path) -> Any:
    """Load a JSON file, turning a missing or corrupt file into a one-line :class:`BenchDataError`."""
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise BenchDataError(f"InjecAgent file not found: {path}; {_fix_hint()}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BenchDataError(f"InjecAgent file is corrupt: {path} ({error}); {_fix_hint()}") from None


def load_tools(path: Path) -> dict[str, dict[str, Any]]:
    """``tools.json`` → ``{toolkit+name: spec}`` with ``name`` set to the model-facing name."""
    tools: dict[str, dict[str, Any]] = {}
    toolkits = read_json(path)
    try:
        for toolkit in toolkits:
            for tool in toolkit["tools"]:
                name = toolkit["toolkit"] + tool["name"]
                tools[name] = {**tool, "name": name}
    except (KeyError, TypeError) as error:
        raise BenchDataError(f"InjecAgent file is corrupt: {path} (bad toolkit entry: {error})") from None
    return tools


def load_cases(path: Path, attack: Attack, setting: Setting) -> list[InjecCase]:
    records = read_json(path)
    if not isinstance(records, list):
        raise BenchDataError(f"InjecAgent file is corrupt: {path} (expected a JSON list)")
    cases: list[InjecCase] = []
    for index, record in enumerate(records):
        try:
            cases.append(
                InjecCase(
                    attack=attack,
                    setting=setting,
                    index=index,
                    user_tool=record["User Tool"],
                    user_instruction=record["User Instruction"],
                    tool_parameters=record["Tool Parameters"],
                    tool_response=record["Tool Response"],
                    thought=record["Thought"],
                    attacker_tools=tuple(record["Attacker Tools"]),
                    attacker_instruction=record["Attacker Instruction"],
                    attack_type=record.get("Attack Type", ""),
                )
            )
        except (KeyError, TypeError) as error:
            raise BenchDataError(f"InjecAgent file is corrupt: {path} (record {index}: {error})") from None
    return cases


def load(data: Path | None, attacks: tuple[Attack, ...], settings: tuple[Setting, ...]) -> InjecAgentData:
    """Load the selected case files (setting-major, then attack, then file index) plus tools and cache."""
    root = folder(data)
    cases = [
        case
        for setting in settings
        for attack in attacks
        for case in load_cases(root / f"test_cases_{attack}_{setting}.json", attack, setting)
    ]
    tools = load_tools(root / "tools.json")
    for case in cases:
        missing = [name for name in (case.user_tool, *case.attacker_tools) if name not in tools]
        if missing:
            raise BenchDataError(
                f"InjecAgent tools.json lacks {missing} used by {case.case_id}; {_fix_hint()}"
            )
    responses: dict[str, str] = {}
    if "ds" in attacks:
        raw = read_json(root / "attacker_simulated_responses.json")
        if not isinstance(raw, dict):
            raise BenchDataError(f"InjecAgent file is corrupt: {root / 'attacker_simulated_responses.json'}")
        responses = {str(key): str(value) for key, value in raw.items()}
    return InjecAgentData(tuple(cases), tools, responses, _fallbacks(responses))


def _fallbacks(responses: dict[str, str]) -> dict[str, str]:
    fallbacks: dict[str, str] = {}
    for key in sorted(responses):
        tool = key[1:].split(",", 1)[0]
        fallbacks.setdefault(tool, responses[key])
    return fallbacks


def attacker_response(data: InjecAgentData, tool: str, parameters: str) -> tuple[str, bool]:
    """The simulated response of an attacker tool and whether it was a cache hit.

    Upstream looks the exact ``(<Tool>,<parameters>)`` string up and asks GPT-4 on a miss. Here a
    miss falls back deterministically to the cached response of the same tool with the smallest
    key (sorted order), or to ``{"success": true}`` when the tool has none.
    """
    key = f"({tool},{parameters})"
    if key in data.responses:
        return data.responses[key], True
    return data.fallbacks.get(tool, FALLBACK_RESPONSE), False


def literal_parameters(case: InjecCase) -> dict[str, Any]:
    """The case's ``Tool Parameters`` as a dict (they are Python literals, not JSON)."""
    try:
        value = ast.literal_eval(case.tool_parameters)
    except (ValueError, SyntaxError) as error:
        raise BenchDataError(
            f"InjecAgent case {case.case_id} has unreadable Tool Parameters ({error})"
        ) from None
    if not isinstance(value, dict):
        raise BenchDataError(f"InjecAgent case {case.case_id}: Tool Parameters is not a dict")
    return value
