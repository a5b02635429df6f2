"""Reference answers: one correct call list per BFCL entry, built from ``possible_answer``.

A parameter whose options include the empty string ("may be omitted") is left out unless the
function requires it; every other parameter takes its first non-empty option. Java and JavaScript values are written as source
strings in that language, the form BFCL's function-calling handlers ask models for. Used as an
oracle to prove the scoring path (every category must score 100 %) and as a replay source.
"""

from __future__ import annotations

import json
from typing import Any

from toolsafe.benchmarks.bfcl.data import language_of, tool_name
from toolsafe.protocol import ToolCall


def _first_value(options: list[Any]) -> tuple[bool, Any]:
    for option in options:
        if option != "":
            return True, option
    return False, None


def _dict_answer(options: dict[str, list[Any]]) -> dict[str, Any]:
    """A dict parameter's answer is itself ``{key: [options]}``: pick per key."""
    picked: dict[str, Any] = {}
    for key, values in options.items():
        present, value = _first_value(values)
        if present:
            picked[key] = _resolve(value)
    return picked


def _resolve(value: Any) -> Any:
    if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()):
        return _dict_answer(value)
    if isinstance(value, list):
        return [_resolve(item) for item in value]
    return value


def _java_literal(value: Any, kind: str, item_kind: str | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "long" and isinstance(value, int):
        return f"{value}L"
    if kind == "float" and isinstance(value, int | float):
        return f"{value}f"
    if kind == "Array" and isinstance(value, list):
        # BFCL's parse_array reads typed elements verbatim, so String elements go unquoted
        items = ", ".join(item if item_kind == "String" else _java_element(item, item_kind) for item in value)
        return f"new {_java_array_type(item_kind)}[]{{{items}}}"
    if kind == "ArrayList" and isinstance(value, list):
        items = ", ".join(_java_element(item, item_kind) for item in value)
        return f"new ArrayList<>(Arrays.asList({items}))" if value else "new ArrayList<>()"
    if kind == "HashMap" and isinstance(value, dict):
        puts = " ".join(f'put("{key}", {_java_element(item, None)});' for key, item in value.items())
        return f"new HashMap<String, Object>() {{{{ {puts} }}}}"
    return str(value)


def _java_array_type(item_kind: str | None) -> str:
    return {"integer": "int", "String": "String", "long": "long", "float": "float", "double": "double"}.get(
        item_kind or "", "Object"
    )


def _java_element(value: Any, kind: str | None) -> str:
    if isinstance(value, str):
        return f"'{value}'" if kind == "char" else json.dumps(value, ensure_ascii=False)
    return _java_literal(value, kind or "", None)


def _js_literal(value: Any, kind: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "Bigint" and isinstance(value, int):
        return f"{value}n"
    if isinstance(value, list | dict):
        return _js_source(value)
    return str(value)


def _js_source(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_js_source(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_js_source(item)}" for key, item in value.items()) + "}"
    return str(value)


def _as_source(value: Any, schema: dict[str, Any], language: str) -> Any:
    if language == "python":
        return value
    kind = str(schema.get("type", ""))
    item_kind = schema.get("items", {}).get("type") if isinstance(schema.get("items"), dict) else None
    if language == "java":
        return _java_literal(value, kind, item_kind)
    return _js_literal(value, kind)


def _pick(options: list[Any], required: bool) -> tuple[bool, Any]:
    """An optional parameter that may be omitted is omitted; otherwise its first non-empty option."""
    if "" in options and not required:
        return False, None
    present, value = _first_value(options)
    if present:
        return True, value
    return bool(options), ""


def reference_calls(
    entry_functions: list[dict[str, Any]], ground_truth: list[dict[str, Any]], category: str
) -> list[ToolCall]:
    """The calls a perfect model makes for one entry (tool names as the model sees them)."""
    docs = {str(doc["name"]): doc for doc in entry_functions}
    language = language_of(category)
    calls: list[ToolCall] = []
    for expected in ground_truth:
        for name, params in expected.items():
            parameters = docs.get(name, {}).get("parameters", {})
            properties = parameters.get("properties", {})
            required = set(parameters.get("required", []))
            arguments: dict[str, Any] = {}
            for param, options in params.items():
                present, value = _pick(options, param in required)
                if present:
                    arguments[param] = _as_source(_resolve(value), properties.get(param, {}), language)
            calls.append(ToolCall(tool_name(name), arguments))
    return calls


def answer_defects(
    entry_functions: list[dict[str, Any]], ground_truth: list[dict[str, Any]], category: str
) -> list[str]:
    """Why no output can pass this entry's ``possible_answer`` under BFCL's checker (empty when one can).

    Flags a required parameter without any allowed value, an answer parameter that the function
    does not declare and may not be omitted, a dict answer not written as ``{key: [options]}``, and a
    Java list of ``any`` expecting non-string elements (the checker reads those elements as strings).
    """
    docs = {str(doc["name"]): doc for doc in entry_functions}
    defects: list[str] = []
    for expected in ground_truth:
        for name, params in expected.items():
            doc = docs.get(name)
            if doc is None:
                defects.append(f"{name}: not among the offered functions")
                continue
            properties = doc.get("parameters", {}).get("properties", {})
            for param in doc.get("parameters", {}).get("required", []):
                if not params.get(param):
                    defects.append(f"{name}.{param}: required, but the answer allows no value")
            for param, options in params.items():
                schema = properties.get(param)
                if schema is None:
                    if "" not in options:
                        defects.append(f"{name}.{param}: in the answer, not in the function")
                    continue
                defects.extend(f"{name}.{param}: {why}" for why in _value_defects(options, schema, category))
    return defects


def _value_defects(options: list[Any], schema: dict[str, Any], category: str) -> list[str]:
    kind = schema.get("type")
    values = [option for option in options if option != ""]
    if kind in ("dict", "HashMap") and any(
        isinstance(value, dict) and not all(isinstance(item, list) for item in value.values())
        for value in values
    ):
        return ["dict answer not in {key: [options]} form"]
    items = schema.get("items", {}) if isinstance(schema.get("items"), dict) else {}
    java_any_list = (
        language_of(category) == "java" and kind in ("Array", "ArrayList") and items.get("type") == "any"
    )
    if java_any_list and any(isinstance(v, list) and not all(isinstance(i, str) for i in v) for v in values):
        return ["Java list of `any` expects non-string elements"]
    return []
