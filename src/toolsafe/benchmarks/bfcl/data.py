"""BFCL v4 data: categories, the question and answer files of the ``bfcl-eval`` wheel, tool schemas.

Question files are JSONL despite their ``.json`` extension; answers live under
``possible_answer/``. Function docs use Gorilla types (``dict``, ``float``, ``tuple`` …); the model
sees them as OpenAI tool schemas built the way BFCL's function-calling handlers build them: a
language hint appended to each description, Java/JavaScript parameters passed as strings, dotted
names rewritten with underscores, Gorilla types mapped to OpenAPI types.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from toolsafe.benchmarks.base import BenchDataError

BENCH = "bfcl"
ID_PREFIX = "bfcl/"
VERSION_PREFIX = "BFCL_v4"
INSTALL_HINT = "pip install --no-deps bfcl-eval==2026.3.23"

NON_LIVE_AST = (
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
)
LIVE_AST = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
IRRELEVANCE = ("irrelevance", "live_irrelevance")
RELEVANCE = ("live_relevance",)
SINGLE_TURN: tuple[str, ...] = NON_LIVE_AST + LIVE_AST + IRRELEVANCE + RELEVANCE
MULTI_TURN = ("multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param", "multi_turn_long_context")
CATEGORIES: tuple[str, ...] = SINGLE_TURN + MULTI_TURN
"""Every category this adapter runs, in BFCL's order."""

LEFT_OUT: dict[str, str] = {
    "web_search_base": "needs live web search through SerpAPI (SERPAPI_API_KEY) and page fetches",
    "web_search_no_snippet": "needs live web search through SerpAPI (SERPAPI_API_KEY) and page fetches",
    "memory_kv": "needs its prerequisite memory dialogs run first, and rank_bm25 (not run here)",
    "memory_vector": "needs the all-MiniLM-L6-v2 embedding model and FAISS",
    "memory_rec_sum": "needs its prerequisite memory dialogs run first (not run here)",
    "format_sensitivity": "not scored by BFCL (prompt-format variance of prompting models only)",
}
"""BFCL v4 categories this adapter does not run, and why."""

GORILLA_TO_OPENAPI: dict[str, str] = {
    "integer": "integer",
    "number": "number",
    "float": "number",
    "string": "string",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "dict": "object",
    "object": "object",
    "tuple": "array",
    "any": "string",
    "byte": "integer",
    "short": "integer",
    "long": "integer",
    "double": "number",
    "char": "string",
    "ArrayList": "array",
    "Array": "array",
    "HashMap": "object",
    "Hashtable": "object",
    "Queue": "array",
    "Stack": "array",
    "Any": "string",
    "String": "string",
    "Bigint": "integer",
}
"""Gorilla type → OpenAPI type, as ``bfcl_eval.constants.type_mappings.GORILLA_TO_OPENAPI``."""


def case_id(bfcl_id: str) -> str:
    """The toolsafe case id of a BFCL entry: ``simple_python_0`` → ``bfcl/simple_python_0``."""
    return ID_PREFIX + bfcl_id


def category_of(bfcl_id: str) -> str:
    """The BFCL category of an entry id: ``live_simple_3-2-0`` → ``live_simple``."""
    return bfcl_id.split(":")[0].rsplit("_", 1)[0]


def language_of(category: str) -> str:
    """``java``, ``javascript`` or ``python``: how the checker types parameter values."""
    if "javascript" in category:
        return "javascript"
    if "java" in category:
        return "java"
    return "python"


def data_root(override: Path | None = None) -> Path:
    """The folder holding ``BFCL_v4_*.json`` and ``possible_answer/``: ``override`` or the wheel's ``data/``."""
    if override is not None:
        return Path(override)
    try:
        return Path(str(resources.files("bfcl_eval").joinpath("data")))
    except ModuleNotFoundError as error:
        raise BenchDataError(
            f"BFCL data comes from the bfcl-eval wheel, which is not installed: {INSTALL_HINT}"
        ) from error


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise BenchDataError(f"{path}: BFCL file not found (reinstall with `{INSTALL_HINT}`)")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as error:
                raise BenchDataError(f"{path}:{number}: not a JSON line ({error.msg})") from error
            if not isinstance(entry, dict) or "id" not in entry:
                raise BenchDataError(f"{path}:{number}: an entry must be an object with an 'id'")
            yield entry


