"""Training in the sandbox: SFT warm start on oracle conversations and GRPO with TRL.

``train_sft(recipe)`` and ``train_grpo(recipe)`` return the final checkpoint directory; recipes are
YAML files validated by :func:`load_recipe` (see ``configs/``). Importing this package loads no
torch: the heavy stack is imported when training starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolsafe.train.config import GRPORecipe, RecipeError, SFTRecipe, load_recipe, parse_recipe

if TYPE_CHECKING:
    from toolsafe.train.dry_run import DryRunReport

__all__ = [
    "GRPORecipe",
    "RecipeError",
    "SFTRecipe",
    "dry_run_grpo",
    "load_recipe",
    "parse_recipe",
    "train_grpo",
    "train_sft",
]


def train_sft(recipe: SFTRecipe, **options: Any) -> Path:
    """SFT warm start; see :func:`toolsafe.train.sft.train_sft`."""
    from toolsafe.train.sft import train_sft as run

    return run(recipe, **options)


def train_grpo(recipe: GRPORecipe, **options: Any) -> Path:
    """GRPO in the sandbox; see :func:`toolsafe.train.grpo.train_grpo`."""
    from toolsafe.train.grpo import train_grpo as run

    return run(recipe, **options)


def dry_run_grpo(recipe: GRPORecipe, **options: Any) -> DryRunReport:
    """A GRPO recipe's data and reward path without a model; see :mod:`toolsafe.train.dry_run`."""
    from toolsafe.train.dry_run import dry_run_grpo as run

    return run(recipe, **options)
