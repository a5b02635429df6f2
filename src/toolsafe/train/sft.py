"""SFT warm start: the oracle's sandbox conversations, loss on assistant turns only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolsafe.train.config import SFTRecipe
from toolsafe.train.data import data_policy, episode_settings, load_scenarios, oracle_chats
from toolsafe.train.modeling import (
    FINAL_DIR,
    last_checkpoint,
    load_model,
    load_tokenizer,
    loss_positions_only,
    peft_config,
    require_train_extra,
    resolve_model,
    save_final,
    trainer_arguments,
)
from toolsafe.train.tokens import encode_chat


def sft_dataset(recipe: SFTRecipe, tokenizer: Any, log: Callable[[str], None] = print) -> Any:
    """A tokenised ``datasets.Dataset`` (``input_ids``, ``assistant_masks``) of oracle conversations."""
    from datasets import Dataset

    settings = episode_settings(recipe.data)
    chats, dropped = oracle_chats(
        load_scenarios(recipe.data), recipe.data.seed, settings, data_policy(recipe.data)
    )
    if not chats:
        raise RuntimeError(
            "the oracle produced no policy-compliant conversation; check data.split and data.n"
        )
    encoded = [encode_chat(tokenizer, chat, recipe.max_length) for chat in chats]
    rows = [
        {"input_ids": e.input_ids, "assistant_masks": e.assistant_mask}
        for e in encoded
        if any(e.assistant_mask)
    ]
    if not rows:
        raise RuntimeError(f"max_length: {recipe.max_length} tokens cut off every assistant turn; raise it")
    tokens = sum(len(row["input_ids"]) for row in rows)
    trained = sum(sum(row["assistant_masks"]) for row in rows)
    log(
        f"sft data: {len(rows)} conversations ({dropped} dropped by the judge), "
        f"{tokens} tokens, {trained} in the loss"
    )
    return Dataset.from_list(rows)


def sft_arguments(recipe: SFTRecipe) -> dict[str, Any]:
    """``SFTConfig`` keyword arguments for the recipe."""
    return {
        **trainer_arguments(recipe),
        "num_train_epochs": recipe.epochs,
        "max_length": recipe.max_length,
        "warmup_steps": recipe.warmup_ratio,
        "packing": False,
    }


def build_sft_trainer(recipe: SFTRecipe, log: Callable[[str], None] = print) -> Any:
    """The configured ``SFTTrainer`` (model loaded, oracle data tokenised), ready for ``.train()``."""
    require_train_extra()
    from trl import SFTConfig, SFTTrainer  # type: ignore[attr-defined]

    model_path = resolve_model(recipe.model)
    tokenizer = load_tokenizer(model_path)
    dataset = sft_dataset(recipe, tokenizer, log)
    return SFTTrainer(
        model=load_model(model_path, recipe),
        args=SFTConfig(**sft_arguments(recipe)),
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config(recipe.lora),
    )


def train_sft(recipe: SFTRecipe, log: Callable[[str], None] = print) -> Path:
    """Fine-tune on oracle trajectories; return the final checkpoint directory (``output_dir/final``)."""
    trainer = build_sft_trainer(recipe, log)
    resume = last_checkpoint(recipe.output_dir) if recipe.resume else None
    if resume:
        log(f"resuming from {resume}")
    with loss_positions_only(recipe.device):
        trainer.train(resume_from_checkpoint=resume)
    final = save_final(trainer, trainer.processing_class, recipe.output_dir / FINAL_DIR)
    log(f"saved {final}")
    return final
