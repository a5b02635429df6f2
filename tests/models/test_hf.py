"""The transformers backend on a tiny trained checkpoint: batching, EOS, truncation, parsing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tiny_chat import ANSWERS, HELLO_PROMPT, TOOLS, TRANSFER_PROMPT, WEATHER_PROMPT, user

from toolsafe.models.base import ChatModel, ChatRequest
from toolsafe.models.errors import ModelSpecError
from toolsafe.models.registry import load_model
from toolsafe.protocol import Check, Problem, ToolCall

pytest.importorskip("transformers")


def request(prompt: str, max_tokens: int = 64) -> ChatRequest:
    return ChatRequest(messages=user(prompt), tools=TOOLS, max_tokens=max_tokens)


def test_batched_generation_returns_one_parsed_response_per_request_in_order(tiny_model: Any) -> None:
    prompts = [HELLO_PROMPT, WEATHER_PROMPT, TRANSFER_PROMPT, WEATHER_PROMPT, HELLO_PROMPT]
    responses = tiny_model.generate([request(p) for p in prompts])

    assert [r.raw for r in responses] == [ANSWERS[p] for p in prompts]
    assert all(r.finish_reason == "stop" and r.error is None for r in responses)
    weather, transfer, hello = responses[1], responses[2], responses[0]
    assert weather.parsed.turn.tool_calls == (ToolCall("get_weather", {"city": "Oslo"}),)
    assert weather.parsed.calls_sound and weather.parsed.strict_valid
    assert transfer.parsed.turn.checks == (Check("transfer_money"),)
    assert transfer.parsed.turn.think == "Money leaves the account."
    assert hello.parsed.turn.is_final and hello.parsed.turn.text == ANSWERS[HELLO_PROMPT]


def test_batched_outputs_match_one_at_a_time(tiny_model: Any) -> None:
    requests = [request(p) for p in (TRANSFER_PROMPT, HELLO_PROMPT, WEATHER_PROMPT)]
    batched = [r.raw for r in tiny_model.generate(requests)]
    single = [tiny_model.generate([r])[0].raw for r in requests]
    assert batched == single


def test_kv_reuse_encodes_only_the_new_turn_and_generates_the_same_text(tiny_model_dir: Path) -> None:
    reuse = load_model(f"hf:{tiny_model_dir}?batch_size=2")
    fresh = load_model(f"hf:{tiny_model_dir}?batch_size=2&kv_reuse=0")
    first = [request(WEATHER_PROMPT), request(TRANSFER_PROMPT)]
    replies = reuse.generate(first)
    assert [r.raw for r in replies] == [r.raw for r in fresh.generate(first)]
    weather = replies[0]
    history = [
        *user(WEATHER_PROMPT),
        {"role": "assistant", "content": weather.raw},
        {"role": "tool", "name": "get_weather", "content": "12 C and rain"},
    ]
    # One row continues a cached conversation, the other is new: the batch has a hole in its mask.
    follow = [ChatRequest(messages=history, tools=TOOLS, max_tokens=64), request(HELLO_PROMPT)]
    assert [r.raw for r in reuse.generate(follow)] == [r.raw for r in fresh.generate(follow)]
    turn_one = len(reuse.tokenizer(reuse.render(first[0]))["input_ids"])  # type: ignore[attr-defined]
    assert reuse.prefix_cache.reused_tokens > turn_one  # type: ignore[attr-defined]
    assert fresh.prefix_cache.reused_tokens == 0  # type: ignore[attr-defined]


def test_length_limit_gives_finish_reason_length_and_missing_eos(tiny_model: Any) -> None:
    short, full = tiny_model.generate([request(WEATHER_PROMPT, max_tokens=4), request(WEATHER_PROMPT)])

    assert short.finish_reason == "length"
    assert not short.parsed.eos and short.parsed.has(Problem.MISSING_EOS)
    assert short.usage["completion_tokens"] == 4
    assert ANSWERS[WEATHER_PROMPT].startswith(short.raw) and short.raw != ANSWERS[WEATHER_PROMPT]
    assert full.finish_reason == "stop" and full.parsed.eos


def test_usage_counts_prompt_and_completion_tokens(tiny_model: Any) -> None:
    (response,) = tiny_model.generate([request(HELLO_PROMPT)])
    prompt_tokens = len(tiny_model.tokenizer(tiny_model.render(request(HELLO_PROMPT)))["input_ids"])
    completion = len(tiny_model.tokenizer(ANSWERS[HELLO_PROMPT])["input_ids"]) + 1  # + EOS
    assert response.usage == {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
    }


def test_message_keeps_the_generated_text_for_the_next_turn(tiny_model: Any) -> None:
    (response,) = tiny_model.generate([request(WEATHER_PROMPT)])
    follow_up = [
        *user(WEATHER_PROMPT),
        response.message,
        {"role": "tool", "content": "12 degrees, rain"},
    ]
    rendered = tiny_model.render(ChatRequest(messages=follow_up, tools=TOOLS))
    assert ANSWERS[WEATHER_PROMPT] in rendered
    assert "<tool_response>12 degrees, rain</tool_response>" in rendered


def test_template_failure_is_an_error_response_for_that_request_only(tiny_model: Any) -> None:
    bad = ChatRequest(messages=[{"role": "user", "content": "x"}, "not a message"])  # type: ignore[list-item]
    responses = tiny_model.generate([bad, request(HELLO_PROMPT)])
    assert responses[0].error is not None and responses[0].error.startswith("chat template")
    assert responses[0].finish_reason == "error"
    assert responses[1].raw == ANSWERS[HELLO_PROMPT]


def test_sampling_is_reproducible_for_a_seed(tiny_model: Any) -> None:
    sampled = ChatRequest(messages=user(HELLO_PROMPT), tools=TOOLS, temperature=1.5, seed=7, max_tokens=12)
    first = tiny_model.generate([sampled])[0].raw
    assert tiny_model.generate([sampled])[0].raw == first


def test_registry_builds_the_hf_backend_with_options(tiny_model_dir: Path) -> None:
    model = load_model(f"hf:{tiny_model_dir}?batch_size=2&autocast=on&dtype=float32")
    assert isinstance(model, ChatModel)
    assert model.wire_format == "tagged" and model.name == f"hf:{tiny_model_dir.name}"
    responses = model.generate([request(p) for p in (WEATHER_PROMPT, HELLO_PROMPT, TRANSFER_PROMPT)])
    assert [r.raw for r in responses] == [
        ANSWERS[WEATHER_PROMPT],
        ANSWERS[HELLO_PROMPT],
        ANSWERS[TRANSFER_PROMPT],
    ]


@pytest.mark.parametrize(("native", "dtype"), [(True, "bfloat16"), (False, "float32")])
def test_auto_dtype_is_bf16_only_on_a_cpu_that_has_it(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, native: bool, dtype: str
) -> None:
    import toolsafe.models.hf

    copy = Path(shutil.copytree(tiny_model_dir, tmp_path / "bf16-checkpoint"))
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "dtype": "bfloat16", "torch_dtype": "bfloat16"}))
    monkeypatch.setattr(toolsafe.models.hf, "cpu_has_native_bf16", lambda: native)
    model = load_model(f"hf:{copy}?dtype=auto&device=cpu")  # a checkpoint saved in bf16
    assert str(model.model.dtype) == f"torch.{dtype}"  # type: ignore[attr-defined]


def test_checkpoint_without_a_chat_template_is_a_spec_error(tiny_model_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(tiny_model_dir, tmp_path / "base-model"))
    (copy / "chat_template.jinja").unlink()
    with pytest.raises(ModelSpecError, match="has no chat template"):
        load_model(f"hf:{copy}")


def test_directory_without_a_checkpoint_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(ModelSpecError, match=r"no config.json"):
        load_model(f"hf:{tmp_path}")
    with pytest.raises(ModelSpecError, match=r"autocast=.maybe. is not a valid on/off"):
        load_model(f"hf:{tmp_path}?autocast=maybe")
    with pytest.raises(ModelSpecError, match=r"kv_reuse=.lots. is not a valid int"):
        load_model(f"hf:{tmp_path}?kv_reuse=lots")
