"""Tools declared once: a typed function with a Google docstring and risk tags becomes a tool.

The :func:`tool` decorator derives, from that one declaration, the JSON schema the model sees
(OpenAI format, also what ``apply_chat_template(tools=…)`` takes), argument validation, and the
risk tags that make a tool *sensitive*. State is injected by signature: a parameter annotated
with a registered state class (see :mod:`toolsafe.sandbox.world`) is filled from the world and
never appears in the schema.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from toolsafe.protocol import risk_note
from toolsafe.taxonomy import RISK_TAGS

MAX_OUTPUT_CHARS = 4_000
"""Tool outputs are cut to this length (both RL trainers truncate or roll back long outputs)."""

_REGISTRY: dict[str, ToolSpec] = {}


class ToolDeclarationError(TypeError):
    """A tool function is declared wrongly (missing docstring entry, unknown tag …)."""


@dataclass(frozen=True)
class ToolResult:
    """The outcome of dispatching one call: ``output`` is what the model sees."""

    ok: bool
    output: str
    value: Any = None
    error: str | None = None


@dataclass(frozen=True)
class ToolSpec:
    """Everything derived from one tool declaration."""

    name: str
    domain: str
    description: str
    parameters: dict[str, Any]
    tags: frozenset[str]
    fn: Callable[..., Any]
    injected: dict[str, type]
    arg_model: type[BaseModel] = field(repr=False)

    @property
    def sensitive(self) -> bool:
        """A tool with any risk tag is sensitive."""
        return bool(self.tags)

    def schema(self) -> dict[str, Any]:
        """OpenAI function-tool schema (``{"type": "function", "function": {…}}``).

        A sensitive tool's description ends with its risk tags (``Risk: money, privacy.``), as MCP's
        tool annotations (``destructiveHint``, ``openWorldHint``) tell a client what a tool can do.
        Whether a request needs approval still depends on the request, not on the tag alone."""
        description = self.description + risk_note(self.tags)
        return {
            "type": "function",
            "function": {"name": self.name, "description": description, "parameters": self.parameters},
        }

    def validate(self, arguments: Any) -> dict[str, Any]:
        """Validate and coerce model-supplied arguments; raises ``ValueError`` with a readable message."""
        if not isinstance(arguments, dict):
            raise ValueError(f"arguments must be a JSON object, got {type(arguments).__name__}")
        try:
            model = self.arg_model.model_validate(arguments)
        except ValidationError as error:
            raise ValueError(_validation_message(error)) from None
        return {name: getattr(model, name) for name in type(model).model_fields}

    def call(self, states: Callable[[type], Any], arguments: Any) -> ToolResult:
        """Validate ``arguments`` and run the tool. Never raises on model error.

        ``states`` maps a state class to the live state object (usually ``world.get``).
        """
        try:
            kwargs = self.validate(arguments)
        except ValueError as error:
            return ToolResult(False, f"Error: invalid arguments for {self.name}: {error}", error=str(error))
        for param, state_cls in self.injected.items():
            kwargs[param] = states(state_cls)
        try:
            value = self.fn(**kwargs)
        except ToolError as error:
            return ToolResult(False, f"Error: {error}", error=str(error))
        return ToolResult(True, render_output(value), value=value)


class ToolError(Exception):
    """Raised by a tool body for an expected failure the model should see (e.g. file not found)."""


def lookup(table: dict[str, Any], key: str, what: str) -> Any:
    """``table[key]``, or a :class:`ToolError` the model sees, naming up to ten known keys."""
    if key not in table:
        raise ToolError(f"unknown {what} '{key}'; known: {', '.join(list(table)[:10])}")
    return table[key]


def render_output(value: Any) -> str:
    """Serialise a tool's return value for the model: strings as-is, the rest as JSON, bounded."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > MAX_OUTPUT_CHARS:
        text = text[:MAX_OUTPUT_CHARS] + f"… [truncated {len(text) - MAX_OUTPUT_CHARS} chars]"
    return text