def load_questions(category: str, root: Path | None = None) -> list[dict[str, Any]]:
    """The question entries of one category, in file order."""
    return list(_read_jsonl(data_root(root) / f"{VERSION_PREFIX}_{category}.json"))


def load_answers(category: str, root: Path | None = None) -> dict[str, list[Any]]:
    """``{bfcl id: ground_truth}`` for a graded category (irrelevance/relevance have no answer file)."""
    path = data_root(root) / "possible_answer" / f"{VERSION_PREFIX}_{category}.json"
    return {entry["id"]: entry["ground_truth"] for entry in _read_jsonl(path)}


# --------------------------------------------------------------------------- schemas for the model


def _language_hint(category: str) -> str:
    language = language_of(category)
    if language == "java":
        return " Note that the provided function is in Java 8 SDK syntax."
    if language == "javascript":
        return " Note that the provided function is in JavaScript syntax."
    return " Note that the provided function is in Python 3 syntax."


def with_language_hint(functions: list[dict[str, Any]], category: str) -> list[dict[str, Any]]:
    """The function docs as BFCL shows them to a model (``add_language_specific_hint_to_function_doc``).

    Appends the language note to each description; for Java and JavaScript every parameter becomes a
    string holding the value in that language's syntax, its original type named in the description.
    """
    docs = copy.deepcopy(functions)
    language = language_of(category)
    for doc in docs:
        doc["description"] = str(doc.get("description", "")) + _language_hint(category)
        properties: dict[str, Any] = doc.get("parameters", {}).get("properties", {})
        if language == "python":
            continue
        name = "Java" if language == "java" else "JavaScript"
        list_types = ("ArrayList", "Array") if language == "java" else ("array",)
        for value in properties.values():
            kind = value.get("type")
            description = str(value.get("description", ""))
            if kind == "any":
                description += (
                    f" This parameter can be of any type of {name} object in string representation."
                )
            else:
                description += f" This is {name} {kind} type parameter in string representation."
            if kind in list_types and "items" in value:
                item_type = value["items"].get("type")
                description += (
                    f" The list elements are of type {item_type}; they are not in string representation."
                )
                del value["items"]
            if language == "javascript" and kind == "dict" and "properties" in value:
                description += (
                    " The dictionary entries have the following schema; they are not in string representation. "
                    + json.dumps(value["properties"])
                )
                del value["properties"]
            value["description"] = description
            value["type"] = "string"
    return docs


def tool_name(name: str) -> str:
    """The function name as an OpenAI tool name (``math.factorial`` → ``math_factorial``)."""
    return re.sub(r"\.", "_", name)


def _cast_properties(properties: dict[str, Any]) -> dict[str, Any]:
    """Gorilla → OpenAPI types, recursively, as BFCL's ``_cast_to_openai_type``."""
    for value in properties.values():
        kind = value.get("type")
        if kind is None:
            value["type"] = "string"
        else:
            if kind == "float":
                value["format"] = "float"
                value["description"] = str(value.get("description", "")) + " This is a float type value."
            value["type"] = GORILLA_TO_OPENAPI.get(kind, "string")
        if value["type"] not in ("array", "object"):
            continue
        if "properties" in value:
            value["properties"] = _cast_properties(value["properties"])
        elif "items" in value:
            items = value["items"]
            items["type"] = GORILLA_TO_OPENAPI.get(items.get("type", "string"), "string")
            if items["type"] == "array" and "items" in items:
                inner = items["items"]
                inner["type"] = GORILLA_TO_OPENAPI.get(inner.get("type", "string"), "string")
            elif items["type"] == "object" and "properties" in items:
                items["properties"] = _cast_properties(items["properties"])
    return properties


def to_openai_tools(
    functions: list[dict[str, Any]], category: str, *, language_hint: bool = True
) -> list[dict[str, Any]]:
    """OpenAI function-tool schemas for a BFCL entry's function docs (BFCL's FC handler conversion).

    ``language_hint=False`` converts docs as given (for docs that carry the hint already).
    """
    docs = with_language_hint(functions, category) if language_hint else copy.deepcopy(functions)
    tools: list[dict[str, Any]] = []
    for doc in docs:
        doc["name"] = tool_name(str(doc["name"]))
        parameters = doc.setdefault("parameters", {})
        parameters["type"] = "object"
        parameters["properties"] = _cast_properties(parameters.setdefault("properties", {}))
        tools.append({"type": "function", "function": doc})
    return tools
