"""Token layout: assistant turns are in the mask, the prompt and environment turns are not."""

from __future__ import annotations

from typing import Any

import pytest

from toolsafe.train.tokens import TemplateError, encode_chat, environment_turn_text, render

CHAT = [
    {"role": "system", "content": "You may use tools."},
    {"role": "user", "content": "Email bob that I am late."},
    {"role": "assistant", "content": '<tool_call>{"name": "send_email", "arguments": {}}</tool_call>'},
    {"role": "user", "content": "<tool_response>sent</tool_response>"},
    {"role": "assistant", "content": "Done."},
]


def _spans(ids: list[int], mask: list[int], keep: int) -> list[list[int]]:
    spans: list[list[int]] = []
    previous = None
    for token, bit in zip(ids, mask, strict=True):
        if bit == keep:
            if previous != keep:
                spans.append([])
            spans[-1].append(token)
        previous = bit
    return spans


def test_mask_covers_exactly_the_assistant_turns(tiny_tokenizer: Any) -> None:
    encoded = encode_chat(tiny_tokenizer, CHAT)
    model_spans = [tiny_tokenizer.decode(s) for s in _spans(encoded.input_ids, encoded.assistant_mask, 1)]
    assert model_spans == [CHAT[2]["content"] + "<|im_end|>", "Done.<|im_end|>"]
    environment = [tiny_tokenizer.decode(s) for s in _spans(encoded.input_ids, encoded.assistant_mask, 0)]
    assert environment[0].endswith("<|im_start|>assistant\n")
    assert "<tool_response>sent</tool_response>" in environment[1]
    assert encoded.prompt_length == len(_spans(encoded.input_ids, encoded.assistant_mask, 0)[0])


def test_concatenated_segments_equal_the_chat_template(tiny_tokenizer: Any) -> None:
    encoded = encode_chat(tiny_tokenizer, CHAT)
    whole = render(tiny_tokenizer, CHAT, generation_prompt=False)
    assert tiny_tokenizer.decode(encoded.input_ids) + "\n" == whole


def test_trailing_environment_turn_is_dropped_and_length_is_cut(tiny_tokenizer: Any) -> None:
    encoded = encode_chat(tiny_tokenizer, CHAT[:4])
    assert tiny_tokenizer.decode(encoded.input_ids).endswith("</tool_call><|im_end|>")
    cut = encode_chat(tiny_tokenizer, CHAT, max_length=10)
    assert len(cut.input_ids) == len(cut.assistant_mask) == 10


def test_environment_turn_follows_the_eos_token(tiny_tokenizer: Any) -> None:
    text = environment_turn_text(tiny_tokenizer, [{"role": "user", "content": "X"}])
    assert text == "\n<|im_start|>user\nX<|im_end|>\n<|im_start|>assistant\n"


def test_chat_without_assistant_turn_is_rejected(tiny_tokenizer: Any) -> None:
    with pytest.raises(TemplateError, match="assistant"):
        encode_chat(tiny_tokenizer, CHAT[:2])


def test_template_that_rewrites_assistant_content_is_rejected(tiny_tokenizer: Any) -> None:
    original = tiny_tokenizer.chat_template
    tiny_tokenizer.chat_template = original.replace("message['content']", "message['content'] | upper")
    try:
        with pytest.raises(TemplateError, match="verbatim"):
            environment_turn_text(tiny_tokenizer, [{"role": "user", "content": "x"}])
    finally:
        tiny_tokenizer.chat_template = original
