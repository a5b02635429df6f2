"""Spec strings: parsing, options and one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from toolsafe.models.base import ChatModel
from toolsafe.models.errors import ModelSpecError
from toolsafe.models.openai_api import OpenAIChatModel
from toolsafe.models.registry import SPEC_FORMS, load_model, split_options


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("gpt", "unknown model spec 'gpt'; use one of: " + ", ".join(SPEC_FORMS)),
        ("smollm3", "unknown model spec"),
        ("replay:", "unknown model spec"),
        ("openai:http://127.0.0.1:8000/v1", "name the model after '#'"),
        ("openai:127.0.0.1:8000#m", "must start with http:// or https://"),
        ("openai:http://h/v1#", "the model name after '#' is empty"),
        ("openai:http://h/v1#m?format=json", "format must be native or tagged"),
        ("openai:http://h/v1#m?threads=2", "unknown openai option 'threads'; valid options: format,"),
        ("openai:http://h/v1#m?timeout=soon", "timeout='soon' is not a valid float"),
        ("openai:http://h/v1#m?concurrency=0", "concurrency >= 1"),
        ("hf:", "hf:PATH"),
        ("hf:/x?dtype=int8", "dtype must be one of auto, float32, bfloat16, float16"),
        ("smollm2?beams=2", "unknown hf option 'beams'"),
        ("openai:http://h/v1#m?a=1&b", "options 'a=1&b' must look like key=value"),
    ],
)
def test_bad_specs_raise_one_line_errors(spec: str, complaint: str) -> None:
    with pytest.raises(ModelSpecError) as error:
        load_model(spec)
    message = str(error.value)
    assert complaint in message and "\n" not in message


def test_openai_spec_keeps_colons_and_slashes_in_url_and_model() -> None:
    model = load_model("openai:https://api.example.com:8443/v1#qwen2.5:0.5b?concurrency=4&timeout=9.5")
    assert isinstance(model, OpenAIChatModel)
    assert model.base_url == "https://api.example.com:8443/v1"
    assert (model.model, model.wire_format, model.concurrency) == ("qwen2.5:0.5b", "native", 4)
    assert model.name == "openai:qwen2.5:0.5b"


def test_split_options() -> None:
    assert split_options("/models/a?batch_size=4&device=cpu") == (
        "/models/a",
        {"batch_size": "4", "device": "cpu"},
    )
    assert split_options("/models/what?") == ("/models/what?", {})
    assert split_options("plain") == ("plain", {})


def test_scripted_specs_delegate_to_the_sandbox_agents() -> None:
    oracle = load_model("scripted:oracle")
    assert isinstance(oracle, ChatModel) and oracle.wire_format == "tagged"
    assert load_model("scripted:oracle?format=native").wire_format == "native"
    with pytest.raises(ModelSpecError, match="scripted:no-such-agent: unknown agent 'no-such-agent'; known:"):
        load_model("scripted:no-such-agent")
    with pytest.raises(ModelSpecError, match="format must be native or tagged"):
        load_model("scripted:oracle?format=text")


def test_importing_the_registry_and_endpoint_backend_loads_no_torch() -> None:
    code = (
        "import sys, toolsafe.models, toolsafe.models.registry, toolsafe.models.openai_api, "
        "toolsafe.models.replay, toolsafe.models.server\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
