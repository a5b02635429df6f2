"""GRPO sampling and log-probabilities with each group's prompt run once.

The rollouts of a GRPO group start from the same prompt, so sampling and TRL's loss forward compute
that prompt ``num_generations`` times (left-padded to the batch's longest), and for one-turn
rollouts the prompt is most of every sequence. Here each distinct prompt goes through the model
once, unpadded; its key/value cache is repeated over the rows that share it, and only the new
tokens run per row. Gradients flow through the shared cache, so log-probabilities and their
gradients are those of the full forward (``tests/train/test_shared_prompt.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def shared_prompt_logps(
    model: Any,
    input_ids: Any,
    attention_mask: Any,
    logits_to_keep: int,
    temperature: float = 1.0,
    compute_entropy: bool = False,
) -> tuple[Any, Any]:
    """``(log_probs, entropies or None)`` of the last ``logits_to_keep`` tokens of each row, as TRL's
    ``_get_per_token_logps_and_entropies`` returns them: prompts left-padded, completions right-padded
    (positions after a completion's end get values that the loss masks out)."""
    import torch

    causal_lm = model.get_base_model() if hasattr(model, "get_base_model") else model
    backbone = causal_lm.base_model
    lm_head = causal_lm.get_output_embeddings()
    prompts = input_ids[:, :-logits_to_keep]
    prompt_mask = attention_mask[:, :-logits_to_keep].bool()
    completions = input_ids[:, -logits_to_keep:]
    logps = torch.zeros(completions.shape, dtype=torch.float32, device=input_ids.device)
    entropies = torch.zeros_like(logps) if compute_entropy else None
    rows_by_prompt: dict[tuple[int, ...], list[int]] = {}
    for row in range(input_ids.shape[0]):
        rows_by_prompt.setdefault(tuple(prompts[row][prompt_mask[row]].tolist()), []).append(row)
    with _without_checkpointing(backbone):
        for prompt, rows in rows_by_prompt.items():
            index = torch.tensor(rows, device=input_ids.device)
            shared = backbone(input_ids=torch.tensor([prompt], device=input_ids.device), use_cache=True)
            cache = shared.past_key_values
            cache.batch_repeat_interleave(len(rows))
            tails = backbone(input_ids=completions[index], past_key_values=cache, use_cache=False)
            # the first completion token is predicted at the prompt's last position
            hidden = torch.cat(
                [shared.last_hidden_state[:, -1:].expand(len(rows), 1, -1), tails.last_hidden_state[:, :-1]],
                dim=1,
            )
            log_softmax = torch.log_softmax(lm_head(hidden).float() / temperature, dim=-1)
            logps = logps.index_put(
                (index,), log_softmax.gather(-1, completions[index].unsqueeze(-1)).squeeze(-1)
            )
            if entropies is not None:
                entropy = -(log_softmax.exp() * log_softmax).sum(-1)
                entropies = entropies.index_put((index,), entropy.detach())
    return logps, entropies


@contextmanager
def _without_checkpointing(backbone: Any) -> Iterator[None]:
    """Activation checkpointing drops the key/value cache, so it is off for these forwards (their
    activations are small: one prompt per group and one-turn completions)."""
    layers = [m for m in backbone.modules() if getattr(m, "gradient_checkpointing", False) is True]
    for layer in layers:
        layer.gradient_checkpointing = False
    try:
        yield
    finally:
        for layer in layers:
            layer.gradient_checkpointing = True


def generate_from_shared_prompts(
    model: Any, contexts: list[list[int]], config: Any, pad_id: int
) -> list[list[int]]:
    """``model.generate`` on each context (left-padded into one batch); the new ids of each row.
    Each distinct context is prefilled once, unpadded, and its cache shared by the rows that repeat it."""
    import torch

    device = model.device
    width = max(len(c) for c in contexts)
    input_ids = torch.full((len(contexts), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(contexts), width), dtype=torch.long)
    for row, context in enumerate(contexts):
        input_ids[row, width - len(context) :] = torch.tensor(context)
        attention[row, width - len(context) :] = 1
    shared = len({tuple(c) for c in contexts}) < len(contexts) and min(len(c) for c in contexts) > 1
    cache = {"past_key_values": _prefilled_cache(model, contexts, width)} if shared else {}
    output = model.generate(
        input_ids=input_ids.to(device), attention_mask=attention.to(device), generation_config=config, **cache
    )
    return [row[width:].tolist() for row in output.cpu()]


def _prefilled_cache(model: Any, contexts: list[list[int]], width: int) -> Any:
    """The key/value cache of every context but its last token, left-padded to ``width - 1``."""
    import torch
    from transformers import DynamicCache

    prefilled = {}
    for distinct in dict.fromkeys(tuple(c) for c in contexts):
        prompt = torch.tensor([distinct[:-1]], device=model.device)
        prefilled[distinct] = model(input_ids=prompt, use_cache=True, logits_to_keep=1).past_key_values
    cache = DynamicCache(config=model.config)
    for layer in range(len(prefilled[tuple(contexts[0])].layers)):
        keys, values = [], []
        for row in contexts:
            stored = prefilled[tuple(row)].layers[layer]
            pad = (0, 0, width - len(row), 0)  # left, along the sequence axis
            keys.append(torch.nn.functional.pad(stored.keys, pad))
            values.append(torch.nn.functional.pad(stored.values, pad))
        cache.update(torch.cat(keys), torch.cat(values), layer)
    return cache
