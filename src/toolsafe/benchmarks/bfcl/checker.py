"""BFCL's own verdicts: ``bfcl_eval``'s ``ast_checker`` and its (ir)relevance rule.

``bfcl-eval`` is installed with ``--no-deps`` (its pinned provider SDKs would fight the training
stack). Its AST checker needs only the stdlib and a few ``bfcl_eval.constants`` modules, except
that it reads ``MODEL_CONFIG_MAPPING[model].underscore_to_dot`` from
``bfcl_eval.constants.model_config``, whose import pulls in every model handler. Before the first
import a small stand-in module is registered under that name; it answers for any model name with
``underscore_to_dot=True``, because the model sees dotted function names rewritten with underscores
(:func:`toolsafe.benchmarks.bfcl.data.tool_name`), as OpenAI-style tool APIs require.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from toolsafe.benchmarks.bfcl.data import INSTALL_HINT, language_of

CHECKER_MODEL = "toolsafe"
"""The model name handed to ``ast_checker`` (no underscores: BFCL maps ``_`` to ``/`` in names)."""

_MODEL_CONFIG_MODULE = "bfcl_eval.constants.model_config"

Decoded = list[dict[str, dict[str, Any]]]
"""A model output in BFCL's decoded form: ``[{func_name: {param: value}}]``."""


class BFCLNotInstalledError(ImportError):
    """``bfcl-eval`` is missing; the message names the install command."""


@dataclass(frozen=True)
class _CheckerConfig:
    underscore_to_dot: bool = True


class _AnyModelConfig(dict[str, _CheckerConfig]):
    """``MODEL_CONFIG_MAPPING`` stand-in: every model name maps to one config."""

    def __missing__(self, key: str) -> _CheckerConfig:
        return _CheckerConfig()


@dataclass(frozen=True)
class Verdict:
    """BFCL's verdict on one output: valid or not, with its error type and messages."""

    valid: bool
    error_type: str = ""
    errors: tuple[str, ...] = ()


def _register_model_config() -> None:
    existing = sys.modules.get(_MODEL_CONFIG_MODULE)
    if existing is None:
        stand_in = types.ModuleType(_MODEL_CONFIG_MODULE)
        stand_in.MODEL_CONFIG_MAPPING = _AnyModelConfig()  # type: ignore[attr-defined]
        sys.modules[_MODEL_CONFIG_MODULE] = stand_in
        return
    mapping = getattr(existing, "MODEL_CONFIG_MAPPING", None)
    if isinstance(mapping, dict) and CHECKER_MODEL not in mapping:
        mapping[CHECKER_MODEL] = _CheckerConfig()


@cache
def _bfcl() -> tuple[Callable[..., dict[str, Any]], Mapping[str, Any]]:
    """``ast_checker`` and the ``Language`` members by name, imported once."""
    try:
        import bfcl_eval.constants.enums as enums
    except ModuleNotFoundError as error:
        raise BFCLNotInstalledError(f"the BFCL checker needs bfcl-eval: {INSTALL_HINT}") from error
    _register_model_config()
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker

    languages = {
        "python": enums.Language.PYTHON,
        "java": enums.Language.JAVA,
        "javascript": enums.Language.JAVASCRIPT,
    }
    return ast_checker, languages


def ensure_installed() -> None:
    """Raise :class:`BFCLNotInstalledError` now rather than at the first check."""
    _bfcl()


def check_ast(
    functions: list[dict[str, Any]], decoded: Decoded, ground_truth: list[dict[str, Any]], category: str
) -> Verdict:
    """Run ``ast_checker`` on a decoded output against an entry's original function docs and answers.

    A crash inside the checker (possible on strange model values) is a failed check, never an error.
    """
    ast_checker, languages = _bfcl()
    try:
        result = ast_checker(
            functions, decoded, ground_truth, languages[language_of(category)], category, CHECKER_MODEL
        )
    except Exception as error:  # the checker was written for well-typed outputs; odd values are data
        return Verdict(False, "checker_error", (f"{type(error).__name__}: {error}"[:300],))
    if result.get("valid"):
        return Verdict(True)
    errors = tuple(str(item)[:300] for item in result.get("error", []))
    return Verdict(False, str(result.get("error_type", "")), errors)


def is_empty_output(decoded: object) -> bool:
    """BFCL's ``is_empty_output``: ``[]``, ``[{}]`` or anything not in call format holds no call."""
    if not isinstance(decoded, list):
        return True
    for item in decoded:
        if not isinstance(item, dict) or len(item) != 1 or not isinstance(next(iter(item.values())), dict):
            return True
    return len(decoded) == 0 or (len(decoded) == 1 and len(decoded[0]) == 0)


def check_relevance(decoded: Decoded, category: str) -> Verdict:
    """BFCL's (ir)relevance rule: irrelevance passes without a call, relevance needs one (values unchecked)."""
    has_call = not is_empty_output(decoded)
    if "irrelevance" in category:
        if has_call:
            return Verdict(
                False, "irrelevance_error:decoder_success", ("a function call where none should be",)
            )
        return Verdict(True)
    if not has_call:
        return Verdict(False, "relevance_error:decoder_failed", ("no function call where one should be",))
    return Verdict(True)
