"""GRPO in the sandbox with TRL: multi-turn rollouts through :class:`SandboxRollout`, rewards from the judge."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from toolsafe.rewards import trl_reward_func
from toolsafe.train.config import GRPORecipe, RecipeError
from toolsafe.train.data import (
    balanced_by_decision,
    data_policy,
    episode_settings,
    grpo_rows,
    load_scenarios,
    winnable_rows,
)
from toolsafe.train.modeling import (
    FINAL_DIR,
    checkpoint_step,
    last_checkpoint,
    load_model,
    load_tokenizer,
    loss_positions_only,
    native_bf16,
    peft_config,
    require_train_extra,
    resolve_model,
    save_final,
    trainer_arguments,
)
from toolsafe.train.rollout import RolloutLimits, SandboxRollout, trim_rollout_log, written_by_contrast
from toolsafe.train.shared_prompt import shared_prompt_logps
from toolsafe.train.tokens import encode_text, render

ROLLOUT_LOG = "rollouts.jsonl"
"""Every rollout's scenario, verdict and conversation, one JSON line each, in the output directory."""


def sandbox_trainer_class() -> type:
    """``GRPOTrainer`` that exposes the current batch's dataset rows to the rollout as ``sandbox_rows``,
    skips the loss computation of a batch whose advantages are all 0 and leaves the rollouts with
    advantage 0 out of the forward and backward passes."""
    from trl import GRPOTrainer  # type: ignore[attr-defined]

    class SandboxGRPOTrainer(GRPOTrainer):  # type: ignore[misc]
        sandbox_rows: tuple[dict[str, Any], ...] = ()
        shared_prompt: bool = False
        """Run each group's prompt once in the loss's forward pass (see :func:`shared_prompt_logps`)."""
        contrast_flags: tuple[bool, ...] = ()
        """Per position in a group, whether the contrast agent wrote that rollout: set, the contrast
        is left out of its group's baseline (see :func:`contrast_advantages`)."""
        _rewards: Any = None

        def _get_per_token_logps_and_entropies(
            self,
            model: Any,
            input_ids: Any,
            attention_mask: Any,
            logits_to_keep: int,
            batch_size: int | None = None,
            compute_entropy: bool = False,
            compute_aux_loss: bool = False,
            **multimodal: Any,
        ) -> tuple[Any, Any, Any]:
            plain_text = all(value is None for value in multimodal.values())
            if not (
                self.shared_prompt and plain_text and not compute_aux_loss and not self._entropy_bonus_enabled
            ):
                full: tuple[Any, Any, Any] = super()._get_per_token_logps_and_entropies(
                    model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy,
                    compute_aux_loss, **multimodal,
                )  # fmt: skip
                return full
            with self.accelerator.autocast():
                logps, entropies = shared_prompt_logps(
                    model, input_ids, attention_mask, logits_to_keep, self.temperature, compute_entropy
                )
            return logps, entropies, None

        def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
            self.sandbox_rows = tuple(inputs)
            batch: dict[str, Any] = super()._generate_and_score_completions(inputs)
            if any(self.contrast_flags):
                # the rewards are gathered over all processes, in process order; keep this one's part
                rewards = (self._rewards * self.reward_weights.unsqueeze(0)).nansum(dim=1)
                advantages = contrast_advantages(rewards, self.contrast_flags, self.scale_rewards != "none")
                start = self.accelerator.process_index * len(inputs)
                batch["advantages"] = advantages[start : start + len(inputs)].to(batch["advantages"].device)
            if self.accelerator.num_processes == 1:  # across processes a group can be split
                self._log_groups(inputs, batch["advantages"])
            return batch

        def _calculate_rewards(self, *args: Any) -> Any:
            self._rewards = super()._calculate_rewards(*args)
            return self._rewards

        def _log_groups(self, rows: list[dict[str, Any]], advantages: Any) -> None:
            """Per taxonomy cell, the batch's groups (``groups/CELL``) and those whose rewards differ
            (``groups_varied/CELL``): only these have advantages, so only they move the model."""
            size = int(self.num_generations or 1)
            varied = _rows_with_nonzero(advantages)
            counts: dict[str, list[int]] = {}
            for start in range(0, len(rows), size):
                total = counts.setdefault(rows[start]["cell"], [0, 0])
                total[0] += 1
                total[1] += int(varied[start : start + size].any())
            metrics = self._metrics["train"]
            for cell, (groups, moved) in counts.items():
                metrics[f"groups/{cell}"].append(float(groups))
                metrics[f"groups_varied/{cell}"].append(float(moved))

        def compute_loss(
            self,
            model: Any,
            inputs: dict[str, Any],
            return_outputs: bool = False,
            num_items_in_batch: Any = None,
        ) -> Any:
            metrics = self._metrics["train" if model.training else "eval"]
            skip = self._loss_is_zero(inputs)
            metrics["skipped_zero_advantage"].append(float(skip))
            if skip:
                metrics["rollouts_in_loss"].append(0.0)
                # No rollout has both a non-zero advantage (its group's rewards differ) and a token in
                # the loss, so the loss and its gradient are exactly 0: skip the forward and backward.
                # Zero gradients (not None) keep the optimiser step identical to the full computation.
                return sum((p * 0).sum() for p in model.parameters() if p.requires_grad)
            kept = self._rows_with_advantage(inputs)
            metrics["rollouts_in_loss"].append(float(kept["advantages"].shape[0]))
            return super().compute_loss(model, kept, return_outputs, num_items_in_batch)

        def _only_policy_term(self) -> bool:
            return self.beta == 0.0 and not self._entropy_bonus_enabled and not self.aux_loss_enabled

        def _loss_is_zero(self, inputs: dict[str, Any]) -> bool:
            return bool(self._only_policy_term() and not _rows_in_loss(inputs).any())

        def _rows_with_advantage(self, inputs: dict[str, Any]) -> dict[str, Any]:
            """The micro-batch without its rollouts of advantage 0 or without a token in the loss
            (a contrast rollout that never departs from the oracle), where that leaves the loss and
            its gradient unchanged: with only the policy term their per-token loss is exactly 0, and
            the ``dapo`` loss divides by ``num_items_in_batch``, the whole generation batch's token
            count. (The entropy and clip ratios TRL logs then average over the kept rollouts.)"""
            import torch

            exact = self._only_policy_term() and self.loss_type == "dapo" and self.top_entropy_quantile == 1.0
            if not exact:
                return inputs
            keep = _rows_in_loss(inputs)
            if bool(keep.all()):
                return inputs
            rows = keep.shape[0]
            return {
                key: value[keep]
                if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape[0] == rows
                else value
                for key, value in inputs.items()
            }

    return SandboxGRPOTrainer


