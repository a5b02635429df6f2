"""Scoring only the loss positions on CPU changes the work, not the loss or its gradient."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolsafe.train.config import SFTRecipe, parse_recipe
from toolsafe.train.modeling import last_checkpoint, loss_positions_only
from toolsafe.train.sft import build_sft_trainer


def test_loss_and_gradient_match_with_positions_only(tiny_checkpoint: Path, tmp_path: Path) -> None:
    import torch

    recipe = parse_recipe(
        {
            "model": str(tiny_checkpoint),
            "output_dir": str(tmp_path),
            "batch_size": 2,
            "max_length": 4096,
            "data": {"n": 2, "seed": 4},
        },
        SFTRecipe,
    )
    trainer = build_sft_trainer(recipe, log=lambda _: None)
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    model = trainer.model

    def loss_and_grad() -> tuple[float, torch.Tensor]:
        model.zero_grad()
        loss = trainer.compute_loss(model, dict(batch))
        loss.backward()
        return loss.item(), model.get_output_embeddings().weight.grad.clone()

    full_loss, full_grad = loss_and_grad()
    with loss_positions_only("cpu"):
        compact_loss, compact_grad = loss_and_grad()
    assert compact_loss == pytest.approx(full_loss, rel=1e-5)
    assert torch.allclose(compact_grad, full_grad, atol=1e-6)


def test_last_checkpoint_skips_incomplete_saves(tmp_path: Path) -> None:
    assert last_checkpoint(tmp_path / "absent") is None
    for step, complete in ((2, True), (10, True), (12, False)):
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        if complete:
            (folder / "trainer_state.json").write_text("{}")
    (tmp_path / "checkpoint-x").mkdir()
    assert last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-10")
