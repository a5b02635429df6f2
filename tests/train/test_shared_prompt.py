"""Log-probabilities with each group's prompt run once equal those of the full forward, gradients too."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from toolsafe.train.shared_prompt import shared_prompt_logps  # noqa: E402

PAD = 0


def _batch(prompts: list[list[int]], completions: list[list[int]]) -> tuple[object, object, int]:
    """TRL's layout: prompts left-padded, completions right-padded, concatenated."""
    prompt_width = max(map(len, prompts))
    completion_width = max(map(len, completions))
    ids, mask = [], []
    for prompt, completion in zip(prompts, completions, strict=True):
        left = prompt_width - len(prompt)
        right = completion_width - len(completion)
        ids.append([PAD] * left + prompt + completion + [PAD] * right)
        mask.append([0] * left + [1] * (len(prompt) + len(completion)) + [0] * right)
    return torch.tensor(ids), torch.tensor(mask), completion_width


def _reference_logps(
    model: object, prompts: list[list[int]], completions: list[list[int]], width: int
) -> object:
    """Each row on its own, unpadded: log p(completion token | everything before it)."""
    rows = []
    for prompt, completion in zip(prompts, completions, strict=True):
        logits = model(input_ids=torch.tensor([prompt + completion])).logits[0]  # type: ignore[operator]
        log_softmax = torch.log_softmax(logits[len(prompt) - 1 : -1].float() / 0.7, dim=-1)
        picked = log_softmax.gather(-1, torch.tensor(completion).unsqueeze(-1)).squeeze(-1)
        rows.append(torch.nn.functional.pad(picked, (0, width - len(completion))))
    return torch.stack(rows)


@pytest.mark.parametrize("checkpointing", [False, True])
def test_shared_prompt_logps_and_gradients_equal_the_full_forward(
    tiny_checkpoint: Path, checkpointing: bool
) -> None:
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_checkpoint, dtype=torch.float32)
    model.train()
    if checkpointing:
        model.activation_checkpointing_enable()
    # two groups: three rollouts share one prompt, two another (of a different length)
    prompts = [[5, 6, 7, 8, 9]] * 3 + [[11, 12, 13]] * 2
    completions = [[20, 21, 22], [23], [24, 25, 26, 27], [30, 31], [32, 33, 34]]
    input_ids, attention_mask, width = _batch(prompts, completions)
    weights = torch.randn(len(prompts), width, generator=torch.Generator().manual_seed(0))
    loss_mask = torch.tensor([[1] * len(c) + [0] * (width - len(c)) for c in completions])

    logps, entropies = shared_prompt_logps(
        model, input_ids, attention_mask, width, temperature=0.7, compute_entropy=True
    )
    (logps * weights * loss_mask).sum().backward()
    shared_grads = {name: p.grad.clone() for name, p in model.named_parameters()}
    model.zero_grad()
    reference = _reference_logps(model, prompts, completions, width)
    (reference * weights * loss_mask).sum().backward()

    assert torch.allclose(logps * loss_mask, reference * loss_mask, atol=1e-5)
    for name, parameter in model.named_parameters():
        assert torch.allclose(shared_grads[name], parameter.grad, atol=1e-5), name
    assert entropies is not None and bool((entropies[loss_mask.bool()] > 0).all())
    if checkpointing:  # switched back on after the shared forward
        assert all(layer.gradient_checkpointing for layer in model.model.layers)


def test_generation_from_shared_prompts_equals_generating_each_context_alone(tiny_checkpoint: Path) -> None:
    from transformers import GenerationConfig

    from toolsafe.train.shared_prompt import generate_from_shared_prompts

    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_checkpoint, dtype=torch.float32)
    model.eval()
    config = GenerationConfig(max_new_tokens=6, do_sample=False, pad_token_id=PAD, eos_token_id=None)
    # a group of three rollouts on one prompt, two on a shorter one, and one alone
    contexts = [[5, 6, 7, 8, 9]] * 3 + [[11, 12, 13]] * 2 + [[40, 41, 42, 43]]
    with torch.no_grad():
        shared = generate_from_shared_prompts(model, contexts, config, PAD)
        alone = [
            model.generate(input_ids=torch.tensor([c]), generation_config=config)[0, len(c) :].tolist()
            for c in contexts
        ]
    assert shared == alone
    assert len({tuple(row) for row in alone}) > 1  # the contexts lead to different continuations
