"""Reuse the KV cache of a conversation's earlier turns in the hf backend.

A multi-turn episode sends the whole conversation every turn, so without reuse each turn
re-encodes ~1k tokens of system prompt, tool list and history to write ~60 new ones. After each
batch :class:`PrefixCache` keeps every row's keys and values (prompt and generated tokens); when a
later prompt starts with a kept sequence, only the rest is encoded. Rows of a batch reuse different
lengths, so the batch is laid out as ``[pad][reused][pad][new]``: the attention mask has a hole in
the middle, and position ids (the mask's cumulative sum) stay each row's own.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


def common_prefix_length(a: list[int], b: list[int]) -> int:
    """How many leading tokens two sequences share."""
    length = 0
    for mine, theirs in zip(a, b, strict=False):
        if mine != theirs:
            break
        length += 1
    return length


@dataclass
class CachedRow:
    """One conversation's tokens and their keys and values, per layer ``[heads, tokens, dim]``."""

    ids: list[int]
    layers: list[tuple[Any, Any]]


@dataclass
class BatchLayout:
    """The left-padded, hole-aligned batch ``generate`` continues from ``cache`` (``None``: no reuse)."""

    input_ids: Any
    attention_mask: Any
    cache: Any


class PrefixCache:
    """Rows of earlier batches, least recently used first, holding at most ``max_tokens`` tokens.

    A stored row replaces the rows it extends (the same conversation a turn earlier)."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self.rows: OrderedDict[int, CachedRow] = OrderedDict()
        self._next_key = 0
        self._tokens = 0
        self.reused_tokens = 0
        self.prompt_tokens = 0

    def take(self, ids: list[int]) -> tuple[int, CachedRow | None]:
        """The longest kept prefix of ``ids``, leaving at least one token to encode."""
        best_key, best_length = None, 0
        for key, row in self.rows.items():
            length = common_prefix_length(row.ids, ids[:-1])
            if length > best_length:
                best_key, best_length = key, length
        if best_key is None:
            return 0, None
        self.rows.move_to_end(best_key)
        return best_length, self.rows[best_key]

    def clear(self) -> None:
        self.rows.clear()
        self._tokens = 0

    def put(self, row: CachedRow) -> None:
        superseded = [k for k, old in self.rows.items() if row.ids[: len(old.ids)] == old.ids]
        for key in superseded:
            self._tokens -= len(self.rows.pop(key).ids)
        self.rows[self._next_key] = row
        self._next_key += 1
        self._tokens += len(row.ids)
        while self.rows and self._tokens > self.max_tokens:
            self._tokens -= len(self.rows.popitem(last=False)[1].ids)


def layout(prompts: list[Any], cache: PrefixCache, pad_id: int, device: Any) -> BatchLayout:
    """Lay out ``prompts`` (1-D LongTensors) for ``generate``, reusing what ``cache`` holds."""
    import torch
    from transformers import DynamicCache

    taken = [cache.take(ids.tolist()) for ids in prompts]
    reused = [length for length, _ in taken]
    width_reused = max(reused)
    width_new = max(len(ids) - n for ids, n in zip(prompts, reused, strict=True))
    rows, masks = [], []
    for ids, n in zip(prompts, reused, strict=True):
        new = len(ids) - n
        pad_left, pad_mid = width_reused - n, width_new - new
        rows.append(
            torch.cat([ids.new_full((pad_left,), pad_id), ids[:n], ids.new_full((pad_mid,), pad_id), ids[n:]])
        )
        masks.append(torch.tensor([0] * pad_left + [1] * n + [0] * pad_mid + [1] * new))
        cache.prompt_tokens += len(ids)
        cache.reused_tokens += n
    kv = None
    if width_reused:
        first = next(row for _, row in taken if row is not None)
        layers = []
        for index, (key0, value0) in enumerate(first.layers):
            heads, _, dim = key0.shape
            keys = key0.new_zeros((len(prompts), heads, width_reused, dim))
            values = value0.new_zeros((len(prompts), heads, width_reused, dim))
            for b, (n, row) in enumerate(taken):
                if row is not None and n:
                    keys[b, :, width_reused - n :] = row.layers[index][0][:, :n]
                    values[b, :, width_reused - n :] = row.layers[index][1][:, :n]
            layers.append((keys.to(device), values.to(device)))
        kv = DynamicCache(ddp_cache_data=layers)
    return BatchLayout(torch.stack(rows).to(device), torch.stack(masks).to(device), kv)


def keep(
    cache: PrefixCache, sequences: Any, attention_mask: Any, past_key_values: Any, generated: list[int]
) -> None:
    """Store each row's real tokens (prompt and its first ``generated[row]`` new tokens) with their
    keys and values from the finished ``generate`` call, in host memory (nothing when ``cache``
    keeps no tokens)."""
    import torch

    if not cache.max_tokens:
        return

    cached_length = past_key_values.get_seq_length()
    prompt_width = attention_mask.shape[1]
    layers = [(keys, values) for keys, values, *_ in past_key_values]
    for b in range(sequences.shape[0]):
        real = attention_mask[b].nonzero().flatten()
        fresh = torch.arange(
            prompt_width, min(prompt_width + generated[b], cached_length), device=real.device
        )
        positions = torch.cat([real, fresh])
        cache.put(
            CachedRow(
                ids=sequences[b, positions].tolist(),
                layers=[(k[b][:, positions].cpu(), v[b][:, positions].cpu()) for k, v in layers],
            )
        )