def contrast_advantages(rewards: Any, contrast: Sequence[bool], scale: bool) -> Any:
    """GRPO advantages where each group's baseline (and, with ``scale``, its spread) comes from the
    rollouts the contrast agent did not write. A contrast rollout gets its shortfall against that
    baseline, never more than 0: its one trained token is a mistake to push down. With the contrast
    inside the baseline instead, a group whose every other rollout wins would give each of them a
    positive advantage on all its tokens, and the model would drift towards whatever it already
    writes there (harmful requests no longer refused, in the quickstart)."""
    import torch

    size = len(contrast)
    grouped = rewards.view(-1, size).float()
    flags = torch.tensor(contrast, dtype=torch.bool).expand_as(grouped)
    others = grouped.masked_fill(flags, float("nan"))
    baseline = torch.nanmean(others, dim=1, keepdim=True)
    advantages = grouped - baseline
    if scale:
        spread = _nanstd(others)
        advantages = torch.where(spread > 0, advantages / (spread + 1e-4), advantages)
    advantages = torch.where(flags, advantages.clamp(max=0.0), advantages)
    return torch.nan_to_num(advantages, nan=0.0).reshape(-1)


def _nanstd(values: Any) -> Any:
    """Per row, the sample standard deviation of the non-NaN values (0 where fewer than two)."""
    import torch

    count = (~values.isnan()).sum(dim=1, keepdim=True)
    mean = torch.nanmean(values, dim=1, keepdim=True)
    squares = ((values - mean) ** 2).nan_to_num(nan=0.0).sum(dim=1, keepdim=True)
    return torch.where(count > 1, (squares / (count - 1).clamp(min=1)).sqrt(), torch.zeros_like(mean))


def _rows_in_loss(inputs: dict[str, Any]) -> Any:
    """Boolean mask of the rollouts with a non-zero advantage and at least one token in the loss."""
    mask = inputs["completion_mask"]
    if inputs.get("tool_mask") is not None:
        mask = mask * inputs["tool_mask"]
    return _rows_with_nonzero(inputs["advantages"]) & mask.bool().any(dim=-1)


def _rows_with_nonzero(advantages: Any) -> Any:
    """Boolean mask of the rollouts with a non-zero advantage (per sequence or per token)."""
    nonzero = advantages != 0
    return nonzero if advantages.dim() == 1 else nonzero.any(dim=-1)


def generation_autocast(recipe: GRPORecipe) -> str:
    """The recipe's ``generation_precision``, with ``auto`` made concrete for this machine."""
    if recipe.generation_precision != "auto":
        return recipe.generation_precision
    return "bf16" if native_bf16(recipe.device) else "fp32"


def grpo_arguments(recipe: GRPORecipe) -> dict[str, Any]:
    """``GRPOConfig`` keyword arguments for the recipe."""
    args = trainer_arguments(recipe)
    args.update(
        num_generations=recipe.num_generations,
        max_completion_length=recipe.max_completion_length,
        temperature=recipe.temperature,
        top_p=recipe.top_p,
        beta=recipe.beta,
        loss_type=recipe.loss_type,
        num_iterations=recipe.num_iterations,
        use_vllm=recipe.vllm.enabled,
        shuffle_dataset=not recipe.balance_decisions,
    )
    if recipe.vllm.enabled:
        args.update(
            vllm_mode=recipe.vllm.mode,
            vllm_gpu_memory_utilization=recipe.vllm.gpu_memory_utilization,
            vllm_tensor_parallel_size=recipe.vllm.tensor_parallel_size,
            vllm_enable_sleep_mode=recipe.vllm.enable_sleep_mode,
            # vLLM samples one assistant turn per call: cap it at the turn budget, not the conversation's.
            generation_kwargs={"max_tokens": recipe.max_turn_tokens},
        )
        if recipe.vllm.max_model_length is not None:
            args["vllm_max_model_length"] = recipe.vllm.max_model_length
        if recipe.vllm.server_base_url is not None:
            args["vllm_server_base_url"] = recipe.vllm.server_base_url
    return args


