"""Local transformers checkpoints (or GGUF files) as a tagged-format :class:`ChatModel`.

Requests are rendered with :func:`~toolsafe.protocol.to_tagged_chat` into the model's own chat
template, grouped by sampling settings, sorted by prompt length and generated in left-padded
batches that continue the KV cache of earlier turns (:mod:`toolsafe.models.kv_reuse`). Each output
is cut at the first EOS token and parsed with :func:`~toolsafe.protocol.parse_tagged`;
``finish_reason`` is ``"stop"`` when EOS was produced within the request's ``max_tokens`` and
``"length"`` otherwise.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from toolsafe.models.base import ChatRequest, ChatResponse, WireFormat, failed_response
from toolsafe.models.errors import ModelSpecError
from toolsafe.models.kv_reuse import PrefixCache, keep, layout
from toolsafe.protocol import TAGGED_INSTRUCTIONS, parse_tagged, to_tagged_chat

Dtype = Literal["auto", "float32", "bfloat16", "float16"]
TRAIN_EXTRA_HINT = "pip install 'toolsafe[train]'"


def require_torch() -> Any:
    """Import torch and transformers, or fail with the extra to install."""
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as error:
        raise ModelSpecError(f"local models need torch and transformers: {TRAIN_EXTRA_HINT}") from error
    return torch


@dataclass(frozen=True)
class _Prompt:
    index: int
    text: str
    request: ChatRequest


@dataclass(frozen=True)
class GenerationStats:
    """Totals over every :meth:`HFChatModel.generate` call, for throughput reports."""

    requests: int = 0
    new_tokens: int = 0
    seconds: float = 0.0


class HFChatModel:
    """A causal LM from a checkpoint directory or ``.gguf`` file, generating in batches.

    Args:
        path: A transformers checkpoint directory, or a ``.gguf`` file (converted once and cached).
        batch_size: Most requests per ``model.generate`` call.
        dtype: Weights dtype. ``auto``: on a CPU, bf16 where it is native (AVX512-BF16/AMX) and fp32
            elsewhere (emulated bf16 is 2 to 3 times as slow); on a GPU the checkpoint's own dtype.
        autocast: Run the forward pass under bf16 autocast on CPU (for fp32 weights; on the
            project's CPUs it was slower than either plain fp32 or bf16 weights, so off by default).
        kv_reuse: Keep up to this many tokens of earlier batches' keys and values and encode only
            what a new prompt adds to one of them (see :mod:`toolsafe.models.kv_reuse`); 0 turns it
            off. They are kept in host memory: a token costs 2 × layers × KV heads × head dim values
            (SmolLM2: 23 KiB in bf16, a 7B model with grouped KV heads ~128 KiB).
        device: ``cpu``, ``cuda`` …; ``None`` picks CUDA when available.
        threads: Set torch's CPU thread count (process-wide); on cores shared with other jobs, 1
            thread avoids the stalls of contended OpenMP barriers.
        name: Display name; defaults to ``hf:<dirname>``.
    """

    wire_format: WireFormat = "tagged"

    def __init__(
        self,
        path: str | Path,
        *,
        batch_size: int = 8,
        dtype: Dtype = "auto",
        autocast: bool = False,
        kv_reuse: int = 65536,
        device: str | None = None,
        threads: int | None = None,
        name: str | None = None,
    ) -> None:
        torch = require_torch()
        if threads is not None:
            if threads < 1:
                raise ModelSpecError(f"threads must be >= 1, got {threads}")
            torch.set_num_threads(threads)
        from transformers import AutoModelForCausalLM, AutoTokenizer

        source = Path(path).expanduser()
        if source.suffix == ".gguf":
            from toolsafe.models.gguf import convert_gguf

            source = convert_gguf(source)
        if not (source / "config.json").is_file():
            raise ModelSpecError(
                f"hf:{path}: no config.json there; give a transformers checkpoint or a .gguf"
            )
        if batch_size < 1:
            raise ModelSpecError(f"batch_size must be >= 1, got {batch_size}")
        self.name = name or f"hf:{source.name}"
        self.path = source
        self.batch_size = batch_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        started = time.perf_counter()
        self.tokenizer: Any = AutoTokenizer.from_pretrained(source)
        if not self.tokenizer.chat_template:
            raise ModelSpecError(f"{source} has no chat template; use an instruct/chat checkpoint")
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        if dtype == "auto" and self.device == "cpu":
            torch_dtype = getattr(torch, native_cpu_dtype())
        elif dtype == "auto":
            torch_dtype = "auto"
        else:
            torch_dtype = getattr(torch, dtype)
        model: Any = AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype)
        self.model = model.to(self.device)
        self.model.eval()
        self.load_seconds = time.perf_counter() - started
        self.eos_ids = _eos_ids(self.model, self.tokenizer)
        self.autocast = autocast
        if kv_reuse < 0:
            raise ModelSpecError(f"kv_reuse must be >= 0 tokens, got {kv_reuse}")
        self.prefix_cache = PrefixCache(kv_reuse)
        self.stats = GenerationStats()

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        """Generate one response per request, in the order given."""
        responses: list[ChatResponse | None] = [None] * len(requests)
        prompts: list[_Prompt] = []
        for index, request in enumerate(requests):
            try:
                prompts.append(_Prompt(index, self.render(request), request))
            except Exception as error:  # a template that rejects these messages fails this request only
                responses[index] = failed_response(f"chat template: {type(error).__name__}: {error}")
        for batch in self._batches(prompts):
            try:
                outputs = self._generate_batch(batch)
            except Exception as error:  # e.g. out of memory: the batch fails, the run goes on
                outputs = [failed_response(f"generation: {type(error).__name__}: {error}")] * len(batch)
            for prompt, response in zip(batch, outputs, strict=True):
                responses[prompt.index] = response
        return [r if r is not None else failed_response("no output") for r in responses]

    def render(self, request: ChatRequest) -> str:
        """The prompt text the model sees for ``request`` (chat template, generation prompt added)."""
        messages, tools = list(request.messages), list(request.tools)
        chat = messages if _already_tagged(messages, tools) else to_tagged_chat(messages, tools)
        text = self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        return str(text)

    def _batches(self, prompts: list[_Prompt]) -> Iterator[list[_Prompt]]:
        groups: dict[tuple[float, int], list[_Prompt]] = {}
        for prompt in prompts:
            request = prompt.request
            key = (request.temperature, request.seed) if request.temperature > 0 else (0.0, 0)
            groups.setdefault(key, []).append(prompt)
        for group in groups.values():
            group.sort(key=lambda p: len(p.text))
            for start in range(0, len(group), self.batch_size):
                yield group[start : start + self.batch_size]

    def _generate_batch(self, batch: list[_Prompt]) -> list[ChatResponse]:
        torch = require_torch()
        prompts = [
            self.tokenizer(p.text, return_tensors="pt", add_special_tokens=False)["input_ids"][0]
            for p in batch
        ]
        batch_layout = layout(prompts, self.prefix_cache, self.tokenizer.pad_token_id, self.device)
        first = batch[0].request
        max_new = max(p.request.max_tokens for p in batch)
        sampling: dict[str, Any] = {"do_sample": False}
        if first.temperature > 0:
            torch.manual_seed(first.seed)
            sampling = {"do_sample": True, "temperature": first.temperature}
        started = time.perf_counter()
        with torch.inference_mode(), self._autocast(torch):
            output = self.model.generate(
                input_ids=batch_layout.input_ids,
                attention_mask=batch_layout.attention_mask,
                past_key_values=batch_layout.cache,
                max_new_tokens=max_new,
                pad_token_id=self.tokenizer.pad_token_id,
                eos_token_id=sorted(self.eos_ids),
                return_dict_in_generate=True,
                **sampling,
            )
        prompt_len = batch_layout.input_ids.shape[1]
        responses = []
        for row, (prompt, ids) in enumerate(zip(batch, prompts, strict=True)):
            response = self._decode(output.sequences[row, prompt_len:].tolist(), prompt.request.max_tokens)
            responses.append(_with_usage(response, len(ids), response.usage["completion_tokens"]))
        generated = [r.usage["completion_tokens"] for r in responses]
        keep(
            self.prefix_cache,
            output.sequences,
            batch_layout.attention_mask,
            output.past_key_values,
            generated,
        )
        self.stats = GenerationStats(
            self.stats.requests + len(batch),
            self.stats.new_tokens + sum(generated),
            self.stats.seconds + time.perf_counter() - started,
        )
        return responses

    def _decode(self, ids: list[int], max_tokens: int) -> ChatResponse:
        ids = ids[:max_tokens]
        stop_at = next((i for i, token in enumerate(ids) if token in self.eos_ids), None)
        stopped = stop_at is not None
        kept = ids[:stop_at] if stop_at is not None else ids
        text = str(self.tokenizer.decode(kept, skip_special_tokens=False))
        parsed = parse_tagged(text, stopped=stopped)
        usage = {"completion_tokens": len(kept) + (1 if stopped else 0)}
        return ChatResponse(
            parsed=parsed,
            raw=text,
            message={"role": "assistant", "content": text},
            finish_reason="stop" if stopped else "length",
            usage=usage,
        )

    def _autocast(self, torch: Any) -> contextlib.AbstractContextManager[Any]:
        if self.autocast and self.device == "cpu":
            return torch.autocast("cpu", dtype=torch.bfloat16)  # type: ignore[no-any-return]
        return contextlib.nullcontext()


def _already_tagged(messages: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]]) -> bool:
    """A conversation rendered for tagged models already (its system prompt states the protocol)."""
    if tools or not messages or messages[0].get("role") != "system":
        return False
    plain = all(isinstance(m.get("content"), str) and m.get("role") != "tool" for m in messages)
    return plain and TAGGED_INSTRUCTIONS in str(messages[0]["content"])


def _with_usage(response: ChatResponse, prompt_tokens: int, completion_tokens: int) -> ChatResponse:
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    return ChatResponse(response.parsed, response.raw, response.message, response.finish_reason, None, usage)


def _eos_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    """Every token id that ends a turn: the generation config's EOS ids plus the tokenizer's."""
    ids: set[int] = set()
    configured = getattr(model.generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif isinstance(configured, list | tuple):
        ids.update(int(i) for i in configured)
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    return frozenset(ids)


def native_cpu_dtype() -> str:
    """The torch dtype name weights take on this CPU for ``dtype=auto``: ``bfloat16`` where bf16 is
    native, ``float32`` elsewhere."""
    return "bfloat16" if cpu_has_native_bf16() else "float32"


def cpu_has_native_bf16() -> bool:
    """Whether this CPU runs bf16 matmuls natively (AVX512-BF16 / AMX); without them torch emulates
    bf16, 2 to 3 times as slow as fp32."""
    import torch

    with contextlib.suppress(Exception):
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    return False
