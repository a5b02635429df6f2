"""Token layout of a tagged conversation, shared by SFT and GRPO so both see the same sequences.

A conversation is tokenised segment by segment and the ids concatenated, never re-tokenised as a
whole: the prompt (chat template up to the first assistant turn), then for each assistant turn
its content plus the EOS token (trainable, mask 1), then the environment's reply rendered through
the model's own chat template (mask 0). GRPO rollouts build exactly this layout from sampled
tokens, so the SFT warm start teaches the boundaries the policy meets during RL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_MARK = "\x00toolsafe-assistant-end\x00"


class TemplateError(ValueError):
    """The tokenizer's chat template cannot be split into turns the way training needs."""


@dataclass(frozen=True)
class EncodedChat:
    """Token ids of a conversation and which of them the model wrote (1) vs the environment (0)."""

    input_ids: list[int]
    assistant_mask: list[int]
    prompt_length: int
    loss_weights: list[float]
    """Per token: the weight of its assistant turn (1.0 unless given), 0.0 on the environment's tokens."""


def render(tokenizer: Any, messages: Sequence[dict[str, str]], *, generation_prompt: bool) -> str:
    """The chat template applied to ``messages`` as text."""
    text = tokenizer.apply_chat_template(
        list(messages), tokenize=False, add_generation_prompt=generation_prompt
    )
    return str(text)


def encode_text(tokenizer: Any, text: str) -> list[int]:
    """Token ids of ``text`` without added special tokens (templates already carry them)."""
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def eos_text(tokenizer: Any) -> str:
    """The end-of-turn token the model emits at the end of an assistant turn."""
    eos = tokenizer.eos_token
    if not eos:
        raise TemplateError("the tokenizer has no eos_token; set one that ends assistant turns")
    return str(eos)


def environment_turn_text(tokenizer: Any, messages: Sequence[dict[str, str]]) -> str:
    """Text that follows an assistant turn's EOS token: the closing template, ``messages`` and the next
    assistant header (the generation prompt)."""
    dummy = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u"},
        {"role": "assistant", "content": _MARK},
    ]
    base = render(tokenizer, dummy, generation_prompt=False)
    full = render(tokenizer, [*dummy, *messages], generation_prompt=True)
    cut = base.find(_MARK)
    if cut < 0 or not full.startswith(base[: cut + len(_MARK)]):
        raise TemplateError("the chat template does not render assistant content verbatim and prefix-stable")
    after = full[cut + len(_MARK) :]
    eos = eos_text(tokenizer)
    if not after.startswith(eos):
        raise TemplateError(f"the chat template does not end assistant turns with the eos token {eos!r}")
    return after[len(eos) :]


def encode_chat(
    tokenizer: Any,
    chat: Sequence[dict[str, str]],
    max_length: int | None = None,
    turn_weights: Sequence[float] = (),
) -> EncodedChat:
    """Encode a tagged chat (system, user, then alternating assistant / environment turns).

    Turns after the last assistant turn are dropped; the sequence is cut to ``max_length``.
    ``turn_weights`` gives each assistant turn a loss weight (missing ones weigh 1.0).
    """
    first = next((i for i, m in enumerate(chat) if m["role"] == "assistant"), None)
    if first is None:
        raise TemplateError("a training conversation needs at least one assistant turn")
    ids = encode_text(tokenizer, render(tokenizer, chat[:first], generation_prompt=True))
    prompt_length = len(ids)
    mask = [0] * prompt_length
    weights = [0.0] * prompt_length
    eos_id = tokenizer.convert_tokens_to_ids(eos_text(tokenizer))
    index, turn_number = first, 0
    while index < len(chat):
        turn = [*encode_text(tokenizer, chat[index]["content"]), eos_id]
        ids += turn
        mask += [1] * len(turn)
        weights += [turn_weights[turn_number] if turn_number < len(turn_weights) else 1.0] * len(turn)
        index, turn_number = index + 1, turn_number + 1
        environment: list[dict[str, str]] = []
        while index < len(chat) and chat[index]["role"] != "assistant":
            environment.append(chat[index])
            index += 1
        if environment and index < len(chat):
            reply = encode_text(tokenizer, environment_turn_text(tokenizer, environment))
            ids += reply
            mask += [0] * len(reply)
            weights += [0.0] * len(reply)
    if max_length is not None:
        ids, mask, weights = ids[:max_length], mask[:max_length], weights[:max_length]
    return EncodedChat(ids, mask, min(prompt_length, len(ids)), weights)
