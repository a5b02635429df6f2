"""A tiny randomly initialised chat model with an offline tokenizer, for smoke runs, tests and perf.

It cannot do the task; it exercises the whole training path (templates, rollouts, masking,
checkpoints) in seconds on a CPU and needs no download.
"""

from __future__ import annotations

import json
from pathlib import Path

from toolsafe.protocol import TAGGED_INSTRUCTIONS, to_tagged_chat

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")


def tokenizer_corpus(scenarios: int = 14) -> list[str]:
    """Text the byte-level BPE is trained on: the protocol, tool calls and sandbox system prompts."""
    from toolsafe.sandbox.generate import generate
    from toolsafe.sandbox.generate import tools as sandbox_tools

    call = json.dumps({"name": "send_email", "arguments": {"to": "bob@example.com", "body": "hi"}})
    lines = [
        TAGGED_INSTRUCTIONS,
        f"<think>the user wants an email sent</think>\n<tool_call>{call}</tool_call>",
        "<tool_check>transfer_money</tool_check> <tool_check_result>yes</tool_check_result>",
        "<tool_response>{'status': 'ok', 'balance': 1200.50}</tool_response>",
        "I cannot help with that request. Done. The task is complete.",
        "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 {}[]():;,.!?'\"-_/@#$%&*+=<>|\\~`",
    ]
    catalogue = sandbox_tools()
    for scenario in generate("train", scenarios, seed=99):
        schemas = [catalogue[name].schema() for name in scenario.tools if name in catalogue]
        messages = [
            {"role": "system", "content": scenario.system or ""},
            {"role": "user", "content": scenario.prompt},
        ]
        lines.extend(m["content"] for m in to_tagged_chat(messages, schemas))
    return lines * 10


def build_tiny_checkpoint(
    out_dir: Path, *, vocab_size: int = 4000, hidden_size: int = 32, seed: int = 0
) -> Path:
    """Save a 2-layer random Llama and a ChatML BPE tokenizer to ``out_dir``; return it."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(tokenizer_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token="<|im_start|>",
        padding_side="left",
    )
    tokenizer.chat_template = CHATML
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=8192,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    LlamaForCausalLM(config).save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir
