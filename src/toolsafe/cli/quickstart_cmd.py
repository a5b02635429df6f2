"""``toolsafe quickstart``: the whole method on the embedded model (the README's main job)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolsafe.cli.common import fail_on_user_error
from toolsafe.quickstart import QuickstartConfig


def quickstart_command(
    out: Annotated[Path, typer.Option(help="Where every stage writes its output.")] = Path("runs/quickstart"),
    eval_limit: Annotated[
        int, typer.Option(help="Test scenarios per evaluation (balanced over cells).")
    ] = QuickstartConfig.eval_limit,
    sft_steps: Annotated[int | None, typer.Option(help="Override the SFT recipe's max_steps.")] = None,
    grpo_steps: Annotated[int | None, typer.Option(help="Override the GRPO recipe's max_steps.")] = None,
    keep_checkpoints: Annotated[
        bool, typer.Option(help="Keep the trainers' resume checkpoints (~1.6 GB each) after each stage.")
    ] = False,
) -> None:
    """Evaluate SmolLM2 → SFT warm start → GRPO → evaluate again → one comparison report."""
    from toolsafe.quickstart import run_quickstart
    from toolsafe.train.config import RecipeError
    from toolsafe.train.modeling import TrainDependencyError

    config = QuickstartConfig(
        out=out,
        eval_limit=eval_limit,
        keep_checkpoints=keep_checkpoints,
        sft_overrides=(("max_steps", sft_steps),) if sft_steps else (),
        grpo_overrides=(("max_steps", grpo_steps),) if grpo_steps else (),
    )
    with fail_on_user_error():
        try:
            run_quickstart(config, log=typer.echo)
        except (RecipeError, TrainDependencyError) as error:
            raise ValueError(str(error)) from None


def register(app: typer.Typer) -> None:
    """Add ``quickstart`` to ``app``."""
    app.command("quickstart")(quickstart_command)