def build_grpo_trainer(recipe: GRPORecipe, log: Callable[[str], None] = print) -> Any:
    """The configured trainer (model loaded, dataset built), ready for ``.train()``."""
    if recipe.init_from is not None and not (recipe.init_from / "config.json").is_file():
        raise RecipeError(
            f"init_from: {recipe.init_from} holds no checkpoint; train the warm start first (toolsafe train sft)"
        )
    require_train_extra()
    from datasets import Dataset
    from trl import GRPOConfig  # type: ignore[attr-defined]

    settings = episode_settings(recipe.data)
    model_path = str(recipe.init_from) if recipe.init_from else resolve_model(recipe.model)
    tokenizer = load_tokenizer(model_path)
    policy = data_policy(recipe.data)
    rows = grpo_rows(load_scenarios(recipe.data), recipe.data.seed, settings, recipe.oracle_prefix, policy)
    fitting = [r for r in rows if _prompt_tokens(tokenizer, r["prompt"]) <= recipe.max_prompt_tokens]
    if not fitting:
        raise RuntimeError(
            f"max_prompt_tokens: every prompt is longer than {recipe.max_prompt_tokens} tokens"
        )
    note = f"{len(rows) - len(fitting)} over max_prompt_tokens"
    if recipe.winnable_only:
        winnable = winnable_rows(fitting, settings, recipe.judged_turns(), policy)
        if not winnable:
            raise RecipeError("winnable_only: the oracle wins no scenario within rollout_turns; raise it")
        note += f", {len(fitting) - len(winnable)} the oracle does not win within rollout_turns"
        fitting = winnable
    if recipe.balance_decisions:
        balanced = balanced_by_decision(fitting)
        note += f", {len(fitting) - len(balanced)} past the rarest decision's share"
        fitting = balanced
    log(f"grpo data: {len(fitting)} scenarios ({note} dropped)")
    rollout = SandboxRollout(
        settings,
        RolloutLimits(
            recipe.max_completion_length,
            recipe.max_turn_tokens,
            recipe.rollout_turns or recipe.data.max_turns,
            recipe.oracle_completion_turns,
            recipe.policy_roll_in,
            roll_in_to_departure=recipe.roll_in_to == "departure",
        ),
        policy,
        generation_autocast(recipe),
        log_path=recipe.output_dir / ROLLOUT_LOG,
        guided_per_group=recipe.guided_rollouts,
        contrast_per_group=recipe.contrast_rollouts,
        greedy_roll_in=recipe.roll_in_decoding == "greedy",
    )
    trainer_class = sandbox_trainer_class()
    trainer = trainer_class(
        model=load_model(model_path, recipe),
        reward_funcs=[trl_reward_func(recipe.reward, recipe.shaped_weights())],
        args=GRPOConfig(**grpo_arguments(recipe)),
        train_dataset=Dataset.from_list(fitting),
        processing_class=tokenizer,
        peft_config=peft_config(recipe.lora),
        rollout_func=rollout,
    )
    trainer.shared_prompt = recipe.shared_prompt_forward
    if recipe.contrast_baseline == "others":
        trainer.contrast_flags = tuple(
            written_by_contrast(position, recipe.guided_rollouts, recipe.contrast_rollouts)
            for position in range(recipe.num_generations)
        )
    return trainer


def train_grpo(recipe: GRPORecipe, log: Callable[[str], None] = print) -> Path:
    """Train with GRPO in the sandbox; return the final checkpoint directory (``output_dir/final``).

    Checkpoints go to ``output_dir/checkpoint-N`` every ``save_steps``; with ``resume`` an interrupted
    run continues from the newest complete one.
    """
    trainer = build_grpo_trainer(recipe, log)
    resume = last_checkpoint(recipe.output_dir) if recipe.resume else None
    if resume:
        log(f"resuming from {resume}")
    # a resumed run samples the steps after its checkpoint again; a fresh one starts a fresh log
    trim_rollout_log(recipe.output_dir / ROLLOUT_LOG, checkpoint_step(resume) if resume else 0)
    with loss_positions_only(recipe.device):
        trainer.train(resume_from_checkpoint=resume)
    final = save_final(trainer, trainer.processing_class, recipe.output_dir / FINAL_DIR)
    log(f"saved {final}")
    return final


def _prompt_tokens(tokenizer: Any, chat: list[dict[str, str]]) -> int:
    return len(encode_text(tokenizer, render(tokenizer, chat, generation_prompt=True)))