def _validation_message(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        loc = ".".join(str(p) for p in item["loc"]) or "arguments"
        if item["type"] == "extra_forbidden":
            parts.append(f"unexpected argument '{loc}'")
        elif item["type"] == "missing":
            parts.append(f"missing required argument '{loc}'")
        else:
            parts.append(f"'{loc}': {item['msg']}")
    return "; ".join(parts)


_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_SECTION = re.compile(r"^\s*(Returns|Raises|Yields|Examples?|Notes?):\s*$")
_ARG_LINE = re.compile(r"^\s+(\w+)(?:\s*\([^)]*\))?:\s*(.*)$")


def parse_google_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into the description and per-argument descriptions."""
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    args: dict[str, str] = {}
    section = "description"
    current: str | None = None
    for line in lines:
        if _ARGS_HEADER.match(line):
            section, current = "args", None
            continue
        if _SECTION.match(line):
            section, current = "other", None
            continue
        if section == "description":
            description.append(line)
        elif section == "args":
            match = _ARG_LINE.match(line)
            if match and (current is None or len(line) - len(line.lstrip()) <= 4):
                current = match.group(1)
                args[current] = match.group(2).strip()
            elif current and line.strip():
                args[current] = f"{args[current]} {line.strip()}"
    return " ".join(" ".join(description).split()), args


def _json_schema(arg_model: type[BaseModel], docs: dict[str, str]) -> dict[str, Any]:
    raw = arg_model.model_json_schema()
    properties: dict[str, Any] = {}
    for name, prop in raw.get("properties", {}).items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "default")}
        if "anyOf" in prop:  # Optional[X] -> X (the model may omit it)
            options = [o for o in prop.pop("anyOf") if o.get("type") != "null"]
            if len(options) == 1:
                prop = {**options[0], **prop}
        prop["description"] = docs[name]
        properties[name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = raw.get("required", [])
    if required:
        schema["required"] = list(required)
    if "$defs" in raw:
        schema["$defs"] = raw["$defs"]
    return schema


def tool(
    *, tags: Iterable[str] = (), domain: str | None = None, name: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a sandbox tool.

    Args:
        tags: Risk tags from :data:`toolsafe.taxonomy.RISK_TAGS`; any tag makes the tool sensitive.
        domain: Domain name; defaults to the last component of the defining module.
        name: Tool name; defaults to the function name.
    """
    tag_set = frozenset(tags)
    unknown = tag_set - RISK_TAGS
    if unknown:
        raise ToolDeclarationError(f"unknown risk tags {sorted(unknown)}; allowed: {sorted(RISK_TAGS)}")

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        spec = build_spec(fn, tags=tag_set, domain=domain, name=name)
        if spec.name in _REGISTRY and _REGISTRY[spec.name].fn is not fn:
            raise ToolDeclarationError(f"tool name {spec.name!r} is declared twice")
        _REGISTRY[spec.name] = spec
        fn.__toolspec__ = spec  # type: ignore[attr-defined]
        return fn

    return decorate


def build_spec(
    fn: Callable[..., Any],
    *,
    tags: frozenset[str] = frozenset(),
    domain: str | None = None,
    name: str | None = None,
) -> ToolSpec:
    """Build a :class:`ToolSpec` from a function (what :func:`tool` registers)."""
    from toolsafe.sandbox.world import is_state_class

    tool_name = name or fn.__name__
    if not fn.__doc__:
        raise ToolDeclarationError(f"{tool_name}: a tool needs a Google-style docstring")
    description, docs = parse_google_docstring(fn.__doc__)
    hints = get_type_hints(fn)
    fields: dict[str, Any] = {}
    injected: dict[str, type] = {}
    for param in inspect.signature(fn).parameters.values():
        annotation = hints.get(param.name)
        if annotation is None:
            raise ToolDeclarationError(f"{tool_name}.{param.name}: needs a type annotation")
        if isinstance(annotation, type) and is_state_class(annotation):
            injected[param.name] = annotation
            continue
        if param.name not in docs:
            raise ToolDeclarationError(f"{tool_name}.{param.name}: not described in the docstring's Args")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation, default)
    arg_model = create_model(  # type: ignore[call-overload]
        f"{tool_name}_args", __config__=ConfigDict(extra="forbid"), **fields
    )
    return ToolSpec(
        name=tool_name,
        domain=domain or fn.__module__.rsplit(".", 1)[-1],
        description=description,
        parameters=_json_schema(arg_model, docs),
        tags=tags,
        fn=fn,
        injected=injected,
        arg_model=arg_model,
    )


def registry() -> dict[str, ToolSpec]:
    """All declared tools by name (import :mod:`toolsafe.sandbox.domains` to load them)."""
    return dict(_REGISTRY)
