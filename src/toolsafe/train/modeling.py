"""Loading the policy model and tokenizer, and the trainer settings shared by SFT and GRPO."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from toolsafe.train.config import BaseRecipe, LoraSpec, Precision

TRAIN_EXTRA_HINT = "pip install 'toolsafe[train]'"
EMBEDDED_MODEL = "smollm2"
CHECKPOINT_PREFIX = "checkpoint-"
FINAL_DIR = "final"


class TrainDependencyError(ImportError):
    """A training dependency (torch, transformers, trl, peft, datasets) is not installed."""


def require_train_extra() -> None:
    """Fail with the extra to install when the training stack is missing."""
    for module in ("torch", "transformers", "trl", "datasets", "accelerate"):
        try:
            __import__(module)
        except ImportError:
            raise TrainDependencyError(f"training needs {module}: {TRAIN_EXTRA_HINT}") from None
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    # TRL still calls the gradient_checkpointing_* names that transformers renamed activation_checkpointing_*
    warnings.filterwarnings(
        "ignore",
        message=r"`(is_)?gradient_checkpointing(_enable|_disable)?` is deprecated",
        category=FutureWarning,
    )


def resolve_model(name: str) -> str:
    """A loadable path or id: ``smollm2`` becomes the cached checkpoint converted from the embedded GGUF."""
    if name == EMBEDDED_MODEL:
        from toolsafe.models.gguf import convert_gguf
        from toolsafe.models.smollm2 import smollm2_gguf

        return str(convert_gguf(smollm2_gguf()))
    return name


def load_tokenizer(path: str) -> Any:
    """The tokenizer with a pad token distinct from EOS where the vocabulary has one."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None or tokenizer.pad_token == tokenizer.eos_token:
        vocab = tokenizer.get_vocab()
        for candidate in ("<|endoftext|>", "<|finetune_right_pad_id|>", "<pad>"):
            if candidate in vocab and candidate != tokenizer.eos_token:
                tokenizer.pad_token = candidate
                break
        else:
            tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(path: str, recipe: BaseRecipe) -> Any:
    """The causal LM in the recipe's weight dtype (fp32 master weights unless ``precision: bf16``)."""
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if recipe.precision == "bf16" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    return model


def native_bf16(device: str) -> bool:
    """Whether the training device computes in bf16 natively: a CUDA GPU with bf16 for ``auto`` when
    one is present, otherwise the CPU's AVX512-BF16 or AMX."""
    import torch

    from toolsafe.models.hf import cpu_has_native_bf16

    if device == "auto" and torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    return cpu_has_native_bf16()


def resolve_precision(precision: Precision, device: str) -> Precision:
    """``auto`` made concrete for this machine (see :data:`~toolsafe.train.config.Precision`)."""
    if precision != "auto":
        return precision
    return "bf16-mixed" if native_bf16(device) else "fp32"


def peft_config(lora: LoraSpec | None) -> Any:
    """A PEFT ``LoraConfig`` for the recipe's ``lora`` section, or None for a full fine-tune."""
    if lora is None:
        return None
    try:
        from peft import LoraConfig
    except ImportError:
        raise TrainDependencyError(f"lora needs peft: {TRAIN_EXTRA_HINT}") from None
    return LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=list(lora.target_modules),
        task_type="CAUSAL_LM",
    )


def trainer_arguments(recipe: BaseRecipe) -> dict[str, Any]:
    """Keyword arguments common to ``SFTConfig`` and ``GRPOConfig``."""
    mixed = resolve_precision(recipe.precision, recipe.device) in ("bf16-mixed", "bf16")
    return {
        "output_dir": str(recipe.output_dir),
        "seed": recipe.seed,
        "use_cpu": recipe.device == "cpu",
        "bf16": mixed,
        "fp16": False,
        "learning_rate": recipe.learning_rate,
        "lr_scheduler_type": recipe.lr_scheduler,
        "per_device_train_batch_size": recipe.batch_size,
        "gradient_accumulation_steps": recipe.gradient_accumulation_steps,
        "max_steps": recipe.max_steps,
        "logging_steps": recipe.logging_steps,
        "save_strategy": "steps",
        "save_steps": recipe.save_steps,
        "save_total_limit": recipe.save_total_limit,
        "activation_checkpointing": recipe.gradient_checkpointing,
        "report_to": "none",
        "disable_tqdm": True,
    }


def last_checkpoint(output_dir: Path) -> str | None:
    """The newest complete ``checkpoint-N`` in ``output_dir`` (its ``trainer_state.json`` is written last)."""
    if not output_dir.is_dir():
        return None
    complete = [
        (checkpoint_step(path), path)
        for path in output_dir.glob(f"{CHECKPOINT_PREFIX}*")
        if path.name.removeprefix(CHECKPOINT_PREFIX).isdigit() and (path / "trainer_state.json").is_file()
    ]
    return str(max(complete)[1]) if complete else None


def checkpoint_step(checkpoint: str | Path) -> int:
    """The optimiser step a ``checkpoint-N`` directory was saved at."""
    return int(Path(checkpoint).name.removeprefix(CHECKPOINT_PREFIX))


def save_final(trainer: Any, tokenizer: Any, out_dir: Path) -> Path:
    """Save the trained model as a plain checkpoint (LoRA adapters merged) with its tokenizer, and the
    trainer's log as ``trainer_state.json`` in the run's output directory."""
    trainer.save_state()
    model = trainer.accelerator.unwrap_model(trainer.model)
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


@contextmanager
def loss_positions_only(device: str) -> Iterator[None]:
    """On CPU, let TRL's fused LM head score only the positions that carry loss.

    TRL scores every position (prompt and environment tokens included) unless Triton is present,
    to keep tile shapes stable on compiled backends; on CPU that is pure waste (the LM head over
    a 49k vocabulary dominates SFT steps). The loss is unchanged; only the skipped work differs.
    """
    import importlib

    trl_utils: Any = importlib.import_module("trl.trainer.utils")
    original = getattr(trl_utils, "_use_triton", None)
    if device != "cpu" or original is None:
        yield
        return
    trl_utils._use_triton = lambda device: True
    try:
        yield
    finally:
        trl_utils._use_triton = original
