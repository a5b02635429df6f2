"""SFT warm start: the oracle's sandbox conversations, loss on assistant turns only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolsafe.train.config import SFTRecipe
from toolsafe.train.data import (
    data_policy,
    decision_turns,
    episode_settings,
    load_scenarios,
    oracle_chats,
)
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
    weighted = recipe.decision_weight != 1.0
    encoded = [
        encode_chat(tokenizer, chat, recipe.max_length, _turn_weights(chat, recipe.decision_weight))
        for chat in chats
    ]
    rows: list[dict[str, list[int] | list[float]]] = []
    for e in encoded:
        if any(e.assistant_mask):
            rows.append({"input_ids": e.input_ids, "assistant_masks": e.assistant_mask})
            if weighted:
                rows[-1]["loss_weights"] = e.loss_weights
    if not rows:
        raise RuntimeError(f"max_length: {recipe.max_length} tokens cut off every assistant turn; raise it")
    tokens = sum(len(row["input_ids"]) for row in rows)
    trained = sum(sum(row["assistant_masks"]) for row in rows)
    log(
        f"sft data: {len(rows)} conversations ({dropped} dropped by the judge), "
        f"{tokens} tokens, {trained} in the loss"
    )
    return Dataset.from_list(rows)


def _turn_weights(chat: list[dict[str, str]], decision_weight: float) -> list[float]:
    return [decision_weight if decides else 1.0 for decides in decision_turns(chat)]


def sft_arguments(recipe: SFTRecipe) -> dict[str, Any]:
    """``SFTConfig`` keyword arguments for the recipe."""
    return {
        **trainer_arguments(recipe),
        "num_train_epochs": recipe.epochs,
        "max_length": recipe.max_length,
        "warmup_steps": recipe.warmup_ratio,
        "packing": False,
        "train_sampling_strategy": "group_by_length" if recipe.group_by_length else "random",
    }


def build_sft_trainer(recipe: SFTRecipe, log: Callable[[str], None] = print) -> Any:
    """The configured ``SFTTrainer`` (model loaded, oracle data tokenised), ready for ``.train()``."""
    require_train_extra()
    from trl import SFTConfig, SFTTrainer  # type: ignore[attr-defined]

    model_path = resolve_model(recipe.model)
    tokenizer = load_tokenizer(model_path)
    dataset = sft_dataset(recipe, tokenizer, log)
    trainer_class = weighted_sft_trainer_class() if recipe.decision_weight != 1.0 else SFTTrainer
    return trainer_class(
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


def weighted_sft_trainer_class() -> type:
    """``SFTTrainer`` with a per-token loss weight (the ``loss_weights`` column): the loss is the
    weighted mean of the assistant tokens' negative log-likelihoods, per micro-batch."""
    import torch
    from trl import SFTTrainer  # type: ignore[attr-defined]

    class WeightedSFTTrainer(SFTTrainer):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.data_collator = _WeightsCollator(self.data_collator)

        def _set_signature_columns_if_needed(self) -> None:
            super()._set_signature_columns_if_needed()  # type: ignore[no-untyped-call]
            columns: list[str] = list(self._signature_columns or [])
            if "loss_weights" not in columns:
                self._signature_columns = [*columns, "loss_weights"]  # type: ignore[assignment]

        def compute_loss(
            self,
            model: Any,
            inputs: dict[str, Any],
            return_outputs: bool = False,
            num_items_in_batch: Any = None,
        ) -> Any:
            weights = inputs.pop("loss_weights")
            outputs = model(**inputs, use_cache=False, fused_lm_head=True)
            shifted = weights[:, 1:].to(outputs.log_probs.dtype) * outputs.label_mask
            loss = -(outputs.log_probs * shifted).sum() / shifted.sum().clamp(
                min=torch.finfo(shifted.dtype).eps
            )
            # the token metrics SFTTrainer logs, unweighted like its own
            metrics = self._metrics["train" if model.training else "eval"]
            scored = outputs.label_mask.sum().clamp(min=1)
            metrics["entropy"].append((outputs.entropy.detach().sum() / scored).item())
            metrics["mean_token_accuracy"].append((outputs.is_top1.sum() / scored).item())
            return (loss, outputs) if return_outputs else loss

    return WeightedSFTTrainer


class _WeightsCollator:
    """Wraps TRL's collator: the batch it builds plus ``loss_weights`` padded (right) to its width."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        batch: dict[str, Any] = self.inner(
            [{k: v for k, v in e.items() if k != "loss_weights"} for e in examples]
        )
        width = batch["input_ids"].shape[1]
        batch["loss_weights"] = torch.tensor(
            [[*e["loss_weights"], *[0.0] * (width - len(e["loss_weights"]))] for e in examples]
        )
        return batch
