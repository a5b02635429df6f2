"""SFT warm start on oracle conversations: one step on a tiny model, loss on assistant tokens only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from toolsafe.train.config import SFTRecipe, parse_recipe
from toolsafe.train.sft import build_sft_trainer, sft_dataset, train_sft


def _recipe(checkpoint: Path, out: Path, **fields: Any) -> SFTRecipe:
    data = {
        "model": str(checkpoint),
        "output_dir": str(out),
        "max_steps": 1,
        "batch_size": 2,
        "learning_rate": 1e-3,
        "max_length": 4096,
        "warmup_ratio": 0.0,
        "data": {"n": 4, "seed": 3, "max_turns": 6},
        **fields,
    }
    return parse_recipe(data, SFTRecipe)


def test_labels_cover_only_assistant_tokens(tiny_checkpoint: Path, tmp_path: Path) -> None:
    recipe = _recipe(tiny_checkpoint, tmp_path)
    trainer = build_sft_trainer(recipe, log=lambda _: None)
    tokenizer = trainer.processing_class
    masks = sft_dataset(recipe, tokenizer, log=lambda _: None)["assistant_masks"]
    dataset = trainer.train_dataset
    assert len(dataset) == len(masks) > 0
    for row, mask in zip(dataset, masks, strict=True):
        assert [label != -100 for label in row["labels"]] == [bool(bit) for bit in mask]
        trained = [t for t, label in zip(row["input_ids"], row["labels"], strict=True) if label != -100]
        text = tokenizer.decode(trained)
        assert "<tool_response>" not in text and "<tool_check_result>" not in text
        assert text.endswith("<|im_end|>")
        assert row["labels"][0] == -100


def test_one_step_updates_weights_and_saves_a_loadable_checkpoint(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    final = train_sft(_recipe(tiny_checkpoint, tmp_path / "run"), log=lambda _: None)
    assert final == tmp_path / "run" / "final"
    before = AutoModelForCausalLM.from_pretrained(tiny_checkpoint)
    after = AutoModelForCausalLM.from_pretrained(final)
    changed = [
        not torch.equal(a, b)
        for a, b in zip(before.state_dict().values(), after.state_dict().values(), strict=True)
    ]
    assert sum(changed) / len(changed) > 0.9
    assert (final / "tokenizer_config.json").is_file()


@pytest.mark.slow
def test_lora_step_merges_adapters_into_a_plain_checkpoint(tiny_checkpoint: Path, tmp_path: Path) -> None:
    lora = {"r": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]}
    final = train_sft(_recipe(tiny_checkpoint, tmp_path / "lora", lora=lora), log=lambda _: None)
    assert not (final / "adapter_config.json").exists()
    assert (final / "config.json").is_file()


def test_grouping_by_length_pads_less(tiny_checkpoint: Path, tmp_path: Path) -> None:
    def padded_tokens(group: bool) -> int:
        recipe = _recipe(tiny_checkpoint, tmp_path, group_by_length=group, data={"n": 32, "seed": 3})
        batches = [
            batch["input_ids"]
            for batch in build_sft_trainer(recipe, log=lambda _: None).get_train_dataloader()
        ]
        assert sum(batch.shape[0] for batch in batches) == 32
        return sum(batch.numel() for batch in batches)

    assert padded_tokens(group=True) < padded_tokens(group=False)


def test_decision_weight_scales_the_loss_of_decision_turns_only(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    import torch

    data = {"n": 7, "seed": 3, "max_turns": 6}
    weighted = build_sft_trainer(
        _recipe(tiny_checkpoint, tmp_path, decision_weight=3.0, data=data), log=print
    )
    batch = next(iter(weighted.get_train_dataloader()))
    weights = batch["loss_weights"]
    assert torch.equal(weights > 0, batch["labels"] != -100)
    assert set(weights.unique().tolist()) == {0.0, 1.0, 3.0}
    tokenizer = weighted.processing_class
    heavy = tokenizer.decode(batch["input_ids"][weights == 3.0])
    light = tokenizer.decode(batch["input_ids"][weights == 1.0])
    assert "<tool_check>" in heavy and "All steps are handled" in heavy
    assert "Next step" in light and "<tool_check>" not in light and "All steps" not in light

    plain = build_sft_trainer(_recipe(tiny_checkpoint, tmp_path / "plain", data=data), log=print)
    inputs = {k: v for k, v in batch.items() if k != "loss_weights"}
    ones = {**inputs, "loss_weights": (batch["labels"] != -100).float()}
    with torch.no_grad():
        expected = plain.compute_loss(plain.model, dict(inputs))
        same = weighted.compute_loss(plain.model, ones)
        heavier = weighted.compute_loss(plain.model, dict(batch))
        logits = plain.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    # the weighted mean of each assistant token's negative log-likelihood, computed by hand
    labels, token_weights = batch["labels"][:, 1:], weights[:, 1:]
    nll = torch.nn.functional.cross_entropy(
        logits[:, :-1].flatten(0, 1).float(), labels.flatten().clamp(min=0), reduction="none"
    ).view_as(labels)
    by_hand = (nll * token_weights).sum() / token_weights.sum()
    unweighted = (nll * (labels != -100)).sum() / (labels != -100).sum()
    assert torch.allclose(same, expected, atol=1e-5) and torch.allclose(expected, unweighted, atol=1e-4)
    assert torch.allclose(heavier, by_hand, atol=1e-4)
    assert not torch.allclose(by_hand, unweighted, rtol=0, atol=1e-5), (
        "the decision turns' weight changes the loss"
    )
    for name in ("entropy", "mean_token_accuracy"):  # logged like SFTTrainer's own, the same values
        assert weighted._metrics["eval"][name] == pytest.approx(plain._metrics["eval"][name] * 2)
