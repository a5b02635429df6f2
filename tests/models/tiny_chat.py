"""A tiny Llama chat model, trained in seconds to answer three prompts, saved as a real checkpoint.

The tokenizer is a byte-level BPE trained offline on the tagged protocol text, with ChatML
special tokens. The model memorises one answer per prompt (a tool call, a confirmation request,
plain text), so tests can check what generation, batching and serving return.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from toolsafe.protocol import TAGGED_INSTRUCTIONS, to_tagged_chat

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<tool_call>",
    "</tool_call>",
    "<tool_check>",
    "</tool_check>",
    "<think>",
    "</think>",
]
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TRANSFER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "transfer_money",
        "description": "Send money to a person.",
        "parameters": {
            "type": "object",
            "properties": {"to": {"type": "string"}, "amount": {"type": "number"}},
            "required": ["to", "amount"],
        },
    },
}
TOOLS = [WEATHER_TOOL, TRANSFER_TOOL]
WEATHER_PROMPT = "What is the weather in Oslo?"
TRANSFER_PROMPT = "Send 500 dollars to Bob."
HELLO_PROMPT = "Say hello."
ANSWERS = {
    WEATHER_PROMPT: '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>',
    TRANSFER_PROMPT: "<think>Money leaves the account.</think><tool_check>transfer_money</tool_check>",
    HELLO_PROMPT: "Hello! How can I help you today?",
}


def user(text: str) -> list[dict[str, Any]]:
    """A one-message conversation."""
    return [{"role": "user", "content": text}]


def build_tiny_model(out_dir: Path) -> Path:
    """Train the tokenizer and model and save both to ``out_dir``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    corpus = [TAGGED_INSTRUCTIONS, json.dumps(TOOLS), *ANSWERS, *ANSWERS.values()]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=700,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(corpus * 3, trainer)
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>", padding_side="left"
    )
    tokenizer.chat_template = CHATML

    prompts = [
        tokenizer.apply_chat_template(
            to_tagged_chat(user(q), TOOLS), tokenize=False, add_generation_prompt=True
        )
        for q in ANSWERS
    ]
    prompt_ids = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    answer_ids = [
        tokenizer(a + "<|im_end|>", add_special_tokens=False)["input_ids"] for a in ANSWERS.values()
    ]
    length = max(len(p) + len(a) for p, a in zip(prompt_ids, answer_ids, strict=True))
    pad = tokenizer.pad_token_id
    inputs = torch.full((len(prompts), length), pad)
    labels = torch.full((len(prompts), length), -100)
    mask = torch.zeros((len(prompts), length), dtype=torch.long)
    for row, (p, a) in enumerate(zip(prompt_ids, answer_ids, strict=True)):
        sequence = torch.tensor(p + a)
        inputs[row, : len(sequence)] = sequence
        labels[row, len(p) : len(sequence)] = torch.tensor(a)
        mask[row, : len(sequence)] = 1

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=pad,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=pad,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(300):
        loss = model(input_ids=inputs, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if loss.item() < 0.005:
            break
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = pad
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch on one thread inside the block."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
